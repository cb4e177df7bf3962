/**
 * Drives one scenario at one concurrency with autocannon (closed loop: each connection sends its
 * next request when the previous answer arrives) and samples the serving workerd's CPU time around
 * the measured window. Latencies are kept at full precision (autocannon's histogram rounds to ms).
 */
import { randomUUID } from "node:crypto";
import autocannon from "autocannon";
import { cpuMs } from "./workerd.ts";

/** One HTTP request of a scenario. */
export interface RequestSpec {
  method: "GET" | "POST";
  path: string;
  headers?: Record<string, string>;
  /** Form-encoded body (`application/x-www-form-urlencoded`). */
  form?: Record<string, string>;
}

/** Something to measure: a request factory plus what counts as success. */
export interface Scenario {
  /** Stable key in results, e.g. `authorize_manual`. */
  name: string;
  /** Builds the next request. Called once per request. */
  next(): RequestSpec;
  /** The status a correct answer has. */
  expectStatus: number;
  /** Sends a fresh `Idempotency-Key` with every request, as the stripe SDK does on every POST. */
  idempotencyKey?: boolean;
  /** Receives the body of each successful answer (e.g. to collect created ids). */
  onBody?(body: string): void;
  /** Upper bound on requests, for scenarios that consume a pool of prepared objects. */
  maxRequests?(): number;
}

/** The floor scenarios every gateway scenario is compared with. */
export type FloorName = "hello" | "do_write" | "d1_batch" | "all_three" | "authorize_floor";

/** Measured figures of one scenario at one concurrency. */
export interface Measurement {
  scenario: string;
  concurrency: number;
  seconds: number;
  /** Answers with the expected status. */
  ok: number;
  /** Answers with another status, and transport errors/timeouts. */
  failed: number;
  statusCodes: Record<string, number>;
  rps: number;
  p50Ms: number;
  p99Ms: number;
  cpuMs: number;
  cpuMsPerRequest: number | null;
}

/** How long and how hard to drive a scenario. */
export interface LoadPlan {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
}

/** The raw autocannon request for a spec, with a fresh Idempotency-Key when the scenario sends one. */
export function toRaw(spec: RequestSpec, scenario: Scenario): autocannon.RawRequest {
  const headers: Record<string, string> = { ...spec.headers };
  let body: string | undefined;
  if (spec.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(spec.form).toString();
  }
  if (scenario.idempotencyKey) headers["idempotency-key"] = `bench-${randomUUID()}`;
  return { method: spec.method, path: spec.path, headers, ...(body === undefined ? {} : { body }) };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}

async function drive(
  url: URL,
  scenario: Scenario,
  connections: number,
  seconds: number,
  latencies: number[] | null,
  current: { instance: autocannon.Instance | null },
) {
  const cap = scenario.maxRequests?.();
  const onResponse = scenario.onBody
    ? (status: number, body: string) => {
        if (status === scenario.expectStatus) scenario.onBody?.(body);
      }
    : undefined;
  const instance = autocannon({
    url: url.origin,
    connections,
    duration: seconds,
    timeout: 10,
    ...(cap === undefined ? {} : { maxOverallRequests: cap }),
    requests: [
      {
        // Keep autocannon's own fields (Host header etc.) and lay the scenario's request over them.
        setupRequest: (req) => {
          const raw = toRaw(scenario.next(), scenario);
          return { ...req, ...raw, headers: { ...req.headers, ...raw.headers } };
        },
        ...(onResponse ? { onResponse } : {}),
      },
    ],
  });
  current.instance = instance;
  if (latencies) {
    instance.on("response", (_client, status, _bytes, ms) => {
      if (status === scenario.expectStatus) latencies.push(ms);
    });
  }
  try {
    return await instance;
  } finally {
    current.instance = null;
  }
}

/** The autocannon run in flight, so an interrupt can stop it. */
export const inFlight: { instance: autocannon.Instance | null } = { instance: null };

/** Warms up, then measures one scenario at one concurrency against the workerd processes `pids`. */
export async function measure(url: URL, pids: readonly number[], scenario: Scenario, plan: LoadPlan) {
  const cap = scenario.maxRequests?.();
  const connections = cap === undefined ? plan.concurrency : Math.min(plan.concurrency, Math.max(1, cap));
  if (plan.warmupSeconds > 0 && cap === undefined) {
    await drive(url, scenario, connections, plan.warmupSeconds, null, inFlight);
  }
  const latencies: number[] = [];
  const cpuBefore = cpuMs(pids);
  const result = await drive(url, scenario, connections, plan.seconds, latencies, inFlight);
  const cpu = cpuMs(pids) - cpuBefore;
  latencies.sort((a, b) => a - b);
  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats)) statusCodes[code] = count;
  const ok = statusCodes[String(scenario.expectStatus)] ?? 0;
  const served = result.requests.total;
  return {
    scenario: scenario.name,
    concurrency: connections,
    seconds: result.duration,
    ok,
    failed: served - ok + result.errors + result.timeouts,
    statusCodes,
    rps: result.duration > 0 ? ok / result.duration : 0,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMs: cpu,
    cpuMsPerRequest: served > 0 ? cpu / served : null,
  } satisfies Measurement;
}

/** Sends one request of a scenario outside any load, to check the route answers 2xx before measuring. */
export async function probe(url: URL, scenario: Scenario): Promise<{ status: number; body: string }> {
  const raw = toRaw(scenario.next(), scenario);
  const res = await fetch(new URL(raw.path ?? "/", url), {
    method: raw.method ?? "GET",
    ...(raw.headers ? { headers: raw.headers } : {}),
    ...(raw.body === undefined ? {} : { body: raw.body }),
  });
  const body = await res.text();
  if (res.status >= 200 && res.status < 300) scenario.onBody?.(body);
  return { status: res.status, body };
}

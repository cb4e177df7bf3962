/**
 * Where the time goes: the storage calls of each gateway scenario, from a separate workerd that
 * serves the same bundle behind the counting entry (bench/lib/counting-entry.ts). Per scenario it
 * reports the D1 round trips and Durable Object RPCs, the **critical-path depth** (sequential storage
 * hops before the response: calls that overlap, such as two RPCs in one `Promise.all`, are one hop)
 * and the **deferred** calls (started in `ctx.waitUntil` or still pending when the response was
 * complete). Authorize is counted twice: with one payment method reused across requests (as the load
 * runs when the gateway allows it) and with a fresh one per request, tokenized just before and not
 * counted. Each scenario's first request is a warm-up and is not counted.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { COUNTING_ENTRY } from "./counting-entry.ts";
import { type Scenario, toRaw } from "./load.ts";
import { GATEWAY_SCENARIOS, type GatewayScenario, openApiRoutes, type Pools, routeKey } from "./scenarios.ts";
import { call, probeReuse, type Seeded, seedMerchant, tokenizeCard } from "./seed.ts";
import { applyGatewayMigrations, type Bundle, type RunningWorker, serveBundle } from "./workerd.ts";

/** How an authorize got its payment method: the same one every time, or one tokenized just before. */
export type PaymentMethodMode = "reused_pm" | "fresh_pm";

/** One storage call of a counted request: its name, and its hop on the critical path (0: deferred). */
export interface CountedCall {
  name: string;
  hop: number;
}

/** What the counting build saw for one scenario (and, for authorize, one payment-method mode). */
export interface CallCount {
  scenario: string;
  mode?: PaymentMethodMode;
  /** Per request, averaged over the samples; all calls, deferred ones included. */
  d1Calls: number;
  doCalls: number;
  /** Sequential storage hops before the response, averaged over the samples. */
  depth: number;
  /** Calls that finished after the response, averaged over the samples. */
  deferred: number;
  /** The calls of the last sample. */
  calls: CountedCall[];
}

/** Every count of a run, or why there are none. */
export type PerRequestCounts = CallCount[] | string;

const SAMPLES = 4;

/** A per-request figure: whole numbers as they are, averages with one decimal. */
export const perRequest = (x: number): string => (Number.isInteger(x) ? String(x) : x.toFixed(1));

/** The scenario's label in reports: `authorize_manual (fresh pm)`. */
export function countLabel(c: CallCount): string {
  return c.mode ? `${c.scenario} (${c.mode === "fresh_pm" ? "fresh" : "reused"} pm)` : c.scenario;
}

/** The count that matches how the load ran a scenario (authorize: reused pm when the gateway allows it). */
export function countFor(counts: PerRequestCounts, scenario: string, reuse: boolean | null): CallCount | undefined {
  if (typeof counts === "string") return undefined;
  const all = counts.filter((c) => c.scenario === scenario);
  return all.find((c) => c.mode === undefined || c.mode === (reuse ? "reused_pm" : "fresh_pm")) ?? all[0];
}

/** A call as the counting entry reports it: logical ticks at its start and when it settled. */
interface RawCall {
  name: string;
  start: number;
  end: number;
}

/**
 * Assigns each call its hop: calls settled before the response are on the critical path, where a call
 * follows every call that settled before it started (longest chain, so parallel calls share a hop);
 * the others are deferred (hop 0). Returns the calls in start order and the depth.
 */
export function criticalPath(raw: readonly RawCall[], responded: number): { calls: CountedCall[]; depth: number } {
  const sorted = [...raw].sort((a, b) => a.start - b.start);
  const hops: number[] = [];
  sorted.forEach((c, i) => {
    if (c.end === 0 || c.end > responded) {
      hops.push(0);
      return;
    }
    const before = sorted.slice(0, i).map((p, j) => (p.end !== 0 && p.end < c.start ? (hops[j] ?? 0) : 0));
    hops.push(1 + Math.max(0, ...before));
  });
  return { calls: sorted.map((c, i) => ({ name: c.name, hop: hops[i] ?? 0 })), depth: Math.max(0, ...hops) };
}

/** The calls as one line: hops in order (parallel calls joined by `+`), then the deferred ones. */
export function describeCalls(calls: readonly CountedCall[], quote = (s: string) => s): string {
  const depth = Math.max(0, ...calls.map((c) => c.hop));
  const hops = Array.from({ length: depth }, (_, i) =>
    calls
      .filter((c) => c.hop === i + 1)
      .map((c) => quote(c.name))
      .join(" + "),
  );
  const deferred = calls.filter((c) => c.hop === 0).map((c) => quote(c.name));
  return `${hops.join(" → ")}${deferred.length > 0 ? `; after the response: ${deferred.join(", ")}` : ""}`;
}

interface Sample {
  d1: number;
  durable: number;
  depth: number;
  deferred: number;
  calls: CountedCall[];
}

/** Sends one request of the scenario and reads what the counting entry recorded, or null if not 2xx. */
async function send(base: URL, scenario: Scenario): Promise<Sample | null> {
  const raw = toRaw(scenario.next(), scenario);
  const res = await fetch(new URL(raw.path ?? "/", base), {
    method: raw.method ?? "GET",
    ...(raw.headers ? { headers: raw.headers } : {}),
    ...(raw.body === undefined ? {} : { body: raw.body }),
  });
  const text = await res.text();
  if (res.status < 200 || res.status >= 300) return null;
  scenario.onBody?.(text);
  const { calls, depth } = criticalPath(
    JSON.parse(res.headers.get("x-bench-calls") ?? "[]") as RawCall[],
    Number(res.headers.get("x-bench-responded") ?? 0),
  );
  return {
    d1: calls.filter((c) => !c.name.startsWith("DO ")).length,
    durable: calls.filter((c) => c.name.startsWith("DO ")).length,
    depth,
    deferred: calls.filter((c) => c.hop === 0).length,
    calls,
  };
}

function average(scenario: string, mode: PaymentMethodMode | undefined, samples: Sample[]): CallCount | null {
  const last = samples.at(-1);
  if (!last) return null;
  const mean = (f: (s: Sample) => number) => samples.reduce((n, s) => n + f(s), 0) / samples.length;
  return {
    scenario,
    ...(mode ? { mode } : {}),
    d1Calls: mean((s) => s.d1),
    doCalls: mean((s) => s.durable),
    depth: mean((s) => s.depth),
    deferred: mean((s) => s.deferred),
    calls: last.calls,
  };
}

/**
 * Counts one scenario over SAMPLES requests after one warm-up (the load runs on warm caches); in
 * `fresh_pm` mode each gets a payment method tokenized just before.
 */
async function countScenario(
  base: URL,
  s: GatewayScenario,
  seeded: Seeded | null,
  pools: Pools,
  mode?: PaymentMethodMode,
): Promise<CallCount | null> {
  const samples: Sample[] = [];
  for (let i = -1; i < SAMPLES; i++) {
    let ctx = { seeded, pools };
    if (mode === "fresh_pm" && seeded) {
      const pm = await tokenizeCard(base, seeded); // a request of its own, not counted
      if (pm === null) return null;
      ctx = { seeded, pools: { ...pools, reusablePaymentMethod: null, paymentMethods: [pm] } };
    }
    const scenario = s.build(ctx);
    if (typeof scenario === "string" || (scenario.maxRequests?.() ?? 1) <= 0) break;
    const sample = await send(base, scenario);
    if (sample && i >= 0) samples.push(sample); // the first request warms the isolate's caches
  }
  return average(s.name, mode, samples);
}

/** Serves the counting build, seeds a merchant, and counts calls for every scenario that answers 2xx. */
export async function countPerRequest(
  bundle: Bundle,
  configPath: string,
  secrets: Record<string, string>,
  persistDir: string,
  running: RunningWorker[],
): Promise<PerRequestCounts> {
  const entry = join(bundle.dir, "bench-count-entry.js");
  writeFileSync(entry, COUNTING_ENTRY);
  // Metrics are flushed after every answer (no batching delay), so the count sees the flush as a
  // deferred call without each counted request waiting out the delay.
  const worker = await serveBundle(
    configPath,
    { ...bundle, entry, extraModules: [bundle.entry] },
    { ...secrets, METRICS_FLUSH_MS: "0" },
    persistDir,
  );
  running.push(worker);
  await applyGatewayMigrations(worker.mf, join(configPath, ".."));
  const base = worker.url;
  const routes = openApiRoutes((await call(base, "GET", "/openapi.json")).body);
  const seed = await seedMerchant(base, secrets.OPERATOR_TOKEN ?? "");
  const seeded = "missing" in seed ? null : seed;
  const pools: Pools = { paymentMethods: [], manualIntents: [], automaticIntents: [], reusablePaymentMethod: null };
  const counts: CallCount[] = [];
  for (const s of GATEWAY_SCENARIOS) {
    if (s.routes.some((r) => !routes.has(routeKey(r))) || (s.authenticated && !seeded)) continue;
    if (s.name.startsWith("authorize") && seeded) {
      pools.reusablePaymentMethod ??= await probeReuse(base, seeded);
      const modes: PaymentMethodMode[] = pools.reusablePaymentMethod ? ["reused_pm", "fresh_pm"] : ["fresh_pm"];
      for (const mode of modes) {
        const count = await countScenario(base, s, seeded, pools, mode);
        if (count) counts.push(count);
      }
      continue;
    }
    const count = await countScenario(base, s, seeded, pools);
    if (count) counts.push(count);
  }
  return counts.length > 0 ? counts : "no scenario answered 2xx";
}

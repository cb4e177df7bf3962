/**
 * `npm run bench -- --profile`: where the CPU of one authorize goes. The gateway and the floor are
 * built unminified with a source map, served in workerd as the load runs them (same bindings,
 * migrations and seeding) but with the V8 inspector on, warmed up, and driven with a fixed number of
 * authorizes while the Worker's isolate (its Durable Objects included) is sampled over the Chrome
 * DevTools Protocol (`Profiler.*`). bench/lib/profile-report.ts reads the profiles per request.
 */
import { join } from "node:path";
import { measure, probe, type Scenario } from "./load.ts";
import { type CpuProfile, type ProfileSummary, summarize } from "./profile-report.ts";
import { FLOOR_SCENARIOS, GATEWAY_SCENARIOS, type Pools } from "./scenarios.ts";
import { probeReuse, seedMerchant } from "./seed.ts";
import {
  applyGatewayMigrations,
  applySql,
  type Bundle,
  buildBundle,
  floorSqlFiles,
  type RunningWorker,
  serveBundle,
  type ThreadTimes,
  threadTimes,
} from "./workerd.ts";

/** A Chrome DevTools Protocol session with the isolate of the Worker `name` in a workerd with an inspector. */
export async function inspect(worker: RunningWorker, name = "bench") {
  const host = (await worker.mf.getInspectorURL()).host;
  const targets = (await (await fetch(`http://${host}/json`)).json()) as { id: string; webSocketDebuggerUrl: string }[];
  const target = targets.find((t) => t.id === `core:user:${name}`);
  if (!target) throw new Error(`no inspector target core:user:${name} (${targets.map((t) => t.id).join(", ")})`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = () => fail(new Error(`inspector: cannot connect to ${target.webSocketDebuggerUrl}`));
  });
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  ws.onmessage = (event) => {
    const msg = JSON.parse(String(event.data)) as { id?: number; result?: unknown; error?: { message: string } };
    const waiter = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!waiter || msg.id === undefined) return; // an event
    pending.delete(msg.id);
    if (msg.error) waiter.fail(new Error(`inspector: ${msg.error.message}`));
    else waiter.ok(msg.result);
  };
  let next = 1;
  return {
    /** Sends one CDP command and resolves with its result. */
    send<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
      const id = next++;
      ws.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((ok, fail) => pending.set(id, { ok: ok as (v: unknown) => void, fail }));
    },
    close: () => ws.close(),
  };
}

/** How a profile is taken: warm-up and profiled requests, connections, and the sampling interval. */
export interface ProfilePlan {
  warmup: number;
  requests: number;
  concurrency: number;
  intervalUs: number;
  /** The gateway scenario profiled: `authorize_manual` or `authorize_automatic`. */
  scenario: string;
}

/** The busiest thread's on-CPU and run-queue time between two readings (the isolate's thread). */
function busiest(before: ThreadTimes[], after: ThreadTimes[]): Omit<ThreadTimes, "tid"> {
  const deltas = after.map((t) => {
    const b = before.find((x) => x.tid === t.tid);
    return { cpuMs: t.cpuMs - (b?.cpuMs ?? 0), waitMs: t.waitMs - (b?.waitMs ?? 0) };
  });
  return deltas.sort((a, b) => b.cpuMs - a.cpuMs)[0] ?? { cpuMs: 0, waitMs: 0 };
}

/** Warms up, then profiles `plan.requests` requests of the scenario at `plan.concurrency`, and summarizes them. */
export async function profileScenario(
  worker: RunningWorker,
  bundle: Bundle,
  root: string,
  scenario: Scenario,
  plan: ProfilePlan,
): Promise<ProfileSummary> {
  const session = await inspect(worker);
  try {
    const bounded = (n: number): Scenario => ({ ...scenario, maxRequests: () => n });
    const load = { concurrency: plan.concurrency, seconds: 600, warmupSeconds: 0 };
    await measure(worker.url, worker.pids, bounded(plan.warmup), load);
    await session.send("Profiler.enable");
    await session.send("Profiler.setSamplingInterval", { interval: plan.intervalUs });
    const before = threadTimes(worker.pids);
    await session.send("Profiler.start");
    const measured = await measure(worker.url, worker.pids, bounded(plan.requests), load);
    const { profile } = await session.send<{ profile: CpuProfile }>("Profiler.stop");
    const thread = busiest(before, threadTimes(worker.pids));
    await session.send("Profiler.disable");
    return summarize(profile, bundle, root, measured, thread);
  } finally {
    session.close();
  }
}

/** What `--profile` needs from the run: the checkout, a temp dir, the secrets, the workerds to stop, a logger. */
export interface ProfileContext {
  root: string;
  tmp: string;
  secrets: Record<string, string>;
  running: RunningWorker[];
  log: (message: string) => void;
}

/** Builds readable bundles of the gateway and the floor, serves them with inspectors, and profiles their authorizes. */
export async function profileAuthorize(ctx: ProfileContext, plan: ProfilePlan): Promise<ProfileSummary[]> {
  const serve = async (config: string, name: string, secrets: Record<string, string>) => {
    const bundle = buildBundle(config, join(ctx.tmp, `${name}-readable`), Object.keys(secrets), true);
    const worker = await serveBundle(config, bundle, secrets, join(ctx.tmp, `persist-profile-${name}`), 0);
    ctx.running.push(worker);
    return { bundle, worker };
  };
  ctx.log("building the gateway and the floor unminified with source maps");
  const gatewayConfig = join(ctx.root, "wrangler.toml");
  const gateway = await serve(gatewayConfig, "gateway", ctx.secrets);
  await applyGatewayMigrations(gateway.worker.mf, ctx.root);
  const seeded = await seedMerchant(gateway.worker.url, ctx.secrets.OPERATOR_TOKEN ?? "");
  if ("missing" in seeded) throw new Error(`cannot seed the bench merchant: ${seeded.missing}`);
  const pools: Pools = { paymentMethods: [], manualIntents: [], automaticIntents: [], reusablePaymentMethod: null };
  pools.reusablePaymentMethod = await probeReuse(gateway.worker.url, seeded);
  if (!pools.reusablePaymentMethod) throw new Error("the gateway refused to charge one payment method twice");
  const authorize = GATEWAY_SCENARIOS.find((s) => s.name === plan.scenario)?.build({ seeded, pools });
  if (typeof authorize !== "object") throw new Error(`${plan.scenario} cannot run: ${authorize}`);
  const first = await probe(gateway.worker.url, authorize);
  if (first.status !== authorize.expectStatus) throw new Error(`${plan.scenario} probe answered ${first.status}`);
  ctx.log(`profiling ${plan.requests} ${plan.scenario} at c=${plan.concurrency}, sampling every ${plan.intervalUs} µs`);
  const summaries = [await profileScenario(gateway.worker, gateway.bundle, ctx.root, authorize, plan)];

  const floor = await serve(join(ctx.root, "bench/floor/wrangler.toml"), "floor", {});
  await applySql(floor.worker.mf, "DB", floorSqlFiles(ctx.root));
  const authorizeFloor = FLOOR_SCENARIOS.find((s) => s.name === "authorize_floor");
  if (authorizeFloor) {
    ctx.log(`profiling ${plan.requests} authorize_floor`);
    summaries.push(await profileScenario(floor.worker, floor.bundle, ctx.root, authorizeFloor, plan));
  }
  return summaries;
}

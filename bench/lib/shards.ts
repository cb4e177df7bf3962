/**
 * `--shards`: the gateway with one merchant shard and with two (issue 13). Two merchants share the
 * load, alternating request by request; with one shard both live on `SHARD_0`, with two the
 * assignment rule puts one on each. The same authorize (manual capture, reused `pm_`) runs at each
 * concurrency against both deployments, so the table reads as the throughput two shards add.
 *
 * Locally every D1 database is a SQLite file served by the same workerd process on two cores, so
 * this measures what sharding costs on one machine (routing, the directory), not what it buys on
 * Cloudflare, where each shard is its own single-threaded writer (docs/scaling.md).
 */
import { join } from "node:path";
import { type Measurement, measure, probe, type Scenario } from "./load.ts";
import { GATEWAY_SCENARIOS, type Pools } from "./scenarios.ts";
import { probeReuse, type Seeded, seedMerchant } from "./seed.ts";
import { applyGatewayMigrations, type Bundle, type RunningWorker, serveBundle } from "./workerd.ts";

/** What the shards run needs from bench/run.ts. */
export interface ShardsContext {
  root: string;
  tmp: string;
  config: string;
  bundle: Bundle;
  secrets: Record<string, string>;
  running: RunningWorker[];
  log: (message: string) => void;
}

/** One deployment's measurements, and which shard each merchant landed on (from the directory). */
export interface ShardsRun {
  shards: number;
  merchantShards: number[];
  runs: Measurement[];
}

/** Authorize of one seeded merchant with a reusable payment method, and the merchant's id. */
async function merchantAuthorize(base: URL, operator: string): Promise<{ merchantId: string; scenario: Scenario }> {
  const seeded: Seeded | { missing: string } = await seedMerchant(base, operator);
  if ("missing" in seeded) throw new Error(`cannot seed a merchant: ${seeded.missing}`);
  const pools: Pools = { paymentMethods: [], manualIntents: [], automaticIntents: [], reusablePaymentMethod: null };
  pools.reusablePaymentMethod = await probeReuse(base, seeded);
  if (!pools.reusablePaymentMethod) throw new Error("the gateway refused to charge one payment method twice");
  const built = GATEWAY_SCENARIOS.find((s) => s.name === "authorize_manual")?.build({ seeded, pools });
  if (typeof built !== "object") throw new Error(`authorize_manual cannot run: ${built}`);
  return { merchantId: seeded.merchantId, scenario: built };
}

/** Serves the gateway with `shards` shards, seeds two merchants and measures their alternating authorizes. */
async function measureWith(
  ctx: ShardsContext,
  shards: number,
  plan: { concurrencies: readonly number[]; seconds: number; warmupSeconds: number },
): Promise<ShardsRun> {
  const served = (binding: string) => !binding.startsWith("SHARD_") || Number(binding.slice(6)) < shards;
  const worker = await serveBundle(
    ctx.config,
    ctx.bundle,
    ctx.secrets,
    join(ctx.tmp, `persist-shards-${shards}`),
    undefined,
    served,
  );
  ctx.running.push(worker);
  await applyGatewayMigrations(worker.mf, ctx.root, served);
  const operator = ctx.secrets.OPERATOR_TOKEN ?? "";
  const seeded = [await merchantAuthorize(worker.url, operator), await merchantAuthorize(worker.url, operator)];
  const control = await worker.mf.getD1Database("DB");
  const merchantShards = await Promise.all(
    seeded.map(async ({ merchantId }) =>
      Number(await control.prepare("SELECT shard FROM merchants WHERE id = ?").bind(merchantId).first("shard")),
    ),
  );
  const merchants = seeded.map((m) => m.scenario);
  let turn = 0;
  const first = merchants[0] as Scenario;
  const alternating: Scenario = { ...first, next: () => (merchants[turn++ % merchants.length] as Scenario).next() };
  const answer = await probe(worker.url, alternating);
  if (answer.status !== 200) throw new Error(`the authorize probe answered ${answer.status}`);
  const runs: Measurement[] = [];
  for (const concurrency of plan.concurrencies) {
    ctx.log(`shards=${shards} authorize_manual (two merchants) c=${concurrency}`);
    runs.push(await measure(worker.url, worker.pids, alternating, { ...plan, concurrency }));
  }
  await worker.mf.dispose();
  ctx.running.splice(ctx.running.indexOf(worker), 1);
  return { shards, merchantShards, runs };
}

/** Measures the one-shard and the two-shard deployment, one after the other. */
export async function benchShards(
  ctx: ShardsContext,
  plan: { concurrencies: readonly number[]; seconds: number; warmupSeconds: number },
): Promise<ShardsRun[]> {
  return [await measureWith(ctx, 1, plan), await measureWith(ctx, 2, plan)];
}

/** The markdown table of a shards run: each concurrency's two deployments side by side. */
export function renderShards(results: readonly ShardsRun[]): string {
  const one = results.find((r) => r.shards === 1);
  const two = results.find((r) => r.shards === 2);
  const lines = [
    `Merchants' shards: ${results.map((r) => `${r.shards} shard${r.shards > 1 ? "s" : ""}: ${r.merchantShards.join(", ")}`).join("; ")}.`,
    "",
    "| c | 1 shard: req/s | p50 ms | p99 ms | CPU ms/req | 2 shards: req/s | p50 ms | p99 ms | CPU ms/req | 2 / 1 |",
    "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
  ];
  const f = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? "" : x.toFixed(d));
  for (const a of one?.runs ?? []) {
    const b = two?.runs.find((r) => r.concurrency === a.concurrency);
    const ratio = b && a.rps > 0 ? `${(b.rps / a.rps).toFixed(2)}x` : "";
    lines.push(
      `| ${a.concurrency} | ${f(a.rps, 0)} | ${f(a.p50Ms)} | ${f(a.p99Ms)} | ${f(a.cpuMsPerRequest, 3)} | ${f(b?.rps, 0)} | ${f(b?.p50Ms)} | ${f(b?.p99Ms)} | ${f(b?.cpuMsPerRequest, 3)} | ${ratio} |`,
    );
  }
  return lines.join("\n");
}

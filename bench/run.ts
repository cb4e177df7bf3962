/**
 * `npm run bench [-- --quick | --count | --profile | --shards]`: throughput, latency and CPU per request of the
 * gateway's payment paths, each read as a ratio to a floor Worker measured in the same run on the
 * same machine.
 *
 * 1. Builds the gateway and bench/floor with `wrangler deploy --dry-run` (bundle sizes) and profiles
 *    their startup with `wrangler check startup`.
 * 2. Serves each bundle in its own workerd (Miniflare, 127.0.0.1, temp persistence), applies the D1
 *    migrations, and seeds a merchant through the operator API with secrets generated for this run.
 * 3. At each concurrency runs the floor scenarios, then every gateway scenario whose routes exist.
 * 4. Counts the storage calls per request in a counting build (bench/lib/per-request.ts).
 * 5. Prints a table and the latency model and writes bench/out/latest.json (+ history; bench/out/
 *    is git-ignored). Every process it started is stopped on exit, error or Ctrl-C. `--count` does
 *    only the build and step 4 (a few seconds of load-free requests).
 * `--profile` instead samples the CPU of authorizes with V8's profiler (bench/lib/profile.ts), prints
 * µs per authorize by category and writes bench/out/profile-latest.json. `--shards` measures
 * authorizes of two merchants with one merchant shard and with two (bench/lib/shards.ts), prints the
 * table and writes bench/out/shards-latest.json.
 * Tracked files change only with `--record`: the run's JSON is also copied to bench/results/ (the
 * reference the docs cite) and a full run rewrites the figures in bench/README.md.
 */
import { execSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateLocalSecrets } from "../scripts/local-secrets.ts";
import { inFlight, type Measurement, measure, probe } from "./lib/load.ts";
import { renderLatencyBlock, updateReadme } from "./lib/markdown.ts";
import { countPerRequest } from "./lib/per-request.ts";
import { profileAuthorize } from "./lib/profile.ts";
import { renderProfile } from "./lib/profile-report.ts";
import {
  type BenchResults,
  compare,
  describeCounts,
  renderTable,
  type ScenarioOutcome,
  writeResults,
} from "./lib/report.ts";
import { FLOOR_SCENARIOS, GATEWAY_SCENARIOS, openApiRoutes, type Pools, routeKey } from "./lib/scenarios.ts";
import { call, describe, issueToken, probeReuse, seedMerchant } from "./lib/seed.ts";
import { benchShards, renderShards } from "./lib/shards.ts";
import { coldStarts, profileStartup } from "./lib/startup.ts";
import { judgeTargets } from "./lib/targets.ts";
import {
  applyGatewayMigrations,
  applySql,
  type Bundle,
  buildBundle,
  floorSqlFiles,
  type RunningWorker,
  serveBundle,
  workerdChildren,
} from "./lib/workerd.ts";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const quick = process.argv.includes("--quick");
const countOnly = process.argv.includes("--count");
const profileOnly = process.argv.includes("--profile");
const shardsOnly = process.argv.includes("--shards");
/** `--record`: also update the tracked reference (bench/results/, bench/README.md's figures). */
const record = process.argv.includes("--record");
/** Where every run writes (git-ignored). */
const OUT = "bench/out";
/** The tracked reference `--record` updates. */
const RECORDED = "bench/results";
/** The value of `--name=value` on the command line, if given. */
function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}
/**
 * `--profile`: authorizes profiled per Worker after a warm-up, at modest concurrency (`--c=N`), sampled
 * every 50 µs; `--scenario=authorize_automatic` profiles the automatic capture instead of the manual one.
 */
const PROFILE_PLAN = {
  warmup: 300,
  requests: 2000,
  concurrency: Number(flag("c") ?? 8),
  intervalUs: 50,
  scenario: flag("scenario") ?? "authorize_manual",
};
const PLAN = quick
  ? { concurrencies: [1, 16], seconds: 2, warmupSeconds: 0.5, startupRuns: 1, coldRuns: 3 }
  : { concurrencies: [1, 16, 64], seconds: 8, warmupSeconds: 1, startupRuns: 3, coldRuns: 5 };

const running: RunningWorker[] = [];
const tmp = mkdtempSync(join(tmpdir(), "edgepay-bench-"));
let cleaning: Promise<void> | null = null;

/** Stops the load, disposes every workerd this run started, and removes the temp dir. Every caller waits for the one clean-up. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    inFlight.instance?.stop();
    const pids = running.flatMap((w) => w.pids);
    await Promise.allSettled(running.map((w) => w.mf.dispose()));
    for (const pid of pids) {
      try {
        if (workerdChildren().includes(pid)) process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    rmSync(tmp, { recursive: true, force: true, maxRetries: 3 });
  })();
  return cleaning;
}

// Last resort, also when something else ends the process (Miniflare exits on SIGINT by itself):
// synchronous kills of the workerd pids this run recorded, and the temp dir.
process.on("exit", () => {
  const ours = new Set(workerdChildren()); // never signal a pid that is no longer our workerd child
  for (const pid of running.flatMap((w) => w.pids).filter((p) => ours.has(p))) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  rmSync(tmp, { recursive: true, force: true });
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}, stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

function log(message: string): void {
  console.error(`bench: ${message}`);
}

function git(): BenchResults["git"] {
  const run = (cmd: string) => execSync(cmd, { cwd: ROOT, encoding: "utf8" }).trim();
  try {
    return {
      commit: run("git rev-parse --short HEAD"),
      branch: run("git rev-parse --abbrev-ref HEAD"),
      dirty: run("git status --porcelain --untracked-files=no") !== "",
    };
  } catch {
    return { commit: "unknown", branch: "unknown", dirty: false };
  }
}

function machine(): BenchResults["machine"] {
  const model = /model name\s*:\s*(.+)/.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpus()[0]?.model ?? "?";
  return {
    nproc: cpus().length,
    cpuModel: model.trim(),
    memGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    loadAvgAtStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

async function start(config: string, bundle: Bundle, secrets: Record<string, string>): Promise<RunningWorker> {
  const worker = await serveBundle(config, bundle, secrets, join(tmp, `persist-${running.length}`));
  running.push(worker);
  return worker;
}

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const machineInfo = machine();
  const secrets = { ...(await generateLocalSecrets()) } as Record<string, string>;
  const secretNames = Object.keys(secrets);
  const gatewayConfig = join(ROOT, "wrangler.toml");
  const floorConfig = join(ROOT, "bench/floor/wrangler.toml");
  if (profileOnly) {
    const summaries = await profileAuthorize({ root: ROOT, tmp, secrets, running, log }, PROFILE_PLAN);
    console.log(renderProfile(summaries));
    const result = {
      startedAt,
      finishedAt: new Date().toISOString(),
      git: git(),
      machine: machineInfo,
      plan: PROFILE_PLAN,
    };
    saveJson("profile-latest.json", { ...result, profiles: summaries });
    return;
  }

  log(`${countOnly ? "count" : quick ? "quick" : "full"} run; building bundles (wrangler deploy --dry-run)`);
  const gatewayBundle = buildBundle(gatewayConfig, join(tmp, "gateway-dist"), secretNames);
  if (shardsOnly) {
    const ctx = { root: ROOT, tmp, config: gatewayConfig, bundle: gatewayBundle, secrets, running, log };
    const results = await benchShards(ctx, PLAN);
    console.log(renderShards(results));
    const meta = { startedAt, finishedAt: new Date().toISOString(), git: git(), machine: machineInfo, plan: PLAN };
    saveJson("shards-latest.json", { ...meta, results });
    return;
  }
  if (countOnly) {
    const counts = await countPerRequest(gatewayBundle, gatewayConfig, secrets, join(tmp, "persist-count"), running);
    console.log(describeCounts(counts).join("\n"));
    return;
  }
  const floorBundle = buildBundle(floorConfig, join(tmp, "floor-dist"));
  log("profiling startup (wrangler check startup)");
  const startupGateway = profileStartup(gatewayConfig, tmp, PLAN.startupRuns, secretNames);
  const startupFloor = profileStartup(floorConfig, tmp, PLAN.startupRuns);
  log("timing fresh workerd starts to the first answer");
  const coldFloor = await coldStarts(floorConfig, floorBundle, {}, "/hello", PLAN.coldRuns, tmp, running);
  const coldGateway = await coldStarts(
    gatewayConfig,
    gatewayBundle,
    secrets,
    "/__bench_first_request",
    PLAN.coldRuns,
    tmp,
    running,
  );

  log("starting workerd for the floor and the gateway");
  const floor = await start(floorConfig, floorBundle, {});
  await applySql(floor.mf, "DB", floorSqlFiles(ROOT));
  const gateway = await start(gatewayConfig, gatewayBundle, secrets);
  await applyGatewayMigrations(gateway.mf, ROOT);
  const base = gateway.url;

  const doc = await call(base, "GET", "/openapi.json");
  const routes = openApiRoutes(doc.body);
  const seed = await seedMerchant(base, secrets.OPERATOR_TOKEN ?? "");
  const seeded = "missing" in seed ? null : seed;
  log(
    seeded
      ? `seeded merchant ${seeded.merchantId} (rate limit ${seeded.rateLimit})`
      : `no merchant: ${"missing" in seed ? seed.missing : ""}`,
  );

  const pools: Pools = { paymentMethods: [], manualIntents: [], automaticIntents: [], reusablePaymentMethod: null };
  const payable = routes.has(routeKey("POST /v1/payment_methods")) && routes.has(routeKey("POST /v1/payment_intents"));
  if (seeded && payable) pools.reusablePaymentMethod = await probeReuse(base, seeded);

  const floorRuns: Measurement[] = [];
  const outcomes = new Map<string, ScenarioOutcome>(
    GATEWAY_SCENARIOS.map((s) => [s.name, { name: s.name, title: s.title, status: "measured", runs: [] }]),
  );
  for (const s of GATEWAY_SCENARIOS) {
    const outcome = outcomes.get(s.name);
    if (!outcome) continue;
    const absent = s.routes.filter((r) => !routes.has(routeKey(r)));
    if (absent.length > 0) Object.assign(outcome, { status: "missing", reason: `not served: ${absent.join(", ")}` });
    else if (s.authenticated && !seeded) {
      Object.assign(outcome, {
        status: "missing",
        reason: `no merchant to run as (${"missing" in seed ? seed.missing : ""})`,
      });
    }
  }

  for (const concurrency of PLAN.concurrencies) {
    const plan = { ...PLAN, concurrency };
    for (const scenario of FLOOR_SCENARIOS) {
      log(`floor/${scenario.name} c=${concurrency}`);
      floorRuns.push(await measure(floor.url, floor.pids, scenario, plan));
    }
    if (seeded) {
      const fresh = await issueToken(base, seeded.clientId, seeded.clientSecret);
      if (typeof fresh.body.access_token === "string") seeded.token = fresh.body.access_token;
    }
    for (const s of GATEWAY_SCENARIOS) {
      const outcome = outcomes.get(s.name);
      if (outcome?.status !== "measured") continue;
      const scenario = s.build({ seeded, pools });
      if (typeof scenario === "string") {
        log(`${s.name} c=${concurrency}: skipped, ${scenario}`);
        outcome.reason = `skipped at c=${concurrency}: ${scenario}`;
        continue;
      }
      const first = await probe(base, scenario);
      if (first.status < 200 || first.status >= 300) {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(first.body) as Record<string, unknown>;
        } catch {}
        Object.assign(outcome, {
          status: "failing",
          reason: `probe answered ${describe({ status: first.status, body })}`,
        });
        continue;
      }
      scenario.expectStatus = first.status;
      if ((scenario.maxRequests?.() ?? 1) <= 0) {
        log(`${s.name} c=${concurrency}: skipped, the probe took the last prepared object`);
        outcome.reason = `skipped at c=${concurrency}: the probe took the last prepared object`;
        continue;
      }
      log(`${s.name} c=${concurrency}`);
      const m = await measure(base, gateway.pids, scenario, plan);
      outcome.runs.push(compare(m, s.floor, floorRuns));
    }
  }

  for (const outcome of outcomes.values()) {
    if (outcome.status === "measured" && outcome.runs.length === 0) outcome.status = "skipped";
  }

  log("counting D1 and Durable Object calls per request");
  const perRequest = await countPerRequest(gatewayBundle, gatewayConfig, secrets, join(tmp, "persist-count"), running);

  const partial: Omit<BenchResults, "targets"> = {
    mode: quick ? "quick" : "full",
    startedAt,
    finishedAt: new Date().toISOString(),
    git: git(),
    machine: machineInfo,
    plan: { concurrencies: PLAN.concurrencies, seconds: PLAN.seconds, warmupSeconds: PLAN.warmupSeconds },
    setup: {
      seeded: seeded ? "operator API" : "missing" in seed ? seed.missing : "",
      rateLimit: seeded?.rateLimit ?? null,
      paymentMethodReuse: seeded && payable ? pools.reusablePaymentMethod !== null : null,
    },
    bundle: {
      gateway: { rawBytes: gatewayBundle.rawBytes, gzipBytes: gatewayBundle.gzipBytes },
      floor: { rawBytes: floorBundle.rawBytes, gzipBytes: floorBundle.gzipBytes },
    },
    startup: {
      method:
        "wrangler check startup: CPU profile of the startup phase in a local workerd; active = sampled time not idle " +
        "(includes wrangler's harness, hence the floor figure); median of the runs. Cold: a fresh workerd from " +
        "new Miniflare() to its first answer (wall, including workerd boot) and its CPU by then; median of the runs.",
      gateway: startupGateway,
      floor: startupFloor,
      cold: { gateway: coldGateway, floor: coldFloor },
    },
    perRequest,
    floor: floorRuns,
    scenarios: [...outcomes.values()],
  };
  const results: BenchResults = { ...partial, targets: judgeTargets(partial) };
  console.log(renderTable(results));
  console.log(`\nlatency model (bench/README.md):\n${renderLatencyBlock(results)}`);
  const file = writeResults(join(ROOT, OUT), results);
  log(`wrote ${file}`);
  if (record) {
    mkdirSync(join(ROOT, RECORDED), { recursive: true });
    copyFileSync(file, join(ROOT, RECORDED, "latest.json"));
    log(`recorded ${RECORDED}/latest.json`);
    if (!quick) {
      updateReadme(join(ROOT, "bench/README.md"), results);
      log("updated the figures in bench/README.md");
    }
  } else log("tracked files unchanged (--record updates bench/results/ and bench/README.md)");
}

/** Writes `value` as JSON to bench/out/`name`, and with `--record` to bench/results/`name` too. */
function saveJson(name: string, value: unknown): void {
  const json = `${JSON.stringify(value, null, 2)}\n`;
  for (const dir of record ? [OUT, RECORDED] : [OUT]) {
    mkdirSync(join(ROOT, dir), { recursive: true });
    writeFileSync(join(ROOT, dir, name), json);
    log(`wrote ${dir}/${name}`);
  }
}

try {
  await main();
} catch (err) {
  console.error("bench: failed:", err instanceof Error ? (err.stack ?? err.message) : err);
  process.exitCode = 1;
} finally {
  await cleanup();
  process.exit(); // Miniflare's Node-side servers would otherwise keep the event loop alive
}

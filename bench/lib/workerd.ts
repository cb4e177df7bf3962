/**
 * Builds a Worker exactly as `wrangler deploy` would (`--dry-run --outdir`), then serves that bundle
 * in workerd through Miniflare on 127.0.0.1 with the bindings of its wrangler config, persistence in a
 * temp dir, and no inspector (unless the profile mode asks for one) or dev proxy in the request path.
 * One Miniflare instance is one workerd child process, whose /proc CPU times the harness reads.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { convertV4MiniflareOptions, Miniflare, type V4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { d1Bindings, MIGRATION_DIRS } from "../../scripts/d1.ts";

/** Environment for every wrangler call: offline, no telemetry, quiet. */
export const QUIET_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG: "warn",
  CI: "true",
};

/** The wrangler CLI of this checkout, run by the current Node (so `node bench/run.ts` works outside npm too). */
const WRANGLER_BIN = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** Runs wrangler with `args`, capturing its output. */
export function wrangler(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000) {
  const result = spawnSync(process.execPath, [WRANGLER_BIN, ...args], {
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    timeout: timeoutMs,
  });
  return {
    ok: result.status === 0,
    output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error?.message ?? ""}`,
  };
}

/** A bundle written by `wrangler deploy --dry-run`, with its size. */
export interface Bundle {
  dir: string;
  entry: string;
  rawBytes: number;
  gzipBytes: number;
  /** Modules the entry imports besides itself (paths under `dir`). */
  extraModules?: string[];
}

/**
 * Runs `wrangler deploy --dry-run --outdir <outdir>` for a config and measures the main module.
 * `readable` builds it unminified with a source map (`index.js.map`), for profiles.
 */
export function buildBundle(
  configPath: string,
  outdir: string,
  secretNames: readonly string[] = [],
  readable = false,
): Bundle {
  // wrangler checks `[secrets] required` against process.env; placeholder values never reach a Worker.
  const env: NodeJS.ProcessEnv = { ...QUIET_ENV };
  for (const name of secretNames) env[name] ??= "bench-build-placeholder";
  const args = ["deploy", "--dry-run", "--config", configPath, "--outdir", outdir];
  const result = wrangler(readable ? [...args, "--no-minify", "--upload-source-maps"] : args, env);
  if (!result.ok) throw new Error(`wrangler deploy --dry-run failed:\n${result.output}`);
  const entry = join(outdir, "index.js");
  const code = readFileSync(entry);
  return { dir: outdir, entry, rawBytes: statSync(entry).size, gzipBytes: gzipSync(code, { level: 9 }).length };
}

/** A Worker served by its own workerd process. */
export interface RunningWorker {
  url: URL;
  mf: Miniflare;
  /** Pids of the workerd processes serving this Worker. */
  pids: number[];
}

type ConfigOptions = Pick<
  Extract<V4MiniflareOptions, { modules?: unknown }>,
  "compatibilityDate" | "compatibilityFlags" | "d1Databases" | "durableObjects" | "bindings"
>;

/**
 * Serves a bundle in a fresh workerd with the bindings of `configPath` plus `secrets`; with
 * `inspectorPort` (0: any free port) workerd's V8 inspector listens there (`mf.getInspectorURL()`);
 * with `d1Only`, only the D1 bindings it accepts are served.
 */
export async function serveBundle(
  configPath: string,
  bundle: Bundle,
  secrets: Record<string, string>,
  persistDir: string,
  inspectorPort?: number,
  d1Only?: (binding: string) => boolean,
): Promise<RunningWorker> {
  Object.assign(process.env, secrets); // read by wrangler's config loader for `[secrets] required`
  // wrangler derives the bindings from the config (vars, D1, Durable Objects with SQLite) in Miniflare 4's
  // option shape; the shared keys below mean the same in miniflare's v4 converter.
  const wo = unstable_getMiniflareWorkerOptions(configPath).workerOptions as ConfigOptions;
  // `d1Only` leaves out the D1 bindings it refuses (the shards bench serves one shard this way).
  if (d1Only && wo.d1Databases && !Array.isArray(wo.d1Databases)) {
    wo.d1Databases = Object.fromEntries(Object.entries(wo.d1Databases).filter(([binding]) => d1Only(binding)));
  }
  const before = new Set(workerdChildren());
  const mf = new Miniflare({
    ...convertV4MiniflareOptions({
      name: "bench",
      compatibilityDate: wo.compatibilityDate,
      compatibilityFlags: wo.compatibilityFlags,
      d1Databases: wo.d1Databases,
      durableObjects: wo.durableObjects,
      bindings: { ...wo.bindings, ...secrets },
      modules: [bundle.entry, ...(bundle.extraModules ?? [])].map((path) => ({ type: "ESModule" as const, path })),
      modulesRoot: bundle.dir,
      host: "127.0.0.1",
      port: 0,
      ...(inspectorPort === undefined ? {} : { inspectorPort }),
    }),
    resourcePersistencePath: persistDir,
    // The gateway writes one info line per request (thousands per second under load): written, as in
    // production, and dropped here unread. Warnings and errors still show.
    handleStructuredLogs: ({ level, message }: { level: string; message: string }) => {
      if (level === "error" || level === "warn") console.error(message);
    },
  });
  const url = await mf.ready.catch(async (err: unknown) => {
    await mf.dispose().catch(() => undefined);
    throw err;
  });
  const pids = workerdChildren().filter((pid) => !before.has(pid));
  if (pids.length === 0) throw new Error("could not find the workerd process Miniflare started");
  return { url, mf, pids };
}

/** Applies SQL files in order to a D1 binding, split into statements by wrangler's own splitter. */
export async function applySql(mf: Miniflare, binding: string, files: readonly string[]): Promise<void> {
  const db = await mf.getD1Database(binding);
  for (const file of files) {
    const statements = unstable_splitSqlQuery(readFileSync(file, "utf8"))
      .map((s) => s.trim())
      .filter((s) => s !== "");
    await db.batch(statements.map((s) => db.prepare(s)));
  }
}

/** The migration files of a directory, in the order wrangler applies them. */
export function migrationFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d+.*\.sql$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/**
 * Applies the gateway's migrations to its databases: control to `DB`, shard to every `SHARD_<n>` of
 * wrangler.toml (those `d1Only` accepts, when given, as served by `serveBundle`).
 */
export async function applyGatewayMigrations(
  mf: Miniflare,
  root: string,
  d1Only: (binding: string) => boolean = () => true,
): Promise<void> {
  const toml = readFileSync(join(root, "wrangler.toml"), "utf8");
  for (const { binding, migrationsDir } of d1Bindings(undefined, toml)) {
    if (d1Only(binding)) await applySql(mf, binding, migrationFiles(join(root, migrationsDir)));
  }
}

/**
 * The SQL files of the floor's one D1, in order: the gateway's control and shard migrations (so
 * `authorize_floor` writes into the gateway's tables with every index the gateway pays, and follows
 * each migration), then the floor's own tables (`bench/floor/schema.sql`).
 */
export function floorSqlFiles(root: string): string[] {
  return [
    ...migrationFiles(join(root, MIGRATION_DIRS.control)),
    ...migrationFiles(join(root, MIGRATION_DIRS.shard)),
    join(root, "bench/floor/schema.sql"),
  ];
}

const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  cpuMs: number;
}

function readStat(pid: number | string): ProcStat | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "utf8");
    const close = s.lastIndexOf(")");
    const rest = s.slice(close + 2).split(" ");
    // Fields after the name: state(0) ppid(1) ... utime(11) stime(12).
    const ticks = Number(rest[11]) + Number(rest[12]);
    return {
      pid: Number(pid),
      comm: s.slice(s.indexOf("(") + 1, close),
      ppid: Number(rest[1]),
      cpuMs: (ticks * 1000) / CLK_TCK,
    };
  } catch {
    return null;
  }
}

/** Pids of workerd processes that are children of this Node process. */
export function workerdChildren(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(entry);
    if (stat && stat.ppid === process.pid && stat.comm.startsWith("workerd")) pids.push(stat.pid);
  }
  return pids;
}

/** utime + stime of the given processes (all threads), in milliseconds; resolution is one clock tick. */
export function cpuMs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) total += readStat(pid)?.cpuMs ?? 0;
  return total;
}

/** On-CPU and run-queue time of a thread, in ms (`/proc/<pid>/task/<tid>/schedstat`, ns resolution). */
export interface ThreadTimes {
  tid: number;
  cpuMs: number;
  waitMs: number;
}

/** Every thread of the given processes with its on-CPU and run-queue times so far. */
export function threadTimes(pids: readonly number[]): ThreadTimes[] {
  const threads: ThreadTimes[] = [];
  for (const pid of pids) {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const [cpu = 0, wait = 0] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
        threads.push({ tid: Number(tid), cpuMs: cpu / 1e6, waitMs: wait / 1e6 });
      } catch {
        // the thread ended
      }
    }
  }
  return threads;
}

/** Length of one clock tick in ms: the resolution of cpuMs(). */
export const CPU_TICK_MS = 1000 / CLK_TCK;

/**
 * Reads a V8 CPU profile of the Worker's isolate per request (for `npm run bench -- --profile`, see
 * bench/lib/profile.ts): each sample's self time goes to the source file of its function through the
 * bundle's source map (a native function counts for its nearest caller with a source), is summed by
 * category, and is scaled from sampled wall time to the isolate thread's CPU time. Renders the tables.
 *
 * V8 samples wall time: a sample lasts until the next one, also while the thread waits for a core on
 * a busy machine, so the non-idle samples are scaled to add up to the on-CPU time of the isolate's
 * thread over the window (`/proc/.../schedstat`). That thread also runs Miniflare's local D1 engine and
 * the Durable Objects' SQLite; their time shows up inside the native `fetch` of the D1 binding and the
 * native `sql.exec`, and is reported as storage, apart from code.
 */
import { readFileSync } from "node:fs";
import { SourceMap } from "node:module";
import { relative, resolve } from "node:path";
import type { Measurement } from "./load.ts";
import type { Bundle, ThreadTimes } from "./workerd.ts";

type CallFrame = { functionName: string; url: string; lineNumber: number; columnNumber: number };

/** A V8 CPU profile as `Profiler.stop` returns it (times in µs). */
export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per profile node in µs: a sample's time runs until the next sample. */
export function selfTimes(profile: Pick<CpuProfile, "samples" | "timeDeltas">): Map<number, number> {
  const self = new Map<number, number>();
  profile.samples.forEach((node, i) => {
    self.set(node, (self.get(node) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return self;
}

/**
 * Rows apart from the Worker's own code: `platform:` is the runtime's work in the isolate (billed to a
 * Worker in production too), `storage:` the local storage engines (production runs them elsewhere).
 */
const D1_ENGINE = "storage: D1 round trips (native fetch; here the local D1 engine)";
const DO_SQLITE = "storage: Durable Object SQLite (native sql.exec)";
const DISPATCH = "platform: natives with no JS caller (request dispatch)";

/** Code categories by source path (repo-relative, or the runtime's script URL); first match wins. */
const CATEGORIES: readonly (readonly [string, RegExp])[] = [
  ["JWT and merchant auth", /^src\/(middleware\/merchant-auth|crypto\/(jwt|verified-tokens|keyring))|\/jose\//],
  ["gate client (rate limit, idempotency)", /^src\/middleware\/gate/],
  ["gate Durable Object (JS)", /^src\/(durable\/|domain\/(token-bucket|idempotency|limits))/],
  ["vault crypto (WebCrypto included)", /^src\/(vault\/|crypto\/|db\/vault)/],
  ["simulator", /^src\/processor\//],
  ["response serialization", /^src\/(payments\/(serialize|answers)|lib\/echo)/],
  [
    "request parsing and zod validation",
    /\/(zod|@hono\/zod-openapi|@hono\/zod-validator|@asteasolutions)\/|^src\/(lib\/(form|validation|params|body-limits)|middleware\/body|routes\/[\w-]*schemas)/,
  ],
  ["Drizzle query building", /\/drizzle-orm\//],
  ["db modules (src/db)", /^src\/db\//],
  ["payments and ledger domain", /^src\/(payments|domain)\//],
  ["Hono routing, middleware, route handlers", /\/hono\/|^src\/(app|index|errors|middleware\/|routes\/|lib\/)/],
  ["floor Worker code", /^bench\/floor\//],
  ["other libraries", /node_modules\//],
  ["platform: D1 client (workerd's JS d1-api)", /^cloudflare-internal:d1/],
  ["platform: workerd's other JS", /^(cloudflare|node|workerd)[-:]/],
];

/** Frames that are not the Worker's work: reported apart from the categories. */
const EXCLUDED = new Set(["(program)", "(idle)", "(root)"]);

/** One function's self time, µs per request. */
export interface FunctionCost {
  name: string;
  /** `path:line` of the function (repo-relative, through the source map), or `(native)`. */
  source: string;
  category: string;
  us: number;
  /** For `srcFunctions`: the time charged to the function, by the category of the code that ran. */
  split?: Record<string, number>;
}

/** A profile read per request: µs by category and the costliest functions, all scaled to CPU time. */
export interface ProfileSummary {
  scenario: string;
  requests: number;
  /** µs per request: attributed to a category, `(program)` (runtime outside JS) and `(idle)` (wall time). */
  usPerRequest: { attributed: number; program: number; idle: number };
  /** µs per request by category, descending. */
  categories: { category: string; us: number }[];
  /** The functions with the most self time, descending (up to 100). */
  functions: FunctionCost[];
  /**
   * The gateway's own functions (`src/`) charged with the code time under them down to the next `src/`
   * function: their self time plus the library, workerd-JS-client and native time they call into
   * (storage, GC and dispatch rows left out), descending (up to 100).
   */
  srcFunctions: FunctionCost[];
  /** How sampled wall time became CPU time: the isolate thread's on-CPU and run-queue ms, the scale applied. */
  thread: { cpuMs: number; waitMs: number; sampledMs: number; scale: number };
  samples: number;
  /** Mean time between samples, µs (the requested interval is a lower bound). */
  meanIntervalUs: number;
  load: Measurement;
}

/** Maps a frame to its repo-relative `path:line` through the bundle's source map; its URL if not the bundle's. */
function locator(bundle: Bundle, root: string): (frame: CallFrame) => string | null {
  const map = new SourceMap(JSON.parse(readFileSync(`${bundle.entry}.map`, "utf8")));
  return ({ url, lineNumber, columnNumber }) => {
    if (url === "") return null;
    if (!url.endsWith("index.js")) return url;
    const entry = map.findEntry(lineNumber, columnNumber);
    if (!("originalSource" in entry)) return null;
    const path = relative(root, resolve(bundle.dir, entry.originalSource.replace(/^file:\/\//, "")));
    const modules = path.lastIndexOf("node_modules/");
    // drizzle-orm's own source maps point one level above the package (`node_modules/src/…`).
    const tidy =
      modules >= 0 ? path.slice(modules).replace(/^node_modules\/src\//, "node_modules/drizzle-orm/src/") : path;
    return `${tidy}:${entry.originalLine + 1}`;
  };
}

/** Attributes a profile's self time to functions and categories, per request, scaled to the thread's CPU time. */
export function summarize(
  profile: CpuProfile,
  bundle: Bundle,
  root: string,
  load: Measurement,
  thread: Omit<ThreadTimes, "tid">,
): ProfileSummary {
  const locate = locator(bundle, root);
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const cache = new Map<number, string | null>();
  const located = (id: number): string | null => {
    if (!cache.has(id)) cache.set(id, locate(frames.get(id) as CallFrame));
    return cache.get(id) ?? null;
  };
  const callerSource = (id: number): string | null => {
    for (let at = parent.get(id); at !== undefined; at = parent.get(at)) {
      const source = located(at);
      if (source !== null) return source;
    }
    return null;
  };
  const srcFrame = (id: number): number | undefined => {
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      if (located(at)?.startsWith("src/")) return at;
    }
    return undefined;
  };
  const categoryOf = (source: string) => CATEGORIES.find(([, re]) => re.test(source))?.[0] ?? "other";
  const classify = (id: number, name: string): string => {
    if (name === "(garbage collector)") return "platform: GC";
    const own = located(id);
    if (own !== null) return categoryOf(own);
    if (name === "exec") return DO_SQLITE;
    const caller = callerSource(id);
    if (caller === null) return DISPATCH;
    if (name === "fetch" && caller.startsWith("cloudflare-internal:d1")) return D1_ENGINE;
    return categoryOf(caller);
  };

  const self = selfTimes(profile);
  let idle = 0;
  for (const [id, us] of self) if (frames.get(id)?.functionName === "(idle)") idle += us;
  const sampledMs = ([...self.values()].reduce((a, b) => a + b, 0) - idle) / 1000;
  const scale = sampledMs > 0 ? thread.cpuMs / sampledMs : 1;
  const requests = load.ok + load.failed;
  const per = (us: number) => (us * scale) / Math.max(1, requests);

  const categories = new Map<string, number>();
  const functions = new Map<string, FunctionCost>();
  const srcFunctions = new Map<string, FunctionCost>();
  const add = (
    to: Map<string, FunctionCost>,
    name: string,
    source: string,
    category: string,
    us: number,
    ran?: string,
  ) => {
    const key = `${name} ${source}`;
    const fn = to.get(key) ?? { name, source, category, us: 0, ...(ran === undefined ? {} : { split: {} }) };
    fn.us += us;
    if (fn.split && ran !== undefined) fn.split[ran] = (fn.split[ran] ?? 0) + us;
    to.set(key, fn);
  };
  const usPerRequest = { attributed: 0, program: 0, idle: idle / Math.max(1, requests) };
  for (const [id, us] of self) {
    const name = frames.get(id)?.functionName || "(anonymous)";
    if (EXCLUDED.has(name)) {
      if (name !== "(idle)") usPerRequest.program += per(us);
      continue;
    }
    const category = classify(id, name);
    usPerRequest.attributed += per(us);
    categories.set(category, (categories.get(category) ?? 0) + per(us));
    const source = located(id) ?? `(native, in ${callerSource(id) ?? "no JS caller"})`;
    add(functions, name, source, category, per(us));
    const owner = /^(storage: |platform: (GC|natives))/.test(category) ? undefined : srcFrame(id);
    if (owner !== undefined) {
      const frame = frames.get(owner) as CallFrame;
      const own = located(owner) ?? "";
      add(srcFunctions, frame.functionName || "(anonymous)", own, categoryOf(own), per(us), category);
    }
  }
  const total = profile.timeDeltas.reduce((a, b) => a + b, 0);
  return {
    scenario: load.scenario,
    requests,
    usPerRequest,
    categories: [...categories].map(([category, us]) => ({ category, us })).sort((a, b) => b.us - a.us),
    functions: [...functions.values()].sort((a, b) => b.us - a.us).slice(0, 100),
    srcFunctions: [...srcFunctions.values()].sort((a, b) => b.us - a.us).slice(0, 100),
    thread: { ...thread, sampledMs, scale },
    samples: profile.samples.length,
    meanIntervalUs: total / Math.max(1, profile.samples.length),
    load,
  };
}

const us = (x: number | undefined) => (x === undefined ? "" : x.toFixed(0));

/** The tables: µs per request by category (the gateway next to the floor) and the gateway's top functions. */
export function renderProfile(summaries: readonly ProfileSummary[], top = 15): string {
  const [gateway, floor] = summaries;
  if (!gateway) return "no profile";
  const names = gateway.categories.map((c) => c.category);
  for (const c of floor?.categories ?? []) if (!names.includes(c.category)) names.push(c.category);
  const cell = (s: ProfileSummary | undefined, category: string) =>
    s?.categories.find((c) => c.category === category)?.us;
  const subtotal = (s: ProfileSummary | undefined, group: RegExp) =>
    s?.categories.filter((c) => group.test(c.category)).reduce((n, c) => n + c.us, 0);
  const code = /^(?!storage: |platform: )/;
  const platform = /^platform: /;
  const plus = (x: number | undefined, s: ProfileSummary | undefined) =>
    x === undefined || !s ? undefined : x + s.usPerRequest.program;
  const row = (f: FunctionCost) => `| \`${f.name}\` | \`${f.source}\` | ${f.category} | ${us(f.us)} |`;
  const split = (f: FunctionCost) =>
    Object.entries(f.split ?? {})
      .sort((a, b) => b[1] - a[1])
      .filter(([, x]) => x >= 10)
      .map(([category, x]) => `${category} ${us(x)}`)
      .join(", ");
  const line = (label: string, g: number | undefined, f: number | undefined) => `| ${label} | ${us(g)} | ${us(f)} |`;
  return [
    `µs of CPU per authorize by category (${gateway.requests} ${gateway.scenario}` +
      `${floor ? ` and ${floor.requests} ${floor.scenario}` : ""} at c=${gateway.load.concurrency}, ` +
      `${gateway.load.failed + (floor?.load.failed ?? 0)} not 2xx; ` +
      `sampled every ${us(gateway.meanIntervalUs)} µs on average, scaled by ${gateway.thread.scale.toFixed(2)} ` +
      "to the isolate thread's CPU)",
    "",
    "| category | gateway | floor |",
    "|---|--:|--:|",
    ...names.map((name) => line(name, cell(gateway, name), cell(floor, name))),
    line("(program): runtime outside JS", gateway.usPerRequest.program, floor?.usPerRequest.program),
    line("**Worker code (rows not marked platform or storage)**", subtotal(gateway, code), subtotal(floor, code)),
    line(
      "**platform (incl. program)**",
      plus(subtotal(gateway, platform), gateway),
      plus(subtotal(floor, platform), floor),
    ),
    line("**storage (local engines)**", subtotal(gateway, /^storage: /), subtotal(floor, /^storage: /)),
    line(
      "**total: the isolate thread's CPU per request**",
      gateway.usPerRequest.attributed + gateway.usPerRequest.program,
      floor ? floor.usPerRequest.attributed + floor.usPerRequest.program : undefined,
    ),
    "",
    `Top ${top} functions of ${gateway.scenario} by self time (µs per request):`,
    "",
    "| function | source | category | µs |",
    "|---|---|---|--:|",
    ...gateway.functions.slice(0, top).map(row),
    "",
    `Top ${top} src/ functions of ${gateway.scenario}, charged with the library and native code they call into (µs per request):`,
    "",
    "| function | source | µs | of which (≥ 10 µs) |",
    "|---|---|--:|---|",
    ...gateway.srcFunctions.slice(0, top).map((f) => `| \`${f.name}\` | \`${f.source}\` | ${us(f.us)} | ${split(f)} |`),
  ].join("\n");
}

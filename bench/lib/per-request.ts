/**
 * Where the time goes: counts D1 round trips and Durable Object RPCs per request of each gateway
 * scenario. A separate workerd serves the same bundle behind a counting entry module (written to the
 * temp dir, never shipped) that wraps `DB` and `MERCHANT_GATE` and reports the counts in response
 * headers, with the sequence of calls of the last request (`select payment_intents`, `batch[...]`,
 * `DO admit`). Requests run one at a time, so the per-isolate counters belong to one request.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { toRaw } from "./load.ts";
import { GATEWAY_SCENARIOS, openApiRoutes, type Pools, routeKey } from "./scenarios.ts";
import { call, seedMerchant } from "./seed.ts";
import { applySql, type Bundle, migrationFiles, type RunningWorker, serveBundle } from "./workerd.ts";

/** Counting entry: D1 round trips are batch/exec and first/all/run/raw on a statement; DO calls are stub methods. */
const COUNTING_ENTRY = String.raw`
import gateway from "./index.js";
export * from "./index.js";
const counts = { d1: 0, do: 0, sql: [] };
function shape(stmt) {
  const text = String(stmt?.statement ?? "").replace(/\s+/g, " ").trim();
  const verb = (/^\w+/.exec(text)?.[0] ?? "?").toLowerCase();
  const table = /\b(?:from|into|update)\s+["\x60]?(\w+)/i.exec(text)?.[1];
  return table ? verb + " " + table : text.slice(0, 24);
}
const patched = new WeakSet();
function countStatements(stmt) {
  const proto = Object.getPrototypeOf(stmt);
  if (!proto || patched.has(proto)) return stmt;
  patched.add(proto);
  for (const name of ["first", "all", "run", "raw"]) {
    const original = proto[name];
    if (typeof original === "function") proto[name] = function (...args) { counts.d1++; counts.sql.push(shape(this)); return Reflect.apply(original, this, args); };
  }
  return stmt;
}
function wrapDb(db) {
  return new Proxy(db, { get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (typeof value !== "function") return value;
    if (prop === "batch") return (...args) => { counts.d1++; counts.sql.push("batch[" + (args[0] ?? []).map(shape).join(", ") + "]"); return Reflect.apply(value, target, args); };
    if (prop === "exec") return (...args) => { counts.d1++; counts.sql.push("exec"); return Reflect.apply(value, target, args); };
    if (prop === "prepare") return (...args) => countStatements(Reflect.apply(value, target, args));
    return value.bind(target);
  } });
}
function wrapStub(stub) {
  return new Proxy(stub, { get(target, prop) {
    const value = target[prop];
    if (typeof value !== "function" || typeof prop === "symbol" || prop === "then") return value;
    return (...args) => { counts.do++; counts.sql.push("DO " + String(prop)); return Reflect.apply(value, target, args); };
  } });
}
function wrapNamespace(ns) {
  return new Proxy(ns, { get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (typeof value !== "function") return value;
    if (prop === "get" || prop === "getByName") return (...args) => wrapStub(Reflect.apply(value, target, args));
    return value.bind(target);
  } });
}
const wrapped = new WeakMap();
function wrapEnv(env) {
  let w = wrapped.get(env);
  if (!w) { w = { ...env, DB: wrapDb(env.DB), MERCHANT_GATE: wrapNamespace(env.MERCHANT_GATE) }; wrapped.set(env, w); }
  return w;
}
export default {
  async fetch(request, env, ctx) {
    counts.d1 = 0; counts.do = 0; counts.sql = [];
    const response = await gateway.fetch(request, wrapEnv(env), ctx);
    const body = await response.arrayBuffer();
    const headers = new Headers(response.headers);
    headers.set("x-bench-d1", String(counts.d1));
    headers.set("x-bench-do", String(counts.do));
    headers.set("x-bench-calls", JSON.stringify(counts.sql));
    return new Response(body, { status: response.status, headers });
  },
};
`;

/** D1 round trips and DO RPCs per request, averaged over a few requests, per scenario. */
export type PerRequestCounts = Record<string, { d1Calls: number; doCalls: number; calls?: string[] }>;

const SAMPLES = 4;

/** Serves the counting build, seeds a merchant, and counts calls for every scenario that answers 2xx. */
export async function countPerRequest(
  bundle: Bundle,
  configPath: string,
  secrets: Record<string, string>,
  persistDir: string,
  running: RunningWorker[],
): Promise<PerRequestCounts | string> {
  const entry = join(bundle.dir, "bench-count-entry.js");
  writeFileSync(entry, COUNTING_ENTRY);
  const worker = await serveBundle(configPath, { ...bundle, entry, extraModules: [bundle.entry] }, secrets, persistDir);
  running.push(worker);
  await applySql(worker.mf, "DB", migrationFiles(join(configPath, "..", "migrations")));
  const base = worker.url;
  const routes = openApiRoutes((await call(base, "GET", "/openapi.json")).body);
  const seed = await seedMerchant(base, secrets.OPERATOR_TOKEN ?? "");
  const seeded = "missing" in seed ? null : seed;
  const pools: Pools = { paymentMethods: [], manualIntents: [], automaticIntents: [], reusablePaymentMethod: null };
  const counts: PerRequestCounts = {};
  for (const s of GATEWAY_SCENARIOS) {
    if (s.routes.some((r) => !routes.has(routeKey(r))) || (s.authenticated && !seeded)) continue;
    const scenario = s.build({ seeded, pools });
    if (typeof scenario === "string") continue;
    let d1 = 0;
    let calls = 0;
    let ok = 0;
    let sequence: string[] = [];
    // Pool scenarios need their producer's output; produce at least SAMPLES per consumer.
    const n = s.name === "tokenize" ? SAMPLES * 2 : SAMPLES;
    for (let i = 0; i < n && (scenario.maxRequests?.() ?? 1) > 0; i++) {
      const raw = toRaw(scenario.next(), scenario);
      const res = await fetch(new URL(raw.path ?? "/", base), {
        method: raw.method ?? "GET",
        ...(raw.headers ? { headers: raw.headers } : {}),
        ...(raw.body === undefined ? {} : { body: raw.body }),
      });
      const text = await res.text();
      if (res.status < 200 || res.status >= 300) continue;
      scenario.onBody?.(text);
      ok++;
      d1 += Number(res.headers.get("x-bench-d1") ?? 0);
      calls += Number(res.headers.get("x-bench-do") ?? 0);
      sequence = JSON.parse(res.headers.get("x-bench-calls") ?? "[]") as string[];
    }
    if (ok > 0) counts[s.name] = { d1Calls: d1 / ok, doCalls: calls / ok, calls: sequence };
  }
  return Object.keys(counts).length > 0 ? counts : "no scenario answered 2xx";
}

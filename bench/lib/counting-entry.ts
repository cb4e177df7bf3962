/**
 * The counting build's entry module (written next to the gateway bundle in the temp dir, never
 * shipped). It wraps `DB`, every merchant shard `SHARD_<n>`, `MERCHANT_GATE` and `METRICS_ROLLUP`, and records every
 * D1 round trip (`batch`, `exec`, `first/all/run/raw` on a statement) and Durable Object RPC of a
 * request, with a logical clock: each call gets a tick when it starts and one when it settles, and
 * the response gets a tick once its body is read. Work the request leaves behind (`ctx.waitUntil`,
 * or calls still pending) is then awaited before answering, so it is recorded too. The calls go
 * back in the `x-bench-calls` header, the response's tick in `x-bench-responded`;
 * bench/lib/per-request.ts reads them.
 *
 * Requests must run one at a time: the recording belongs to the isolate, not to the request.
 */
export const COUNTING_ENTRY = String.raw`
import gateway from "./index.js";
export * from "./index.js";
let tick = 0;
let calls = null;
const pending = new Set();
function record(name, run) {
  const call = { name, start: ++tick, end: 0 };
  calls?.push(call);
  const settle = () => { call.end = ++tick; };
  let result;
  try { result = run(); } catch (err) { settle(); throw err; }
  if (!result || typeof result.then !== "function") { settle(); return result; }
  const done = Promise.resolve(result).then(
    (value) => { settle(); pending.delete(done); return value; },
    (err) => { settle(); pending.delete(done); throw err; },
  );
  pending.add(done);
  return done;
}
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
    if (typeof original === "function") proto[name] = function (...args) { return record(shape(this), () => Reflect.apply(original, this, args)); };
  }
  return stmt;
}
function wrapDb(db) {
  return new Proxy(db, { get(target, prop) {
    const value = Reflect.get(target, prop, target);
    if (typeof value !== "function") return value;
    if (prop === "batch") return (...args) => record("batch[" + (args[0] ?? []).map(shape).join(", ") + "]", () => Reflect.apply(value, target, args));
    if (prop === "exec") return (...args) => record("exec", () => Reflect.apply(value, target, args));
    if (prop === "prepare") return (...args) => countStatements(Reflect.apply(value, target, args));
    return value.bind(target);
  } });
}
function wrapStub(stub) {
  return new Proxy(stub, { get(target, prop) {
    const value = target[prop];
    if (typeof value !== "function" || typeof prop === "symbol" || prop === "then") return value;
    return (...args) => record("DO " + String(prop), () => Reflect.apply(value, target, args));
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
  if (!w) {
    w = { ...env, MERCHANT_GATE: wrapNamespace(env.MERCHANT_GATE), METRICS_ROLLUP: wrapNamespace(env.METRICS_ROLLUP) };
    for (const key of Object.keys(env)) if (key === "DB" || /^SHARD_\d+$/.test(key)) w[key] = wrapDb(env[key]);
    wrapped.set(env, w);
  }
  return w;
}
function wrapCtx(ctx, waits) {
  return new Proxy(ctx, { get(target, prop) {
    if (prop === "waitUntil") return (promise) => { waits.push(promise); target.waitUntil(promise); };
    const value = Reflect.get(target, prop, target);
    return typeof value === "function" ? value.bind(target) : value;
  } });
}
export default {
  async fetch(request, env, ctx) {
    const seen = [];
    const waits = [];
    calls = seen;
    const response = await gateway.fetch(request, wrapEnv(env), wrapCtx(ctx, waits));
    const body = await response.arrayBuffer();
    const responded = ++tick;
    const deadline = Date.now() + 10000;
    while ((waits.length > 0 || pending.size > 0) && Date.now() < deadline) {
      const timer = new Promise((resolve) => setTimeout(resolve, 1000));
      await Promise.race([Promise.allSettled([...waits.splice(0), ...pending]), timer]);
    }
    calls = null;
    const headers = new Headers(response.headers);
    headers.set("x-bench-calls", JSON.stringify(seen));
    headers.set("x-bench-responded", String(responded));
    return new Response(body, { status: response.status, headers });
  },
};
`;

/**
 * The bindings as the app sees them: every D1 database and Durable Object namespace wrapped so each
 * D1 round trip (a batch, exec, or a statement's first/all/run/raw) and each Durable Object RPC adds
 * one to the current request's meter (lib/meter.ts). The wrappers only count and pass every
 * call on unchanged. They are built once per isolate per `env` object (and the statements' wrappers
 * per statement), so the Drizzle clients cached per binding (db/client.ts) stay cached.
 */
import { currentMeter } from "../lib/meter";

const wrappedEnvs = new WeakMap<object, Env>();
const realStatements = new WeakMap<object, D1PreparedStatement>();

function isD1(value: unknown): value is D1Database {
  const v = value as Partial<D1Database> | null;
  return typeof v?.prepare === "function" && typeof v.batch === "function";
}

function isNamespace(value: unknown): value is DurableObjectNamespace {
  const v = value as Partial<DurableObjectNamespace> | null;
  return typeof v?.idFromName === "function" && typeof v.get === "function";
}

function countD1(): void {
  const meter = currentMeter();
  if (meter) meter.d1Calls++;
}

const EXECUTING = new Set(["first", "all", "run", "raw"]);

function statement(stmt: D1PreparedStatement): D1PreparedStatement {
  const wrapped = new Proxy(stmt, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "bind") return (...args: unknown[]) => statement(Reflect.apply(value, target, args));
      if (typeof prop === "string" && EXECUTING.has(prop)) {
        return (...args: unknown[]) => {
          countD1();
          return Reflect.apply(value, target, args);
        };
      }
      return value.bind(target);
    },
  });
  realStatements.set(wrapped, stmt);
  return wrapped;
}

function database(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "prepare") return (query: string) => statement(target.prepare(query));
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          countD1();
          return target.batch(stmts.map((s) => realStatements.get(s) ?? s));
        };
      }
      if (prop === "exec") {
        return (query: string) => {
          countD1();
          return target.exec(query);
        };
      }
      return value.bind(target);
    },
  });
}

/**
 * A stub whose method calls are counted. Every function-valued property is taken for an RPC method
 * and called on the real stub: nested RPC (`stub.child.method()`) and RPC properties are not
 * supported through it (the gateway's objects expose flat methods only).
 */
function stub<T extends object>(s: T): T {
  return new Proxy(s, {
    get(target, prop) {
      const value = Reflect.get(target, prop) as unknown;
      if (typeof value !== "function" || typeof prop === "symbol" || prop === "then") return value;
      return (...args: unknown[]) => {
        const meter = currentMeter();
        if (meter) meter.doCalls++;
        return Reflect.apply(value, target, args);
      };
    },
  });
}

function namespace(ns: DurableObjectNamespace): DurableObjectNamespace {
  return new Proxy(ns, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (prop === "get" || prop === "getByName") {
        return (...args: unknown[]) => stub(Reflect.apply(value, target, args) as object);
      }
      return value.bind(target);
    },
  });
}

/** `env` with its D1 databases and Durable Object namespaces counted into the current meter. */
export function meteredEnv(env: Env): Env {
  let wrapped = wrappedEnvs.get(env);
  if (!wrapped) {
    const copy: Record<string, unknown> = { ...env };
    for (const [key, value] of Object.entries(env)) {
      if (isD1(value)) copy[key] = database(value);
      else if (isNamespace(value)) copy[key] = namespace(value);
    }
    wrapped = copy as unknown as Env;
    wrappedEnvs.set(env, wrapped);
  }
  return wrapped;
}

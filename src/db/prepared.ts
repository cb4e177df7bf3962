/**
 * Statements built once, bound per request. Drizzle writes every statement's SQL from the schema,
 * and building it costs more CPU than anything else a payment request does; so the money paths
 * build each statement *shape* once per isolate and database, with `sql.placeholder(name)` for
 * every value (Drizzle's prepared queries), keep it under a key naming the shape (e.g. the columns
 * an UPDATE sets), and per request only bind values. A bound statement is a batch item `db.batch`
 * accepts, so batches (the atomicity guarantee) stay exactly as they were; its result comes back
 * through the prepared query's own mapper.
 *
 * Drizzle internals, checked against drizzle-orm 0.45.4 (test/db/prepared.test.ts fails if they
 * change): `SQLiteD1Session.batch` (d1/session.js) calls each item's `_prepare()` and uses what it
 * returns as a prepared query: `getQuery()` (its SQL and params), `stmt` (the D1 statement, bound
 * with the params) and `mapResult(result, true)`. A bound statement answers with the prepared
 * query's own, its params filled in as Drizzle's `fillPlaceholders` fills them (a placeholder by
 * its value, a column's placeholder through the column's encoder), resolved once per shape.
 */
import { is, Param, Placeholder } from "drizzle-orm";
import type { RunnableQuery } from "drizzle-orm/runnable-query";
import type { Db } from "./client";

/** The values of one request, by placeholder name. */
export type Values = Record<string, unknown>;

/** A Drizzle query builder that can be prepared (insert, update, select, with or without returning). */
export interface Preparable {
  prepare(): unknown;
}

/** The parts of Drizzle's D1 prepared query a batch uses (drizzle-orm 0.45.4, d1/session.js). */
interface D1Prepared {
  getQuery(): { sql: string; params: unknown[] };
  stmt: D1PreparedStatement;
  mapResult(result: unknown, isFromBatch?: boolean): unknown;
}

/** A batch item: a statement shape with one request's values bound. `R` is its result in the batch. */
export type Bound<R = unknown> = RunnableQuery<R, "sqlite">;

/** A statement shape Drizzle built once; `bind` makes the batch item for one request's values. */
export interface Statement {
  bind<R = unknown>(values: Values): Bound<R>;
}

function asD1Prepared(prepared: unknown): D1Prepared {
  const p = prepared as Partial<D1Prepared> | null;
  if (typeof p?.getQuery !== "function" || typeof p.mapResult !== "function" || typeof p.stmt?.bind !== "function") {
    throw new Error("prepared: drizzle-orm's D1 prepared query changed shape (checked against 0.45.4)");
  }
  return p as D1Prepared;
}

/** One param of a prepared query: a constant, or a placeholder's value (through a column's encoder). */
type Slot = { value: unknown } | { name: string; encode?: (value: unknown) => unknown };

/** `fillPlaceholders` of drizzle-orm 0.45.4, with the type checks of each param done once. */
function slotsOf(params: unknown[]): Slot[] {
  return params.map((p): Slot => {
    if (is(p, Placeholder)) return { name: p.name };
    if (is(p, Param) && is(p.value, Placeholder)) {
      const encoder = p.encoder;
      return { name: p.value.name, encode: (v) => encoder.mapToDriverValue(v) };
    }
    return { value: p };
  });
}

function fill(slots: Slot[], values: Values): unknown[] {
  return slots.map((slot) => {
    if ("value" in slot) return slot.value;
    if (!(slot.name in values)) throw new Error(`No value for placeholder "${slot.name}" was provided`);
    const value = values[slot.name];
    return slot.encode ? slot.encode(value) : value;
  });
}

function statementOf(prepared: D1Prepared): Statement {
  const { sql, params } = prepared.getQuery();
  const slots = slotsOf(params);
  return {
    bind<R>(values: Values) {
      const query = { sql, params: fill(slots, values) };
      // D1 cannot bind undefined; say which statement, as Drizzle would not get this far.
      if (query.params.includes(undefined)) throw new Error(`prepared: an undefined value for ${sql}`);
      const item = {
        _prepare: () => ({
          stmt: prepared.stmt,
          getQuery: () => query,
          mapResult: (result: unknown, isFromBatch?: boolean) => prepared.mapResult(result, isFromBatch),
        }),
      };
      return item as unknown as Bound<R>;
    },
  };
}

const shapes = new WeakMap<Db, Map<string, readonly Statement[]>>();

/**
 * The statements of the shape `key` on `db`, built by `build` (Drizzle builders over placeholders)
 * the first time and kept for the isolate's life. `key` must name everything `build` depends on.
 */
export function prepared<const T extends readonly Preparable[]>(
  db: Db,
  key: string,
  build: () => T,
): { readonly [K in keyof T]: Statement } {
  let byKey = shapes.get(db);
  if (!byKey) {
    byKey = new Map();
    shapes.set(db, byKey);
  }
  let found = byKey.get(key);
  if (!found) {
    found = build().map((b) => statementOf(asD1Prepared(b.prepare())));
    byKey.set(key, found);
  }
  return found as { readonly [K in keyof T]: Statement };
}

/** `prepared` for a shape of one statement. */
export function prepared1(db: Db, key: string, build: () => Preparable): Statement {
  return prepared(db, key, () => [build()] as const)[0];
}

/** Binds the same values to every statement of a shape, in order. */
export function bindAll(statements: readonly Statement[], values: Values): Bound[] {
  return statements.map((s) => s.bind(values));
}

/** Runs one bound statement on its own, as Drizzle's `.run()` does (one round trip, no batch). */
export async function runAlone(item: Bound): Promise<D1Result> {
  const p = (item as unknown as { _prepare(): D1Prepared })._prepare();
  return p.stmt.bind(...p.getQuery().params).run();
}

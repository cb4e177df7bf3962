/**
 * Counts the D1 round trips of the payment services: a wrapper around the real `DB` binding that
 * records each call (a batch, or one statement's first/all/run/raw) with its SQL and passes it on
 * unchanged. Nothing is faked; the wrapper only watches.
 */

import { env } from "cloudflare:workers";
import { forgetRouting, routingSnapshot } from "../../src/connectors/route";
import { dbOver } from "../../src/db/client";
import type { PaymentDeps } from "../../src/payments/deps";
import { type ProcessorFactory, processorFor } from "../../src/processor/index";
import { deps } from "./payments";
import { dbOf } from "./shards";

/** One round trip: its kind and the SQL of its statements. */
export interface RoundTrip {
  kind: "batch" | "first" | "all" | "run" | "raw" | "exec";
  sql: string[];
}

const real = new WeakMap<object, D1PreparedStatement>();

function watch(stmt: D1PreparedStatement, sql: string, log: RoundTrip[]): D1PreparedStatement {
  const wrapped = {
    sql,
    bind: (...values: unknown[]) => watch(stmt.bind(...values), sql, log),
    first: (col?: string) => {
      log.push({ kind: "first", sql: [sql] });
      return col === undefined ? stmt.first() : stmt.first(col);
    },
    all: () => {
      log.push({ kind: "all", sql: [sql] });
      return stmt.all();
    },
    run: () => {
      log.push({ kind: "run", sql: [sql] });
      return stmt.run();
    },
    raw: (options?: { columnNames?: boolean }) => {
      log.push({ kind: "raw", sql: [sql] });
      // biome-ignore lint/suspicious/noExplicitAny: raw's overloads differ only in the tuple shape.
      return stmt.raw(options as any);
    },
  } as unknown as D1PreparedStatement;
  real.set(wrapped, stmt);
  return wrapped;
}

/** A D1 binding that logs its round trips into `log`. */
export function countingDb(log: RoundTrip[], db: D1Database): D1Database {
  return {
    prepare: (sql: string) => watch(db.prepare(sql), sql, log),
    batch: (stmts: D1PreparedStatement[]) => {
      log.push({ kind: "batch", sql: stmts.map((s) => (s as unknown as { sql?: string }).sql ?? "?") });
      return db.batch(stmts.map((s) => real.get(s) ?? s));
    },
    exec: (sql: string) => {
      log.push({ kind: "exec", sql: [sql] });
      return db.exec(sql);
    },
    dump: () => db.dump(),
    withSession: (c?: string) => db.withSession(c),
  } as unknown as D1Database;
}

/**
 * Payment dependencies on the merchant's shard whose every D1 call (the payment services', the
 * vault's and the processor's) is logged. The built-in simulator makes none of its own for
 * ordinary cards. The merchant's routing snapshot is read first, uncounted: the steady state, in
 * which the isolate has it cached (connectors/route.ts); `coldRouting` drops it instead, so the
 * counted request reads it.
 */
export async function countedDeps(
  log: RoundTrip[],
  merchantId: string,
  processor?: ProcessorFactory,
  opts: { coldRouting?: boolean } = {},
): Promise<PaymentDeps> {
  const shard = await dbOf(merchantId);
  if (opts.coldRouting) forgetRouting(merchantId);
  else await routingSnapshot(shard, merchantId);
  const db = dbOver(countingDb(log, shard.$client));
  const factory = processor ?? processorFor;
  return {
    ...deps(db),
    db,
    processor: (claimed, connector) => factory({ env, db }, claimed, undefined, connector),
  };
}

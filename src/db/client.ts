/**
 * Drizzle clients over D1 bindings: the control database (`DB`) and, through db/shards.ts, the
 * merchant shards. Building one walks the whole schema (about 40 µs of CPU), so it is built once per
 * binding and isolate and shared: it only wraps the binding, holds no per-request state (D1 has no
 * interactive transactions; batches are single calls).
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

function build(binding: D1Database) {
  return drizzle(binding, { schema });
}

/** The Drizzle database type used by query modules, for the control database and the shards alike. */
export type Db = ReturnType<typeof build>;

const clients = new WeakMap<D1Database, Db>();

/** The Drizzle database over one D1 binding, built once per binding and isolate. */
export function dbOver(binding: D1Database): Db {
  let db = clients.get(binding);
  if (!db) {
    db = build(binding);
    clients.set(binding, db);
  }
  return db;
}

/** The control database (`DB`): merchants and the shard directory, API clients, operators, the audit log. */
export function controlDb(env: Pick<Env, "DB">): Db {
  return dbOver(env.DB);
}

/** One trivial round trip to the database, for the health check. */
export async function pingDb(db: Db): Promise<void> {
  await db.run(sql`select 1`);
}

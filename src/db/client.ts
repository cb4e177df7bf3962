/**
 * The Drizzle client over the `DB` D1 binding. Building one walks the whole schema (about 40 µs of
 * CPU), so it is built once per binding and isolate and shared: it only wraps the binding, holds no
 * per-request state (D1 has no interactive transactions; batches are single calls), and a request
 * that builds its dependencies (payments/deps.ts) gets the same client every other call site gets.
 */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

function build(binding: D1Database) {
  return drizzle(binding, { schema });
}

/** The Drizzle database type used by query modules. */
export type Db = ReturnType<typeof build>;

const clients = new WeakMap<D1Database, Db>();

/** Returns the Drizzle database over this environment's `DB` binding, built once per binding. */
export function getDb(env: Pick<Env, "DB">): Db {
  let db = clients.get(env.DB);
  if (!db) {
    db = build(env.DB);
    clients.set(env.DB, db);
  }
  return db;
}

/** One trivial round trip to the database, for the health check. */
export async function pingDb(db: Db): Promise<void> {
  await db.run(sql`select 1`);
}

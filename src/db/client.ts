/** The Drizzle client over the `DB` D1 binding. */
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** Returns a Drizzle database for this request's environment. Cheap: it wraps the binding. */
export function getDb(env: Pick<Env, "DB">) {
  return drizzle(env.DB, { schema });
}

/** The Drizzle database type used by query modules. */
export type Db = ReturnType<typeof getDb>;

/** One trivial round trip to the database, for the health check. */
export async function pingDb(db: Db): Promise<void> {
  await db.run(sql`select 1`);
}

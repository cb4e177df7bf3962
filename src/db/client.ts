/** The Drizzle client over the `DB` D1 binding. */
import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

/** Returns a Drizzle database for this request's environment. Cheap: it wraps the binding. */
export function getDb(env: Pick<Env, "DB">) {
  return drizzle(env.DB, { schema });
}

/** The Drizzle database type used by query modules. */
export type Db = ReturnType<typeof getDb>;

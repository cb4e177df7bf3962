/**
 * The merchant shards: D1 bindings `SHARD_0` … `SHARD_<n-1>` (wrangler.toml, numbered from 0 with no
 * gap), each holding every per-merchant table (src/db/schema/shard.ts). The control database's
 * `merchants.shard` column is the directory: which shard holds a merchant's objects. A merchant
 * gets its shard when it is created, by `leastFilledShard`; the per-request lookup rides on the
 * access-status cache (db/access-status.ts), so it costs no extra read. Outside src/db only the
 * dependency builder (payments/deps.ts), the background jobs' loops, the merchant move
 * (moves/move-merchant.ts) and the checkout page's lookup of a session by id (checkout/pay.ts) see a shard.
 */
import { count, eq } from "drizzle-orm";
import { controlDb, type Db, dbOver } from "./client";
import { merchants } from "./schema";

/** Most shards a deployment may bind: a guard against a runaway loop (a Worker can hold about 5,000 bindings). */
export const MAX_SHARDS = 5000;

/** The shard bindings of this environment, in index order (`SHARD_0` first), up to the first missing index. */
export function shardBindings(env: Env): D1Database[] {
  const bound = env as unknown as Record<string, D1Database | undefined>;
  const out: D1Database[] = [];
  for (let i = 0; i < MAX_SHARDS; i++) {
    const binding = bound[`SHARD_${i}`];
    if (binding === undefined) break;
    out.push(binding);
  }
  if (out.length === 0) throw new Error("No merchant shard is bound: wrangler.toml must declare SHARD_0.");
  return out;
}

/** The Drizzle database of shard `index`; throws when the deployment does not bind it (a configuration error). */
export function shardDb(env: Env, index: number): Db {
  const binding = (env as unknown as Record<string, D1Database | undefined>)[`SHARD_${index}`];
  if (binding === undefined) throw new Error(`Merchant shard SHARD_${index} is not bound in this deployment.`);
  return dbOver(binding);
}

/** Every shard's database, in index order: what background jobs iterate over. */
export function allShards(env: Env): Db[] {
  return shardBindings(env).map(dbOver);
}

/**
 * The assignment rule: the shard with the fewest merchants, ties going to the lowest index.
 * `merchantsPerShard[i]` is shard i's count; its length is the number of shards.
 */
export function leastFilledShard(merchantsPerShard: readonly number[]): number {
  if (merchantsPerShard.length === 0) throw new Error("leastFilledShard: no shard to choose from");
  let best = 0;
  for (let i = 1; i < merchantsPerShard.length; i++) {
    if ((merchantsPerShard[i] ?? 0) < (merchantsPerShard[best] ?? 0)) best = i;
  }
  return best;
}

/**
 * The shard a new merchant goes to among those bound, by `leastFilledShard` over the directory (one
 * indexed read). Two merchants created at the same instant may both get the same shard: the rule
 * balances counts over time, it does not need to be exact.
 */
export async function pickShard(env: Env): Promise<number> {
  const shards = shardBindings(env).length;
  const rows = await controlDb(env)
    .select({ shard: merchants.shard, n: count() })
    .from(merchants)
    .groupBy(merchants.shard);
  const counts = Array.from({ length: shards }, () => 0);
  for (const row of rows) if (row.shard >= 0 && row.shard < shards) counts[row.shard] = row.n;
  return leastFilledShard(counts);
}

/** The database holding a merchant's objects, read from the directory (no cache): for operator paths and tests, never the request path. */
export async function merchantShard(env: Env, merchantId: string): Promise<Db | undefined> {
  const row = await controlDb(env)
    .select({ shard: merchants.shard })
    .from(merchants)
    .where(eq(merchants.id, merchantId))
    .get();
  return row === undefined ? undefined : shardDb(env, row.shard);
}

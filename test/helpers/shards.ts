/** The databases behind a test merchant: its shard (from the directory) and every shard, for tests that read rows directly. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { controlDb, type Db } from "../../src/db/client";
import { merchants } from "../../src/db/schema";
import { allShards, merchantShard, shardDb } from "../../src/db/shards";
import { type SweepReport, sweepPayments } from "../../src/payments/actions";
import type { ProcessorFactory } from "../../src/processor/index";
import { newMerchant, type TestMerchant } from "./merchants";
import { deps } from "./payments";

/** The database holding the merchant's objects; throws for a merchant the directory does not know. */
export async function dbOf(merchantId: string): Promise<Db> {
  const db = await merchantShard(env, merchantId);
  if (!db) throw new Error(`no shard for merchant ${merchantId}`);
  return db;
}

/** Shard `index`'s database, for query-module tests whose rows belong to no created merchant. */
export function shard(index: number): Db {
  return shardDb(env, index);
}

/** Every shard's database. */
export function shards(): Db[] {
  return allShards(env);
}

/** Runs the payments sweep on every shard, as the cron does, and adds up the reports. */
export async function sweepAll(opts: { at?: number; processor?: ProcessorFactory } = {}): Promise<SweepReport> {
  const total: SweepReport = { expired: 0, reconciled: 0, failed: 0, truncated: false };
  for (const db of shards()) {
    const r = await sweepPayments(deps(db, opts));
    total.expired += r.expired;
    total.reconciled += r.reconciled;
    total.failed += r.failed;
    total.truncated ||= r.truncated;
  }
  return total;
}

/** What the vault runs on for this merchant: the test env and the merchant's shard. */
export async function vaultOf(merchantId: string, vaultEnv: Env = env): Promise<{ env: Env; db: Db }> {
  return { env: vaultEnv, db: await dbOf(merchantId) };
}

/** The merchant's shard index, from the directory. */
export async function shardIndexOf(merchantId: string): Promise<number> {
  const row = await controlDb(env)
    .select({ shard: merchants.shard })
    .from(merchants)
    .where(eq(merchants.id, merchantId))
    .get();
  if (!row) throw new Error(`no merchant ${merchantId}`);
  return row.shard;
}

/**
 * Two merchants on the same shard, so only the queries' merchant scope (not the shard) keeps them
 * apart: a tenant-isolation test proves nothing otherwise.
 */
export async function neighbours(): Promise<[TestMerchant, TestMerchant]> {
  const seen = new Map<number, TestMerchant>();
  for (;;) {
    const m = await newMerchant({ rateLimit: 1000 });
    const index = await shardIndexOf(m.merchantId);
    const other = seen.get(index);
    if (other) return [other, m];
    seen.set(index, m);
  }
}

/**
 * Where the queue consumers (webhooks/deliver.ts, webhooks/dead-letters.ts) find a merchant: its
 * shard from the directory and whether a move of it is under way, read together in one control
 * query and kept in a per-isolate cache for ROUTE_CACHE_TTL_MS.
 *
 * Why the TTL is short: a move (moves/move-merchant.ts) freezes the merchant and waits `drainMs`
 * (60 s) before copying. A consumer that read "no move" just before the move was claimed writes at
 * most ROUTE_CACHE_TTL_MS + the delivery timeout (10 s) later, well inside that drain; a consumer
 * that reads while the move is claimed writes nothing (`moving`) and retries the message later. A
 * finished move's source copy is stale until it is dropped: the directory names the target, and
 * that is where the consumer writes.
 */
import { eq } from "drizzle-orm";
import { TtlCache } from "../lib/ttl-cache";
import { controlDb, type Db } from "./client";
import { isFinished } from "./merchant-move";
import { merchantMoves, merchants } from "./schema";
import { shardDb } from "./shards";

/** How long one isolate trusts a merchant's route, in milliseconds (see the module comment). */
export const ROUTE_CACHE_TTL_MS = 5_000;
/** Most merchants whose route one isolate remembers. */
export const ROUTE_CACHE_MAX_ENTRIES = 1000;

/** Where a consumer may write for a merchant: its shard, nowhere while it moves, or nowhere at all (no such merchant). */
export type ConsumerRoute = { kind: "shard"; db: Db } | { kind: "moving" } | { kind: "unknown" };

type Cached = { kind: "shard"; shard: number } | { kind: "moving" } | { kind: "unknown" };

const cache = new TtlCache<string, Cached>({ maxEntries: ROUTE_CACHE_MAX_ENTRIES, ttlMs: ROUTE_CACHE_TTL_MS });

/**
 * True while a call works on the move (it holds the claim) and the move is not finished: from the
 * freeze to the thaw. An unclaimed unfinished move stopped (a copy that differed, a crash): the
 * directory still names where the merchant works, source before the switch, target after it.
 */
function moving(move: { step: (typeof merchantMoves.$inferSelect)["step"]; claimedUntil: number }, nowMs: number) {
  return !isFinished(move) && move.claimedUntil > nowMs;
}

/** The merchant's route for a consumer, from the cache or one control-DB read. */
export async function consumerRoute(env: Env, merchantId: string): Promise<ConsumerRoute> {
  let found = cache.get(merchantId);
  if (!found) {
    const readAt = Date.now();
    const row = await controlDb(env)
      .select({ shard: merchants.shard, step: merchantMoves.step, claimedUntil: merchantMoves.claimedUntil })
      .from(merchants)
      .leftJoin(merchantMoves, eq(merchantMoves.merchantId, merchants.id))
      .where(eq(merchants.id, merchantId))
      .get();
    if (!row) found = { kind: "unknown" };
    else if (
      row.step !== null &&
      row.claimedUntil !== null &&
      moving({ step: row.step, claimedUntil: row.claimedUntil }, readAt)
    ) {
      found = { kind: "moving" };
    } else found = { kind: "shard", shard: row.shard };
    // Counted from when the read began: a slow answer does not live longer.
    cache.set(merchantId, found, Math.max(0, ROUTE_CACHE_TTL_MS - (Date.now() - readAt)));
  }
  return found.kind === "shard" ? { kind: "shard", db: shardDb(env, found.shard) } : found;
}

/** Drops the merchant's remembered route in this isolate (a move calls it when it switches and when it ends). */
export function forgetConsumerRoute(merchantId: string): void {
  cache.delete(merchantId);
}

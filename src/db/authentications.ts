/**
 * Storage of 3-D Secure challenges (schema/authentications.ts): the insert that goes in the batch
 * of the intent's `action_required` change, the guarded finish that goes in the batch of the
 * challenge's answer, the lookup by id alone for the challenge page, and the sweep's expired ones.
 */
import { and, asc, eq, lt } from "drizzle-orm";
import { controlDb, type Db } from "./client";
import { getMerchant } from "./merchants";
import { notOf } from "./pagination";
import { authentications } from "./schema";
import { allShards, shardDb } from "./shards";

/** An authentications row. */
export type AuthenticationRow = typeof authentications.$inferSelect;

/** The insert of a new challenge, for its intent's batch. */
export function authenticationInsert(db: Db, row: AuthenticationRow) {
  return db.insert(authentications).values(row);
}

/** Marks a pending challenge answered (or expired); a challenge already finished is left as it is. */
export function authenticationFinish(db: Db, id: string, state: "succeeded" | "failed" | "expired", now: number) {
  return db
    .update(authentications)
    .set({ state, finishedAt: now })
    .where(and(eq(authentications.id, id), eq(authentications.state, "pending")));
}

/** A challenge found by id alone, with the shard that holds it. */
export interface LocatedAuthentication {
  row: AuthenticationRow;
  db: Db;
}

/**
 * The challenge with this id, on the shard its merchant is on (a stale copy left by a merchant
 * move is not found), for the challenge page whose capability is the id; undefined when unknown
 * or its merchant is not active.
 */
export async function locateAuthentication(env: Env, id: string): Promise<LocatedAuthentication | undefined> {
  const found = await Promise.all(
    allShards(env).map((db) => db.select().from(authentications).where(eq(authentications.id, id)).get()),
  );
  const any = found.find((r) => r !== undefined);
  if (!any) return undefined;
  const merchant = await getMerchant(controlDb(env), any.merchantId);
  if (merchant?.status !== "active") return undefined;
  const row = found[merchant.shard];
  return row ? { row, db: shardDb(env, merchant.shard) } : undefined;
}

/** Pending challenges expired before `now`, oldest first, leaving out `exceptMerchants`. */
export function authenticationsExpired(db: Db, now: number, limit: number, exceptMerchants: readonly string[] = []) {
  return db
    .select()
    .from(authentications)
    .where(
      and(
        eq(authentications.state, "pending"),
        lt(authentications.expiresAt, now),
        notOf(authentications.merchantId, exceptMerchants),
      ),
    )
    .orderBy(asc(authentications.expiresAt))
    .limit(limit)
    .all();
}

/**
 * Storage of payouts: the reads (one payout, by Idempotency-Key, a page of the merchant's, the open
 * ones the lifecycle run moves, the (merchant, currency) pairs with funds no payout holds yet). The
 * batches that create and move payouts are in payout-batches.ts. See docs/payouts.md.
 */
import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage, notOf } from "./pagination";
import { balanceTransactions, payouts } from "./schema";

/** A payouts row. */
export type PayoutRow = typeof payouts.$inferSelect;

/** A payout's status. */
export type PayoutStatus = PayoutRow["status"];

const po = payouts;
const bt = balanceTransactions;

/** The merchant's payout with this id, or undefined. */
export function getPayout(db: Db, merchantId: string, id: string): Promise<PayoutRow | undefined> {
  return db
    .select()
    .from(po)
    .where(and(eq(po.id, id), eq(po.merchantId, merchantId)))
    .get();
}

/** The merchant's payout created with this Idempotency-Key, or undefined. */
export function payoutByIdempotencyKey(db: Db, merchantId: string, key: string): Promise<PayoutRow | undefined> {
  return db
    .select()
    .from(po)
    .where(and(eq(po.merchantId, merchantId), eq(po.idempotencyKey, key)))
    .get();
}

/** A page of the merchant's payouts, newest first, optionally in one status, within a `created` range. */
export function listPayouts(db: Db, merchantId: string, filter: { status?: PayoutStatus }, page: PageRequest) {
  const scope = and(
    eq(po.merchantId, merchantId),
    filter.status === undefined ? undefined : eq(po.status, filter.status),
  );
  return listPage(
    db,
    { table: po, id: po.id, created: po.created, scope, cursorScope: eq(po.merchantId, merchantId) },
    page,
  );
}

/**
 * Up to `limit` payouts on this shard the lifecycle run must look at: every `pending` one (to send)
 * and every `in_transit` one due by `now` (to ask the bank), oldest arrival first, leaving out the
 * merchants in `skip`.
 */
export function openPayouts(
  db: Db,
  now: number,
  limit: number,
  skip: readonly string[] = [],
  seen: readonly string[] = [],
): Promise<PayoutRow[]> {
  return db
    .select()
    .from(po)
    .where(
      and(
        or(eq(po.status, "pending"), and(eq(po.status, "in_transit"), lte(po.arrivalDate, now))),
        notOf(po.merchantId, skip),
        notOf(po.id, seen),
      ),
    )
    .orderBy(po.arrivalDate, po.id)
    .limit(limit)
    .all();
}

/**
 * Up to `limit` (merchant, currency) pairs on this shard with available balance transactions no
 * payout contains, leaving out the merchants in `skip` and the pairs in `tried` (`<merchant>/<currency>`:
 * a merchant on a manual schedule stays a candidate, and must not hide the ones behind it).
 */
export function payoutCandidates(
  db: Db,
  limit: number,
  skip: readonly string[] = [],
  tried: readonly string[] = [],
): Promise<{ merchantId: string; currency: string }[]> {
  return db
    .selectDistinct({ merchantId: bt.merchantId, currency: bt.currency })
    .from(bt)
    .where(
      and(
        eq(bt.status, "available"),
        isNull(bt.payout),
        notOf(bt.merchantId, skip),
        tried.length > 0
          ? sql`${bt.merchantId} || '/' || ${bt.currency} not in (select value from json_each(${JSON.stringify(tried)}))`
          : undefined,
      ),
    )
    .limit(limit)
    .all();
}

/** The balance transactions contained in the merchant's payouts `ids` (their own included). */
export function containedIn(db: Db, merchantId: string, ids: readonly string[]) {
  return db
    .select()
    .from(bt)
    .where(and(eq(bt.merchantId, merchantId), inArray(bt.payout, [...ids])))
    .orderBy(bt.created, bt.id)
    .all();
}

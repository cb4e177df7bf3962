/** Storage of refunds: the row itself is written inside the intent's change batch (payment-intents.ts). */
import { and, asc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { createdRange, listPage } from "./pagination";
import { paymentIntents, refunds } from "./schema";

/** A refunds row. */
export type RefundRow = typeof refunds.$inferSelect;

/** The insert of a new refund, for the batch that reserves its amount on the intent. */
export function insertRefund(db: Db, row: RefundRow) {
  return db.insert(refunds).values(row);
}

/**
 * The insert of a new refund of the merchant's intent whose amount (`amount`, SQL over the intent
 * row), charge and currency come from the intent as the batch sees it, returning the row; and the
 * refund's own amount and currency as SQL, for the statements after it in the batch.
 */
export function insertRefundOf(
  db: Db,
  row: Omit<RefundRow, "charge" | "amount" | "currency">,
  amount: SQL,
): { insert: BatchItem<"sqlite">; amount: SQL; currency: SQL } {
  const pi = paymentIntents;
  const of = (col: SQL) =>
    sql`(select ${col} from ${pi} where ${pi.id} = ${row.paymentIntentId} and ${pi.merchantId} = ${row.merchantId})`;
  const insert = db
    .insert(refunds)
    .values({
      ...row,
      charge: of(sql`coalesce(${pi.latestCharge}, '')`),
      amount: of(amount),
      currency: of(sql`${pi.currency}`),
    })
    .returning();
  const mine = sql`${refunds.id} = ${row.id}`;
  return {
    insert,
    amount: sql`(select ${refunds.amount} from ${refunds} where ${mine})`,
    currency: sql`(select ${refunds.currency} from ${refunds} where ${mine})`,
  };
}

/** Marks a pending refund finished; a refund that is no longer pending is left as it is. */
export function setRefundStatus(
  db: Db,
  id: string,
  status: "succeeded" | "failed",
  failureReason: string | null = null,
) {
  return db
    .update(refunds)
    .set({ status, failureReason })
    .where(and(eq(refunds.id, id), eq(refunds.status, "pending")));
}

/** The merchant's refund with this id, or undefined. */
export function getRefund(db: Db, merchantId: string, id: string): Promise<RefundRow | undefined> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.id, id), eq(refunds.merchantId, merchantId)))
    .get();
}

/** The merchant's refund created with this idempotency key, or undefined. */
export function refundByIdempotencyKey(db: Db, merchantId: string, key: string): Promise<RefundRow | undefined> {
  return refundByIdempotencyKeyQuery(db, merchantId, key).get();
}

/** `refundByIdempotencyKey` as a query (at most one row), to share a batch with other reads. */
export function refundByIdempotencyKeyQuery(db: Db, merchantId: string, key: string) {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.merchantId, merchantId), eq(refunds.idempotencyKey, key)))
    .limit(1);
}

/** Refunds still `pending` (unknown processor outcome) created before `before`, oldest first. */
export function refundsPendingBefore(db: Db, before: number, limit: number): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.status, "pending"), lt(refunds.created, before)))
    .orderBy(asc(refunds.created))
    .limit(limit)
    .all();
}

/** A page of the merchant's refunds, newest first, optionally of one intent and within a `created` range. */
export function listRefunds(
  db: Db,
  merchantId: string,
  filter: { paymentIntent?: string; "created[gte]"?: number; "created[lte]"?: number },
  page: PageRequest,
) {
  const t = refunds;
  const scope = and(
    eq(t.merchantId, merchantId),
    filter.paymentIntent === undefined ? undefined : eq(t.paymentIntentId, filter.paymentIntent),
    createdRange(t.created, filter),
  );
  return listPage(db, { table: t, id: t.id, created: t.created, scope }, page);
}

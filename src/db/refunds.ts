/** Storage of refunds: the row itself is written inside the intent's change batch (payment-intents.ts). */
import { and, asc, eq, getTableColumns, lt, type SQL, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage, notOf } from "./pagination";
import { type Bound, prepared1, type Values } from "./prepared";
import { paymentIntents, refunds } from "./schema";

/** A refunds row. */
export type RefundRow = typeof refunds.$inferSelect;

/** Every column of a refund row as a placeholder of the same name. */
const refundPlaceholders = () =>
  Object.fromEntries(Object.keys(getTableColumns(refunds)).map((k) => [k, sql.placeholder(k)])) as unknown as Record<
    keyof RefundRow,
    ReturnType<typeof sql.placeholder>
  >;

/** The insert of a new refund, for the batch that reserves its amount on the intent. */
export function insertRefund(db: Db, row: RefundRow): Bound {
  return prepared1(db, "refunds.insert", () => db.insert(refunds).values(refundPlaceholders())).bind(row);
}

/**
 * The insert of a new refund of the merchant's intent whose amount (`amount`, SQL over the intent
 * row), charge and currency come from the intent as the batch sees it, returning the row; and the
 * refund's own amount and currency as SQL, for the statements after it in the batch (under `key`,
 * with their `values`, as `postMovementOf` takes them). `amount` is named by `key` (the insert is
 * built once per key) and its placeholders are bound from `values`; `intent`, when given, is the
 * intent's id as SQL (named by its own key) instead of the row's `paymentIntentId`.
 */
export function insertRefundOf(
  db: Db,
  row: Omit<RefundRow, "charge" | "amount" | "currency">,
  amount: { key: string; sql: SQL; values: Values },
  intent?: { key: string; sql: SQL },
): { insert: Bound; key: string; amount: SQL; currency: SQL; values: Values } {
  const insert = prepared1(db, `refunds.insertOf:${amount.key}:${intent?.key ?? "id"}`, () => {
    const pi = paymentIntents;
    const { charge: _c, amount: _a, currency: _cur, ...cols } = refundPlaceholders();
    const intentId = intent?.sql ?? cols.paymentIntentId;
    const of = (col: SQL) =>
      sql`(select ${col} from ${pi} where ${pi.id} = ${intentId} and ${pi.merchantId} = ${cols.merchantId})`;
    return db
      .insert(refunds)
      .values({
        ...cols,
        paymentIntentId: intentId,
        charge: of(sql`coalesce(${pi.latestCharge}, '')`),
        amount: of(amount.sql),
        currency: of(sql`${pi.currency}`),
      })
      .returning();
  });
  const mine = sql`${refunds.id} = ${sql.placeholder("refundId")}`;
  return {
    insert: insert.bind({ ...amount.values, ...row }),
    key: "refund",
    amount: sql`(select ${refunds.amount} from ${refunds} where ${mine})`,
    currency: sql`(select ${refunds.currency} from ${refunds} where ${mine})`,
    values: { refundId: row.id },
  };
}

/** Marks a pending refund finished; a refund that is no longer pending is left as it is. */
export function setRefundStatus(
  db: Db,
  id: string,
  status: "succeeded" | "failed",
  failureReason: string | null = null,
  failureBalanceTransaction: string | null = null,
): Bound {
  return prepared1(db, "refunds.setStatus", () =>
    db
      .update(refunds)
      .set({
        status: sql`${sql.placeholder("status")}`,
        failureReason: sql`${sql.placeholder("failureReason")}`,
        failureBalanceTransaction: sql`${sql.placeholder("failureBt")}`,
      })
      .where(and(eq(refunds.id, sql.placeholder("id")), eq(refunds.status, "pending"))),
  ).bind({ id, status, failureReason, failureBt: failureBalanceTransaction });
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
export function refundsPendingBefore(
  db: Db,
  before: number,
  limit: number,
  exceptMerchants: readonly string[] = [],
): Promise<RefundRow[]> {
  return db
    .select()
    .from(refunds)
    .where(and(eq(refunds.status, "pending"), lt(refunds.created, before), notOf(refunds.merchantId, exceptMerchants)))
    .orderBy(asc(refunds.created))
    .limit(limit)
    .all();
}

/** A page of the merchant's refunds, newest first, optionally of one intent and within a `created` range. */
export function listRefunds(db: Db, merchantId: string, filter: { paymentIntent?: string }, page: PageRequest) {
  const t = refunds;
  const scope = and(
    eq(t.merchantId, merchantId),
    filter.paymentIntent === undefined ? undefined : eq(t.paymentIntentId, filter.paymentIntent),
  );
  return listPage(db, { table: t, id: t.id, created: t.created, scope }, page);
}

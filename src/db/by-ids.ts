/**
 * Reads of many objects of one merchant by id, for `expand[]`: each is one query (not yet run) so
 * that every read of one expansion level shares a single D1 batch. Ids of another merchant, or
 * that name nothing, simply match no row. D1 binds at most 100 parameters per statement, so a
 * caller passes at most `MAX_IDS_PER_QUERY` ids (`idChunks` splits a longer list).
 */
import { and, eq, getTableColumns, inArray, sql } from "drizzle-orm";
import type { Db } from "./client";
import { balanceTransactions, charges, customers, paymentIntents, paymentMethods } from "./schema";

/** Most ids one query binds (D1's limit of 100 bound parameters, less the merchant id and some room). */
export const MAX_IDS_PER_QUERY = 90;

/** `ids` in runs of at most MAX_IDS_PER_QUERY, each to be read by one query. */
export function idChunks(ids: readonly string[]): string[][] {
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += MAX_IDS_PER_QUERY) chunks.push(ids.slice(i, i + MAX_IDS_PER_QUERY));
  return chunks;
}

/** The merchant's PaymentIntents with these ids. */
export function intentsByIds(db: Db, merchantId: string, ids: string[]) {
  return db
    .select()
    .from(paymentIntents)
    .where(and(eq(paymentIntents.merchantId, merchantId), inArray(paymentIntents.id, ids)));
}

/**
 * The merchant's charges with these ids, each with the intent columns a charge shows, as one JSON
 * column `intent` (no join: in a batch, rows come back as objects and same-named columns collide).
 */
export function chargesByIds(db: Db, merchantId: string, ids: string[]) {
  const pi = paymentIntents;
  const intent = sql<string>`(select json_object('latestCharge', ${pi.latestCharge}, 'amountReceived', ${pi.amountReceived}, 'amountRefunded', ${pi.amountRefunded}, 'description', ${pi.description}, 'metadata', ${pi.metadata}, 'statementDescriptor', ${pi.statementDescriptor}) from ${pi} where ${pi.id} = ${charges.paymentIntentId})`;
  return db
    .select({ ...getTableColumns(charges), intent: intent.as("intent") })
    .from(charges)
    .where(and(eq(charges.merchantId, merchantId), inArray(charges.id, ids)));
}

/** The merchant's customers with these ids. */
export function customersByIds(db: Db, merchantId: string, ids: string[]) {
  return db
    .select()
    .from(customers)
    .where(and(eq(customers.merchantId, merchantId), inArray(customers.id, ids)));
}

/** The merchant's payment methods with these ids (detached ones too, as a retrieve shows them). */
export function paymentMethodsByIds(db: Db, merchantId: string, ids: string[]) {
  return db
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.merchantId, merchantId), inArray(paymentMethods.id, ids)));
}

/** The merchant's balance transactions with these ids. */
export function balanceTransactionsByIds(db: Db, merchantId: string, ids: string[]) {
  const bt = balanceTransactions;
  return db
    .select()
    .from(bt)
    .where(and(eq(bt.merchantId, merchantId), inArray(bt.id, ids)));
}

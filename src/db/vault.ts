/**
 * Queries of the card vault tables. Every read and write is scoped by merchant id, so a row of
 * another merchant behaves exactly like a missing one.
 */
import { and, asc, count, eq, exists, gt, inArray, isNotNull, lt, lte, type SQL, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { Db } from "./client";
import { DETACHED } from "./customers";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { type EventOrigin, eventInsert } from "./events";
import { type Bound, bindAll, prepared, prepared1 } from "./prepared";
import { customers, paymentMethods, tokenRedemptions, tokens } from "./schema";

/** A payment-method row as stored. */
export type PaymentMethodRow = typeof paymentMethods.$inferSelect;
/** A token row as stored. */
export type TokenRow = typeof tokens.$inferSelect;

/** Most expired CVCs cleared per statement, so one request never does unbounded work. */
export const CVC_PURGE_BATCH = 100;

/** Clears CVC ciphertexts past their expiry (a bounded batch); part of every vault write. */
export function purgeExpiredCvcs(db: Db, now: number) {
  const expired = db
    .select({ id: paymentMethods.id })
    .from(paymentMethods)
    .where(lte(paymentMethods.cvcExpiresAt, now))
    .limit(CVC_PURGE_BATCH);
  return db
    .update(paymentMethods)
    .set({ cvcCiphertext: null, cvcExpiresAt: null })
    .where(inArray(paymentMethods.id, expired))
    .returning({ id: paymentMethods.id });
}

/**
 * Inserts a payment method (and its token, if any) atomically, purging expired CVCs in the same
 * batch. When a create of the same kind under the row's idempotency key already made one, nothing
 * is written and that one (with its token) is returned instead.
 */
export async function insertPaymentMethod(
  db: Db,
  row: PaymentMethodRow,
  token?: TokenRow,
): Promise<{ paymentMethod: PaymentMethodRow; token?: TokenRow } | undefined> {
  const insertPm = db.insert(paymentMethods).values(row);
  const purge = purgeExpiredCvcs(db, row.created);
  try {
    if (token) await db.batch([insertPm, db.insert(tokens).values(token), purge]);
    else await db.batch([insertPm, purge]);
    return undefined;
  } catch (err) {
    if (row.idempotencyKey === null || !isUniqueViolation(err, "payment_methods.idempotency_key")) throw err;
    const first = await findByIdempotencyKey(db, row.merchantId, row.singleUse, row.idempotencyKey);
    if (!first) throw err;
    return first;
  }
}

/** The merchant's payment method (with its token, if any) a create under `key` made, or undefined. */
export async function findByIdempotencyKey(
  db: Db,
  merchantId: string,
  singleUse: boolean,
  key: string,
): Promise<{ paymentMethod: PaymentMethodRow; token?: TokenRow } | undefined> {
  const pm = paymentMethods;
  const [first] = await db
    .select({ paymentMethod: pm, token: tokens })
    .from(pm)
    .leftJoin(tokens, eq(tokens.paymentMethodId, pm.id))
    .where(and(eq(pm.merchantId, merchantId), eq(pm.singleUse, singleUse), eq(pm.idempotencyKey, key)))
    .limit(1);
  return first ? { paymentMethod: first.paymentMethod, token: first.token ?? undefined } : undefined;
}

/** The merchant's payment method with this id, or undefined (also for another merchant's id). */
export function findPaymentMethod(db: Db, merchantId: string, id: string): Promise<PaymentMethodRow | undefined> {
  return db
    .select()
    .from(paymentMethods)
    .where(and(eq(paymentMethods.id, id), eq(paymentMethods.merchantId, merchantId)))
    .get();
}

/** The merchant's token with this id, or undefined. */
export function findToken(db: Db, merchantId: string, id: string): Promise<TokenRow | undefined> {
  return db
    .select()
    .from(tokens)
    .where(and(eq(tokens.id, id), eq(tokens.merchantId, merchantId)))
    .get();
}

/**
 * The statements that spend a token over placeholders (`tokenId`, `merchantId`, `usedBy`, `now`),
 * for a claim's shape (`spendTokenStatements` binds them on their own).
 */
export function spendTokenShape(db: Db) {
  const p = sql.placeholder;
  const mine = and(eq(tokens.id, p("tokenId")), eq(tokens.merchantId, p("merchantId")));
  return [
    db
      .insert(tokenRedemptions)
      .values({ tokenId: p("tokenId"), merchantId: p("merchantId"), usedBy: p("usedBy"), created: p("now") }),
    db
      .update(tokens)
      .set({ used: true, usedAt: sql`${p("now")}` })
      .where(mine),
  ] as const;
}

/**
 * The statements that spend the merchant's token inside the batch of the claim that uses it: the
 * token_redemptions primary key makes a second spend fail that whole batch (see `isTokenSpent`).
 */
export function spendTokenStatements(db: Db, merchantId: string, tokenId: string, usedBy: string, now: number) {
  return bindAll(
    prepared(db, "vault.spendToken", () => spendTokenShape(db)),
    { tokenId, merchantId, usedBy, now },
  );
}

/**
 * The card a claim batch charges, as SQL over what the batch sees (nothing is read beforehand) and
 * over placeholders (`cardRef`: the pm_ or tok_ id, `merchantId`, `customer`: the intent's), for a
 * claim's shape: `usable` holds when a pm_ is the merchant's, active and reusable, or a tok_ is the
 * merchant's, unspent, and wraps an active method, and the method is attached to no customer or to
 * the intent's; `id` is the payment method's id; `read` returns the sealed record
 * and `clear` drops its CVC. In that order in one batch they are the CVC's read-and-clear: only the
 * claim that read it may send it.
 */
export function cardClaim(db: Db, isToken: boolean) {
  const t = tokens;
  const pm = paymentMethods;
  const ref = sql.placeholder("cardRef");
  const merchantId = sql.placeholder("merchantId");
  const id: SQL = isToken
    ? sql`(select ${t.paymentMethodId} from ${t} where ${t.id} = ${ref} and ${t.merchantId} = ${merchantId} and ${t.used} = 0)`
    : sql`${ref}`;
  const mine = and(eq(pm.id, id), eq(pm.merchantId, merchantId));
  // A saved card (attached to a customer) is usable only by an intent of that customer (`customer`).
  const ownCustomer = sql`(${pm.customer} is null or ${pm.customer} = ${sql.placeholder("customer")})`;
  const usable = exists(
    db
      .select({ one: sql`1` })
      .from(pm)
      .where(and(mine, eq(pm.status, "active"), isToken ? undefined : eq(pm.singleUse, false), ownCustomer)),
  );
  const read = db.select().from(pm).where(mine).limit(1);
  const clear = db.update(pm).set({ cvcCiphertext: null, cvcExpiresAt: null }).where(mine);
  return { usable, id, read, clear };
}

/** True when a batch failed because the token it spends was spent by another batch first. */
export function isTokenSpent(err: unknown): boolean {
  return isUniqueViolation(err, "token_redemptions");
}

/**
 * Detaches the merchant's active payment method from its customer (who no longer has it as default)
 * and shreds its secrets (data key, PAN and CVC ciphertexts), with its `payment_method.detached` event (caused by `origin`) in the same batch.
 * Returns the row afterwards; a method already detached is returned as it is, with no second
 * event; undefined if the merchant has no such method.
 */
export async function detachPaymentMethod(
  db: Db,
  merchantId: string,
  id: string,
  now: number,
  origin: EventOrigin | null,
): Promise<PaymentMethodRow | undefined> {
  const mine = and(eq(paymentMethods.id, id), eq(paymentMethods.merchantId, merchantId));
  const detach = db
    .update(paymentMethods)
    .set({ ...DETACHED, detachedAt: now })
    .where(and(mine, eq(paymentMethods.status, "active")))
    .returning();
  const event = eventInsert(db, {
    id: newId("evt"),
    merchantId,
    type: "payment_method.detached",
    objectType: "payment_method",
    objectId: id,
    created: now,
    origin,
    afterChange: true,
  });
  try {
    // A detached method is no customer's default any more (first: the event's guard reads the detach's changes()).
    const undefault = db
      .update(customers)
      .set({ defaultPaymentMethod: null })
      .where(and(eq(customers.merchantId, merchantId), eq(customers.defaultPaymentMethod, id)));
    const [, rows] = await db.batch([undefault, detach, event]);
    return rows[0];
  } catch (err) {
    if (!isGuardMiss(err, "events.snapshot")) throw err;
    return db.select().from(paymentMethods).where(mine).get();
  }
}

/** The update that drops the held CVC of the merchant's payment method, if any (await it, or batch it). */
export function clearCvc(db: Db, merchantId: string, id: string): Bound {
  const p = sql.placeholder;
  return prepared1(db, "vault.clearCvc", () =>
    db
      .update(paymentMethods)
      .set({ cvcCiphertext: null, cvcExpiresAt: null })
      .where(and(eq(paymentMethods.id, p("id")), eq(paymentMethods.merchantId, p("merchantId")))),
  ).bind({ id, merchantId });
}

/** Up to `limit` records still sealed under a KEK older than `current`, in id order after `after`. */
export function staleRecords(db: Db, current: number, limit: number, after: string | undefined) {
  return db
    .select()
    .from(paymentMethods)
    .where(
      and(
        isNotNull(paymentMethods.keyVersion),
        lt(paymentMethods.keyVersion, current),
        after === undefined ? undefined : gt(paymentMethods.id, after),
      ),
    )
    .orderBy(asc(paymentMethods.id))
    .limit(limit)
    .all();
}

/** How many records are still sealed under a KEK older than `current`. */
export async function countStaleRecords(db: Db, current: number): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(paymentMethods)
    .where(and(isNotNull(paymentMethods.keyVersion), lt(paymentMethods.keyVersion, current)))
    .get();
  return row?.n ?? 0;
}

/** The new sealed columns of one record, applied only if the record is unchanged since it was read. */
export function resealRecord(
  db: Db,
  before: Pick<PaymentMethodRow, "id" | "wrappedKey" | "cvcCiphertext">,
  after: Pick<PaymentMethodRow, "keyVersion" | "wrappedKey" | "panCiphertext" | "cvcCiphertext" | "cvcExpiresAt">,
) {
  return db
    .update(paymentMethods)
    .set(after)
    .where(
      and(
        eq(paymentMethods.id, before.id),
        eq(paymentMethods.wrappedKey, before.wrappedKey ?? ""),
        sql`${paymentMethods.cvcCiphertext} is ${before.cvcCiphertext}`,
      ),
    )
    .returning({ id: paymentMethods.id });
}

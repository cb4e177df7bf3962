/**
 * Storage of customers and of the payment methods attached to them. Every query is scoped by
 * merchant, so another merchant's customer behaves exactly like a missing one. The rules that
 * must hold under concurrency are in the statements themselves: an attach names a customer that
 * exists and a method that is active, reusable and not another customer's; a default payment
 * method is one attached to that customer; deleting a customer detaches (and shreds) its methods.
 * Each change writes its event (`customer.*`, `payment_method.attached`) in the same batch.
 */
import { and, eq, isNull, type SQL, sql } from "drizzle-orm";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { type EventOrigin, eventInsert, eventInsertIfChanged } from "./events";
import { listPage, type PageResult } from "./pagination";
import { type Bound, prepared1 } from "./prepared";
import { customers, paymentMethods } from "./schema";
import type { PaymentMethodRow } from "./vault";

/** A customers row as stored. */
export type CustomerRow = typeof customers.$inferSelect;

/** The fields an update may change (validated; `metadata` as the merged JSON). */
export type CustomerChanges = Partial<
  Pick<CustomerRow, "email" | "name" | "phone" | "description" | "metadata" | "defaultPaymentMethod">
>;

/** The merchant's customer with this id, or undefined. */
export function getCustomer(db: Db, merchantId: string, id: string): Promise<CustomerRow | undefined> {
  return db
    .select()
    .from(customers)
    .where(and(eq(customers.id, id), eq(customers.merchantId, merchantId)))
    .get();
}

/**
 * Inserts a customer. When a create under the row's idempotency key already made one, nothing is
 * written and that one is returned instead.
 */
export async function insertCustomer(db: Db, row: CustomerRow, origin: EventOrigin | null): Promise<CustomerRow> {
  try {
    await db.batch([
      db.insert(customers).values(row),
      event(db, row.merchantId, "customer.created", row.id, row.created, origin),
    ]);
    return row;
  } catch (err) {
    if (row.idempotencyKey === null || !isUniqueViolation(err, "customers.idempotency_key")) throw err;
    const first = await db
      .select()
      .from(customers)
      .where(and(eq(customers.merchantId, row.merchantId), eq(customers.idempotencyKey, row.idempotencyKey)))
      .get();
    if (!first) throw err;
    return first;
  }
}

/** The event insert of a change to a customer or payment method, for the change's batch (after it). */
function event(
  db: Db,
  merchantId: string,
  type: string,
  objectId: string,
  now: number,
  origin: EventOrigin | null,
  more: { afterChange?: boolean; previous?: Record<string, unknown> } = {},
) {
  return eventInsert(db, {
    id: newId("evt"),
    merchantId,
    type,
    objectType: type.startsWith("customer.") ? "customer" : "payment_method",
    objectId,
    created: now,
    origin,
    ...more,
  });
}

/** True (as SQL) when `pmId` is an active payment method of the merchant attached to customer `customerId`. */
function attachedTo(merchantId: string, customerId: SQL | string, pmId: string): SQL {
  const pm = paymentMethods;
  return sql`exists (select 1 from ${pm} where ${pm.id} = ${pmId} and ${pm.merchantId} = ${merchantId} and ${pm.customer} = ${customerId} and ${pm.status} = 'active')`;
}

/** What an update did. */
export type UpdateCustomerResult =
  | { outcome: "updated"; row: CustomerRow }
  | { outcome: "missing" }
  /** The new default payment method is not an active method attached to this customer: nothing changed. */
  | { outcome: "not_attached" };

/**
 * Applies `changes` to the merchant's customer, with its `customer.updated` event (`previous`: the
 * changed fields' old values, wire names); a new default payment method must be attached to it.
 */
export async function updateCustomer(
  db: Db,
  merchantId: string,
  id: string,
  changes: CustomerChanges,
  at: { now: number; origin: EventOrigin | null; previous: Record<string, unknown> },
): Promise<UpdateCustomerResult> {
  const c = customers;
  const mine = and(eq(c.id, id), eq(c.merchantId, merchantId));
  const pm = changes.defaultPaymentMethod;
  const guard = pm ? attachedTo(merchantId, id, pm) : undefined;
  if (Object.keys(changes).length === 0) {
    const row = await getCustomer(db, merchantId, id);
    return row ? { outcome: "updated", row } : { outcome: "missing" };
  }
  try {
    const [rows] = await db.batch([
      db.update(c).set(changes).where(and(mine, guard)).returning(),
      event(db, merchantId, "customer.updated", id, at.now, at.origin, { afterChange: true, previous: at.previous }),
    ]);
    if (rows[0]) return { outcome: "updated", row: rows[0] };
  } catch (err) {
    if (!isGuardMiss(err, "events.snapshot")) throw err;
  }
  return (await getCustomer(db, merchantId, id)) ? { outcome: "not_attached" } : { outcome: "missing" };
}

/**
 * Deletes the merchant's customer and, in the same batch, detaches its active payment methods for
 * good (secrets shredded, as `POST /v1/payment_methods/{id}/detach` does), with its
 * `customer.deleted` event (the last snapshot). True when there was one.
 */
export async function deleteCustomer(
  db: Db,
  merchantId: string,
  id: string,
  now: number,
  origin: EventOrigin | null,
): Promise<boolean> {
  const pm = paymentMethods;
  try {
    // The event's snapshot of a missing customer is NULL, which rolls the whole batch back.
    await db.batch([
      event(db, merchantId, "customer.deleted", id, now, origin),
      db
        .update(pm)
        .set({ ...DETACHED, detachedAt: now })
        .where(and(eq(pm.merchantId, merchantId), eq(pm.customer, id), eq(pm.status, "active"))),
      db.delete(customers).where(and(eq(customers.id, id), eq(customers.merchantId, merchantId))),
    ]);
    return true;
  } catch (err) {
    if (isGuardMiss(err, "events.snapshot")) return false;
    throw err;
  }
}

/** The columns a detach sets (besides `detachedAt`): no customer, and no card secrets left. */
export const DETACHED = {
  status: "detached",
  customer: null,
  keyVersion: null,
  wrappedKey: null,
  panCiphertext: null,
  cvcCiphertext: null,
  cvcExpiresAt: null,
} as const satisfies Partial<PaymentMethodRow>;

/** A page of the merchant's customers, newest first, optionally only those with exactly this email. */
export function listCustomers(
  db: Db,
  merchantId: string,
  filter: { email?: string },
  page: PageRequest,
): Promise<PageResult<CustomerRow>> {
  const c = customers;
  const scope = and(eq(c.merchantId, merchantId), filter.email === undefined ? undefined : eq(c.email, filter.email));
  return listPage(
    db,
    { table: c, id: c.id, created: c.created, scope, cursorScope: eq(c.merchantId, merchantId) },
    page,
  );
}

/** What an attach did. */
export type AttachResult =
  | { outcome: "attached"; row: PaymentMethodRow }
  | { outcome: "no_payment_method" }
  | { outcome: "no_customer" }
  /** Detached, or single-use (behind a token): it may never be attached. */
  | { outcome: "unusable" }
  /** Attached to another customer of the merchant. */
  | { outcome: "other_customer" };

/**
 * Attaches the merchant's payment method to its customer, with its `payment_method.attached` event,
 * in one conditional update: the customer exists and the method is active, reusable and unattached.
 * Of concurrent attaches to different customers exactly one wins; attaching again to the same
 * customer changes nothing and writes no event.
 */
export async function attachPaymentMethod(
  db: Db,
  merchantId: string,
  pmId: string,
  customerId: string,
  at: { now: number; origin: EventOrigin | null },
): Promise<AttachResult> {
  const pm = paymentMethods;
  const c = customers;
  const mine = and(eq(pm.id, pmId), eq(pm.merchantId, merchantId));
  const customerExists = sql`exists (select 1 from ${c} where ${c.id} = ${customerId} and ${c.merchantId} = ${merchantId})`;
  try {
    const [rows] = await db.batch([
      db
        .update(pm)
        .set({ customer: customerId })
        .where(and(mine, eq(pm.status, "active"), eq(pm.singleUse, false), isNull(pm.customer), customerExists))
        .returning(),
      event(db, merchantId, "payment_method.attached", pmId, at.now, at.origin, { afterChange: true }),
    ]);
    if (rows[0]) return { outcome: "attached", row: rows[0] };
  } catch (err) {
    if (!isGuardMiss(err, "events.snapshot")) throw err;
  }
  const current = await db.select().from(pm).where(mine).get();
  if (!current) return { outcome: "no_payment_method" };
  if (!(await getCustomer(db, merchantId, customerId))) return { outcome: "no_customer" };
  if (current.status !== "active" || current.singleUse) return { outcome: "unusable" };
  if (current.customer === customerId) return { outcome: "attached", row: current };
  return { outcome: "other_customer" };
}

/** A page of the active payment methods attached to the merchant's customer, newest first. */
export function listCustomerPaymentMethods(
  db: Db,
  merchantId: string,
  customerId: string,
  page: PageRequest,
): Promise<PageResult<PaymentMethodRow>> {
  const pm = paymentMethods;
  const scope = and(eq(pm.merchantId, merchantId), eq(pm.customer, customerId), eq(pm.status, "active"));
  return listPage(
    db,
    { table: pm, id: pm.id, created: pm.created, scope, cursorScope: eq(pm.merchantId, merchantId) },
    page,
  );
}

/**
 * The statements that save an authorized card to the intent's customer, for the batch that
 * records the authorization (`setup_future_usage`): the method is attached only if it is still
 * active, attached to nobody and the customer exists; a method behind a token becomes reusable
 * (and drops its create's idempotency key, which a reusable method of the same key may hold), and
 * `payment_method.attached` is written only when the attach changed the row, so a card already
 * saved (or one that can no longer be) changes nothing and the batch lands all the same. Methods
 * whose create key is like `sharedKeys` (the merchant's shared test methods) are never saved.
 */
export function saveCardStatements(
  db: Db,
  merchantId: string,
  pmId: string,
  customerId: string,
  at: { now: number; origin: EventOrigin | null; sharedKeys: string },
): Bound[] {
  const attach = prepared1(db, "customers.saveCard", () => {
    const pm = paymentMethods;
    const c = customers;
    const p = sql.placeholder;
    const customerExists = sql`exists (select 1 from ${c} where ${c.id} = ${p("customerId")} and ${c.merchantId} = ${p("merchantId")})`;
    return db
      .update(pm)
      .set({
        customer: sql`${p("customerId")}`,
        singleUse: false,
        idempotencyKey: sql`case when ${pm.singleUse} then null else ${pm.idempotencyKey} end`,
      })
      .where(
        and(
          eq(pm.id, p("pmId")),
          eq(pm.merchantId, p("merchantId")),
          eq(pm.status, "active"),
          isNull(pm.customer),
          customerExists,
          sql`coalesce(${pm.idempotencyKey}, '') not like ${p("sharedKeys")}`,
        ),
      );
  }).bind({ pmId, merchantId, customerId, sharedKeys: at.sharedKeys });
  const event = eventInsertIfChanged(db, {
    id: newId("evt"),
    merchantId,
    type: "payment_method.attached",
    objectType: "payment_method",
    objectId: pmId,
    created: at.now,
    origin: at.origin,
  });
  return [attach, event];
}

/**
 * Storage of Checkout Sessions: the insert that joins its PaymentIntent's batch, the reads (one, a
 * filtered page, by id alone on every shard for the page endpoints, the open ones past their
 * expiry), and the
 * guarded transitions (complete, expire, a failed attempt), each one batch with its event. A
 * transition that finds the session no longer open changes nothing and records no event.
 */
import { and, eq, lte, type SQL, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import { controlDb, type Db } from "./client";
import { type EventOrigin, eventInsertIfChanged } from "./events";
import { getMerchant } from "./merchants";
import { listPage, notOf } from "./pagination";
import { checkoutSessions, paymentIntents } from "./schema";
import { allShards, shardDb } from "./shards";

/** A checkout_sessions row. */
export type SessionRow = typeof checkoutSessions.$inferSelect;

/** One stored line item (`line_items` JSON). */
export interface LineItem {
  id: string;
  name: string;
  unit_amount: number;
  quantity: number;
}

const cs = checkoutSessions;

/** The insert of a new session, to put in its intent's batch (`insertIntent`'s `also`). */
export function sessionInsert(db: Db, row: SessionRow) {
  return db.insert(cs).values(row);
}

/** The merchant's session with this id, or undefined (another merchant's id is simply not found). */
export function getSession(db: Db, merchantId: string, id: string): Promise<SessionRow | undefined> {
  return db
    .select()
    .from(cs)
    .where(and(eq(cs.id, id), eq(cs.merchantId, merchantId)))
    .get();
}

/** The session with this id on this shard, whoever's it is: for the page endpoints, whose capability is the id. */
export function sessionById(db: Db, id: string): Promise<SessionRow | undefined> {
  return db.select().from(cs).where(eq(cs.id, id)).get();
}

/** A session found by id alone: its row, the shard that holds it and its merchant's name. */
export interface LocatedSession {
  row: SessionRow;
  db: Db;
  merchantName: string;
}

/**
 * The session with this id, read on every shard at once (a primary-key read each) and kept only on
 * the shard the directory names for its merchant, an active one (a moved merchant's stale copy is
 * never used): the page endpoints' lookup, whose only key is the id. Undefined when not found.
 */
export async function locateSession(env: Env, id: string): Promise<LocatedSession | undefined> {
  const found = await Promise.all(allShards(env).map((db) => sessionById(db, id)));
  const any = found.find((r) => r !== undefined);
  if (!any) return undefined;
  const merchant = await getMerchant(controlDb(env), any.merchantId);
  if (merchant?.status !== "active") return undefined;
  const row = found[merchant.shard];
  return row ? { row, db: shardDb(env, merchant.shard), merchantName: merchant.name } : undefined;
}

/** The merchant's session of this PaymentIntent, or undefined. */
export function sessionOfIntent(db: Db, merchantId: string, paymentIntent: string): Promise<SessionRow | undefined> {
  return db
    .select()
    .from(cs)
    .where(and(eq(cs.merchantId, merchantId), eq(cs.paymentIntent, paymentIntent)))
    .get();
}

/** The list filters of the Checkout Sessions API. */
export interface SessionFilter {
  status?: SessionRow["status"];
  paymentIntent?: string;
  customer?: string;
}

/** A page of the merchant's sessions, newest first, filtered. */
export function listSessions(db: Db, merchantId: string, filter: SessionFilter, page: PageRequest) {
  const scope = and(
    eq(cs.merchantId, merchantId),
    filter.status === undefined ? undefined : eq(cs.status, filter.status),
    filter.paymentIntent === undefined ? undefined : eq(cs.paymentIntent, filter.paymentIntent),
    filter.customer === undefined ? undefined : eq(cs.customer, filter.customer),
  );
  return listPage(
    db,
    { table: cs, id: cs.id, created: cs.created, scope, cursorScope: eq(cs.merchantId, merchantId) },
    page,
  );
}

/** Up to `limit` open sessions on this shard whose `expires_at` has passed, oldest first, leaving out `skip`'s merchants. */
export function sessionsPastExpiry(db: Db, now: number, limit: number, skip: readonly string[] = []) {
  return db
    .select()
    .from(cs)
    .where(and(eq(cs.status, "open"), lte(cs.expiresAt, now), notOf(cs.merchantId, skip)))
    .orderBy(cs.expiresAt, cs.id)
    .limit(limit)
    .all();
}

/** Runs a guarded update of an open session and, only if it changed the row, its event; true when it did. */
async function transition(
  db: Db,
  row: SessionRow,
  set: Partial<SessionRow>,
  guard: SQL | undefined,
  type: "checkout.session.completed" | "checkout.session.expired",
  now: number,
  origin: EventOrigin | null,
  eventId: string,
): Promise<boolean> {
  const [updated] = await db.batch([
    db
      .update(cs)
      .set(set)
      .where(and(eq(cs.id, row.id), eq(cs.merchantId, row.merchantId), eq(cs.status, "open"), guard))
      .returning({ id: cs.id }),
    eventInsertIfChanged(db, {
      id: eventId,
      merchantId: row.merchantId,
      type,
      objectType: "checkout_session",
      objectId: row.id,
      created: now,
      origin,
    }),
  ]);
  return updated.length > 0;
}

/**
 * Completes an open session whose intent has succeeded or is authorized (checked in the same
 * statement), with its `checkout.session.completed` event; false when it was not open or not paid.
 */
export function completeSession(db: Db, row: SessionRow, now: number, origin: EventOrigin | null, eventId: string) {
  const pi = paymentIntents;
  const paid = sql`exists (select 1 from ${pi} where ${pi.id} = ${cs.paymentIntent} and ${pi.merchantId} = ${cs.merchantId} and ${pi.status} in ('succeeded', 'requires_capture'))`;
  const set = { status: "complete", paymentStatus: "paid", completedAt: now } as const;
  return transition(db, row, set, paid, "checkout.session.completed", now, origin, eventId);
}

/**
 * Expires an open session whose intent is canceled (checked in the same statement), with its
 * `checkout.session.expired` event; false when it was not open or its intent is not canceled.
 */
export function expireSessionRow(db: Db, row: SessionRow, now: number, origin: EventOrigin | null, eventId: string) {
  const pi = paymentIntents;
  const canceled = sql`exists (select 1 from ${pi} where ${pi.id} = ${cs.paymentIntent} and ${pi.merchantId} = ${cs.merchantId} and ${pi.status} = 'canceled')`;
  const set = { status: "expired", expiredAt: now } as const;
  return transition(db, row, set, canceled, "checkout.session.expired", now, origin, eventId);
}

/**
 * Counts one failed payment attempt on an open session, locking it (`locked_at`) when this failure
 * reaches `cap`; answers the row as it now is (undefined when the session is not open).
 */
export async function recordFailedAttempt(db: Db, row: SessionRow, now: number, cap: number) {
  return db
    .update(cs)
    .set({
      failedAttempts: sql`${cs.failedAttempts} + 1`,
      lockedAt: sql`case when ${cs.failedAttempts} + 1 >= ${cap} then coalesce(${cs.lockedAt}, ${now}) else ${cs.lockedAt} end`,
    })
    .where(and(eq(cs.id, row.id), eq(cs.merchantId, row.merchantId), eq(cs.status, "open")))
    .returning()
    .get();
}

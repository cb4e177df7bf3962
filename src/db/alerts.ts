/**
 * Storage of the operator's alerting (control database, src/db/schema/alerting.ts): the alert hook
 * (one row; each write batched with its audit entry) and each rule's state. A transition is taken
 * in three steps: `claimTransition` leases the rule while its state is still the one the run saw,
 * then the run delivers, then `finishTransition` stores the new state or `releaseClaim` lets the
 * next run try again. This module never sees a secret in the clear.
 */
import { and, eq, isNull, lte, or } from "drizzle-orm";
import type { AlertRule, AlertState } from "../domain/alerts";
import type { Db } from "./client";
import { type AuditEntry, insertAudit, insertAuditIfChanged } from "./merchants";
import { alertHook, alertStates } from "./schema";

/** The alert hook row as stored. */
export type AlertHookRow = typeof alertHook.$inferSelect;

/** A rule's stored state. */
export type AlertStateRow = typeof alertStates.$inferSelect;

/** The slot of the one hook row. */
const SLOT = "default";

/** The alert hook, or undefined when none was ever configured. */
export function getAlertHook(db: Db): Promise<AlertHookRow | undefined> {
  return db.select().from(alertHook).where(eq(alertHook.slot, SLOT)).get();
}

/** Inserts the hook with its audit entry in one batch; false (nothing written) when another request created it first. */
export async function insertAlertHook(db: Db, row: Omit<AlertHookRow, "slot">, audit: AuditEntry): Promise<boolean> {
  const [inserted] = await db.batch([
    db
      .insert(alertHook)
      .values({ ...row, slot: SLOT })
      .onConflictDoNothing()
      .returning({ id: alertHook.id }),
    insertAuditIfChanged(db, audit, alertHook, eq(alertHook.id, row.id)),
  ]);
  return inserted.length === 1;
}

/** The fields an update may change. */
export interface AlertHookUpdate {
  url?: string;
  enabled?: boolean;
  updated: number;
  updatedBy: string;
}

/** Updates the hook with its audit entry in one batch; the row after, or undefined when there is none. */
export async function updateAlertHook(
  db: Db,
  update: AlertHookUpdate,
  audit: AuditEntry,
): Promise<AlertHookRow | undefined> {
  const [rows] = await db.batch([
    db.update(alertHook).set(update).where(eq(alertHook.slot, SLOT)).returning(),
    insertAudit(db, audit),
  ]);
  return rows[0];
}

/** Every stored rule state (rules never decided have no row: they are `ok`). */
export function alertStateRows(db: Db): Promise<AlertStateRow[]> {
  return db.select().from(alertStates).all();
}

/**
 * Leases `rule` for `leaseSeconds` if its stored state is still `from` (a missing row counts as
 * `ok`, and is created) and no other run holds it. The row as leased, or undefined when another
 * run holds it or the state already changed.
 */
export async function claimTransition(
  db: Db,
  rule: AlertRule,
  from: AlertState,
  now: number,
  leaseSeconds: number,
): Promise<AlertStateRow | undefined> {
  const t = alertStates;
  const free = or(isNull(t.leaseUntil), lte(t.leaseUntil, now));
  const rows = await db
    .insert(t)
    .values({
      rule,
      state: "ok",
      since: now,
      lastNotified: null,
      leaseUntil: from === "ok" ? now + leaseSeconds : null,
    })
    .onConflictDoUpdate({
      target: t.rule,
      set: { leaseUntil: now + leaseSeconds },
      setWhere: and(eq(t.state, from), free),
    })
    .returning();
  const row = rows[0];
  return row !== undefined && row.state === from && row.leaseUntil === now + leaseSeconds ? row : undefined;
}

/**
 * Stores the state a leased transition led to and frees the lease; `notified` stamps
 * `last_notified`. Only while `claimed`'s lease is still the rule's: a run whose lease lapsed (and
 * was taken by another run) changes nothing.
 */
export async function finishTransition(
  db: Db,
  claimed: Pick<AlertStateRow, "rule" | "leaseUntil">,
  to: AlertState,
  now: number,
  notified: boolean,
): Promise<void> {
  const t = alertStates;
  await db
    .update(t)
    .set({ state: to, since: now, leaseUntil: null, ...(notified ? { lastNotified: now } : {}) })
    .where(heldBy(claimed));
}

/** Frees `claimed`'s lease (if it is still the rule's) without changing the state: the next run tries again. */
export async function releaseClaim(db: Db, claimed: Pick<AlertStateRow, "rule" | "leaseUntil">): Promise<void> {
  await db.update(alertStates).set({ leaseUntil: null }).where(heldBy(claimed));
}

/** The rule's row while it still holds `claimed`'s lease. */
function heldBy(claimed: Pick<AlertStateRow, "rule" | "leaseUntil">) {
  const t = alertStates;
  return claimed.leaseUntil === null
    ? and(eq(t.rule, claimed.rule), isNull(t.leaseUntil))
    : and(eq(t.rule, claimed.rule), eq(t.leaseUntil, claimed.leaseUntil));
}

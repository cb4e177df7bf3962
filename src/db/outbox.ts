/**
 * The outbox side of the events table: claiming undispatched events for the dispatcher, marking
 * them dispatched, and finding the merchants with events left behind (for the cron). A claim is a
 * single `UPDATE … RETURNING` over a bounded, oldest-first subselect, so two dispatchers running at
 * once never claim the same event; a claim older than CLAIM_TIMEOUT_SECONDS is taken over.
 */
import { and, asc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { EventRow } from "../events/render";
import type { Db } from "./client";
import { notOf } from "./pagination";
import { events, webhookAttempts, webhookEndpoints } from "./schema";

/** A dispatcher's claim on an event lapses after this many seconds (it crashed, or its isolate died). */
export const CLAIM_TIMEOUT_SECONDS = 60;

/** Undispatched events a dispatcher may take at `now`: never claimed, or claimed too long ago. */
function claimable(now: number) {
  return and(eq(events.dispatched, 0), or(isNull(events.claimedAt), lt(events.claimedAt, now - CLAIM_TIMEOUT_SECONDS)));
}

/**
 * Claims up to `limit` of the merchant's claimable events, oldest first, at `now` (the claim's mark
 * is `claimed_at = now`, which `markDispatched` checks), and reads the merchant's enabled webhook
 * endpoints (id and `enabled_events`) in the same batch: one round trip gives the dispatcher all it
 * needs to fan out.
 */
export async function claimWithEndpoints(
  db: Db,
  merchantId: string,
  now: number,
  limit: number,
): Promise<{ claimed: EventRow[]; endpoints: { id: string; enabledEvents: string[] }[] }> {
  const ids = db
    .select({ id: events.id })
    .from(events)
    .where(and(eq(events.merchantId, merchantId), claimable(now)))
    .orderBy(asc(events.created), asc(events.id))
    .limit(limit);
  const [claimed, endpoints] = await db.batch([
    db
      .update(events)
      .set({ claimedAt: now })
      .where(and(inArray(events.id, ids), claimable(now)))
      .returning(),
    db
      .select({ id: webhookEndpoints.id, enabledEvents: webhookEndpoints.enabledEvents })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.merchantId, merchantId), eq(webhookEndpoints.status, "enabled"))),
  ]);
  return {
    claimed,
    endpoints: endpoints.map((e) => ({ id: e.id, enabledEvents: JSON.parse(e.enabledEvents) as string[] })),
  };
}

/**
 * Marks claimed events dispatched, each with the endpoints it went to (`webhook_targets`) and, as
 * its `pending_webhooks`, their number less those of them that already acknowledged it (a consumer
 * may deliver before this runs; a success at an endpoint that is not a target, a resend, does not
 * count). Only an event still under this dispatcher's claim (`claimedAt`) is marked.
 */
export async function markDispatched(
  db: Db,
  dispatched: readonly { id: string; targets: readonly string[] }[],
  claimedAt: number,
): Promise<void> {
  if (dispatched.length === 0) return;
  const acknowledged = (id: string, targets: string) =>
    sql`(select count(distinct ${webhookAttempts.endpointId}) from ${webhookAttempts} where ${webhookAttempts.eventId} = ${id} and ${webhookAttempts.outcome} = 'succeeded' and ${webhookAttempts.endpointId} in (select value from json_each(${targets})))`;
  const [first, ...rest] = dispatched.map(({ id, targets }) => {
    const json = JSON.stringify(targets);
    return db
      .update(events)
      .set({
        dispatched: 1,
        webhookTargets: json,
        pendingWebhooks: sql`max(0, ${targets.length} - ${acknowledged(id, json)})`,
      })
      .where(and(eq(events.id, id), eq(events.claimedAt, claimedAt), eq(events.dispatched, 0)));
  });
  if (first) await db.batch([first, ...rest]);
}

/**
 * Merchants on this shard with claimable events at `now` (at most `limit`), leaving out
 * `exceptMerchants` (merchants the cron must not touch on this shard: moves, stale copies).
 */
export async function merchantsWithUndispatched(
  db: Db,
  now: number,
  limit: number,
  exceptMerchants: readonly string[] = [],
): Promise<string[]> {
  const rows = await db
    .selectDistinct({ merchantId: events.merchantId })
    .from(events)
    .where(and(claimable(now), notOf(events.merchantId, exceptMerchants)))
    .limit(limit)
    .all();
  return rows.map((r) => r.merchantId);
}

/** The merchant's event with this id, or undefined (for a resend). */
export function merchantEvent(db: Db, merchantId: string, id: string): Promise<EventRow | undefined> {
  return db
    .select()
    .from(events)
    .where(and(eq(events.id, id), eq(events.merchantId, merchantId)))
    .get();
}

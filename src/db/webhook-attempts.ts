/**
 * Storage of webhook deliveries: what one message needs (its event and endpoint, read in one
 * batch), each attempt with the change its outcome makes in the same batch, the dead-letter
 * disable, and the attempts list of the API. Disabling an endpoint records a
 * `webhook_endpoint.disabled` event in the same batch (an edgepay extension type).
 */
import { and, eq, isNotNull, sql } from "drizzle-orm";
import type { AttemptOutcome } from "../domain/webhook-retry";
import { newId } from "../lib/ids";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { isGuardMiss } from "./errors";
import { eventInsert } from "./events";
import { listPage } from "./pagination";
import { events, webhookAttempts, webhookEndpoints } from "./schema";

/** A webhook_attempts row. */
export type AttemptRow = typeof webhookAttempts.$inferSelect;

/**
 * The insert of the `webhook_endpoint.disabled` event, to put in a batch right after the statement
 * that disables the endpoint: when that statement changed nothing (already disabled) the batch
 * rolls back (`isGuardMiss(err, "events.snapshot")`), so an event never says more than happened.
 */
function disabledEvent(db: Db, merchantId: string, endpointId: string, created: number) {
  return eventInsert(db, {
    id: newId("evt"),
    merchantId,
    type: "webhook_endpoint.disabled",
    objectType: "webhook_endpoint",
    objectId: endpointId,
    created,
    origin: null,
    afterChange: true,
  });
}

/** The merchant's event and endpoint of one delivery message (either may be gone), in one batch. */
export async function deliveryTargets(db: Db, merchantId: string, eventId: string, endpointId: string) {
  const [event, endpoint] = await db.batch([
    db
      .select()
      .from(events)
      .where(and(eq(events.id, eventId), eq(events.merchantId, merchantId))),
    db
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.id, endpointId), eq(webhookEndpoints.merchantId, merchantId))),
  ]);
  return { event: event[0], endpoint: endpoint[0] };
}

/**
 * Records one attempt together with what its outcome changes, in one batch:
 * - succeeded: the event's `pending_webhooks` goes down by one (never below 0), only once the event
 *   is dispatched, only when the endpoint is one of its `webhook_targets` (a resend to another
 *   endpoint acknowledges nothing) and only on the first success of this event at this endpoint
 *   (before dispatch, `markDispatched` counts the successes); the endpoint's `failing_since` is
 *   cleared;
 * - gone (410): the endpoint is disabled with reason `gone`, and a `webhook_endpoint.disabled` event
 *   recorded (when it was still enabled; otherwise the attempt alone is recorded);
 * - failed, dead: the endpoint's `failing_since` is set, if not already.
 * True when this attempt disabled the endpoint.
 */
export async function recordAttempt(db: Db, row: AttemptRow & { outcome: AttemptOutcome }): Promise<boolean> {
  const endpoint = and(eq(webhookEndpoints.id, row.endpointId), eq(webhookEndpoints.merchantId, row.merchantId));
  const insert = db.insert(webhookAttempts).values(row);
  switch (row.outcome) {
    case "succeeded": {
      const acknowledgedBefore = sql`exists (select 1 from ${webhookAttempts} where ${webhookAttempts.eventId} = ${row.eventId} and ${webhookAttempts.endpointId} = ${row.endpointId} and ${webhookAttempts.outcome} = 'succeeded')`;
      await db.batch([
        db
          .update(events)
          .set({ pendingWebhooks: sql`max(0, ${events.pendingWebhooks} - 1)` })
          .where(
            and(
              eq(events.id, row.eventId),
              eq(events.merchantId, row.merchantId),
              eq(events.dispatched, 1),
              sql`${row.endpointId} in (select value from json_each(coalesce(${events.webhookTargets}, '[]')))`,
              sql`not ${acknowledgedBefore}`,
            ),
          ),
        db.update(webhookEndpoints).set({ failingSince: null }).where(endpoint),
        insert,
      ]);
      return false;
    }
    case "gone":
      try {
        await db.batch([
          db
            .update(webhookEndpoints)
            .set({ status: "disabled", disabledReason: "gone" })
            .where(and(endpoint, eq(webhookEndpoints.status, "enabled"))),
          disabledEvent(db, row.merchantId, row.endpointId, row.created),
          insert,
        ]);
        return true;
      } catch (err) {
        if (!isGuardMiss(err, "events.snapshot")) throw err;
        // Already disabled meanwhile: the attempt alone.
        await insert;
        return false;
      }
    case "failed":
    case "dead":
      await db.batch([
        db
          .update(webhookEndpoints)
          .set({ failingSince: sql`coalesce(${webhookEndpoints.failingSince}, ${row.created})` })
          .where(endpoint),
        insert,
      ]);
      return false;
  }
}

/** Records an attempt that changes nothing else (a message the consumer could not handle at all). */
export async function insertAttempt(db: Db, row: AttemptRow): Promise<void> {
  await db.insert(webhookAttempts).values(row);
}

/**
 * Disables the endpoint with reason `failing` if it is enabled, failing, and no delivery to it
 * succeeded since `since` (unix seconds: when the dead message was first queued), with its
 * `webhook_endpoint.disabled` event in the same batch (at `now`). True when it did.
 */
export async function disableIfStillFailing(
  db: Db,
  merchantId: string,
  endpointId: string,
  since: number,
  now: number,
): Promise<boolean> {
  const succeededSince = sql`exists (select 1 from ${webhookAttempts} where ${webhookAttempts.endpointId} = ${endpointId} and ${webhookAttempts.outcome} = 'succeeded' and ${webhookAttempts.created} >= ${since})`;
  try {
    await db.batch([
      db
        .update(webhookEndpoints)
        .set({ status: "disabled", disabledReason: "failing" })
        .where(
          and(
            eq(webhookEndpoints.id, endpointId),
            eq(webhookEndpoints.merchantId, merchantId),
            eq(webhookEndpoints.status, "enabled"),
            isNotNull(webhookEndpoints.failingSince),
            sql`not ${succeededSince}`,
          ),
        ),
      disabledEvent(db, merchantId, endpointId, now),
    ]);
    return true;
  } catch (err) {
    // Nothing to disable: the batch rolled back, no event.
    if (isGuardMiss(err, "events.snapshot")) return false;
    throw err;
  }
}

/** A page of the attempts to one of the merchant's endpoints, newest first, optionally of one event. */
export function listAttempts(
  db: Db,
  merchantId: string,
  endpointId: string,
  eventId: string | undefined,
  page: PageRequest,
) {
  const t = webhookAttempts;
  const scope = and(
    eq(t.merchantId, merchantId),
    eq(t.endpointId, endpointId),
    eventId === undefined ? undefined : eq(t.eventId, eventId),
  );
  return listPage(db, { table: t, id: t.id, created: t.created, scope }, page);
}

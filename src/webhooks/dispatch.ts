/**
 * The dispatcher: moves a merchant's undispatched events (the outbox) onto the webhook queue, one
 * message per (event, matching enabled endpoint), then marks them dispatched. It runs after every
 * merchant write request (middleware/dispatch.ts, after the response) and from the minute cron
 * over every shard (`dispatchAll`), which picks up whatever a request's run left behind.
 *
 * Sends are awaited: a `send` left to `waitUntil` drops its error, and the event with it. A crash
 * between sending and marking leaves the claim to lapse and the cron to send again: delivery is at
 * least once, and receivers dedupe on the event id (or `webhook-id`).
 */
import { controlDb, type Db } from "../db/client";
import { merchantsToSkip } from "../db/merchant-move";
import { claimWithEndpoints, markDispatched, merchantsWithUndispatched } from "../db/outbox";
import { allShards } from "../db/shards";
import { subscribes } from "../domain/event-types";
import { log } from "../lib/log";
import type { DeliveryMessage } from "./messages";

/** Events claimed per round. */
export const DISPATCH_BATCH = 50;
/** Rounds per merchant per run: a bound on one run's work; the next run takes the rest. */
export const DISPATCH_ROUNDS = 10;
/** Most messages one `sendBatch` takes (Queues' limit). */
export const SEND_BATCH_LIMIT = 100;
/** Merchants per shard one cron run dispatches. */
export const CRON_MERCHANTS_PER_SHARD = 200;

/** What one dispatch run did. */
export interface DispatchReport {
  events: number;
  messages: number;
}

/** Current unix seconds. */
function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}

/** Puts delivery messages on the queue, SEND_BATCH_LIMIT per `sendBatch`, each send awaited. */
export async function queueDeliveries(queue: Queue, messages: readonly DeliveryMessage[]): Promise<void> {
  for (let i = 0; i < messages.length; i += SEND_BATCH_LIMIT) {
    await queue.sendBatch(messages.slice(i, i + SEND_BATCH_LIMIT).map((body) => ({ body, contentType: "json" })));
  }
}

/** Dispatches the merchant's claimable events on `db` (the merchant's shard). */
export async function dispatchMerchant(
  env: Pick<Env, "WEBHOOKS">,
  db: Db,
  merchantId: string,
  now: number = unixNow(),
): Promise<DispatchReport> {
  const report: DispatchReport = { events: 0, messages: 0 };
  for (let round = 0; round < DISPATCH_ROUNDS; round++) {
    // One round trip: the claim, and the endpoints as they are now (matched here, in memory).
    const { claimed, endpoints } = await claimWithEndpoints(db, merchantId, now, DISPATCH_BATCH);
    if (claimed.length === 0) break;
    const targets = claimed.map((e) => endpoints.filter((w) => subscribes(w.enabledEvents, e.type)).map((w) => w.id));
    const messages = claimed.flatMap((e, i) =>
      (targets[i] ?? []).map((endpointId) => ({ merchantId, eventId: e.id, endpointId, queuedAt: now })),
    );
    await queueDeliveries(env.WEBHOOKS, messages);
    await markDispatched(
      db,
      claimed.map((e, i) => ({ id: e.id, targets: targets[i] ?? [] })),
      now,
    );
    report.events += claimed.length;
    report.messages += messages.length;
    if (claimed.length < DISPATCH_BATCH) break;
  }
  return report;
}

/**
 * The cron's run: on every shard, dispatches each merchant with claimable events, except those the
 * move bookkeeping says to leave alone on that shard (a move in progress, a stale copy). Shards run
 * in parallel; a failing merchant or shard is logged and does not stop the others. Each merchant's
 * claims are marked with the time its dispatch starts (`clock`), not the run's: a run longer than
 * CLAIM_TIMEOUT_SECONDS would otherwise claim with a time that already looks lapsed, and a
 * request's dispatcher would take the events over and send them again.
 */
export async function dispatchAll(env: Env, clock: () => number = unixNow): Promise<DispatchReport> {
  const total: DispatchReport = { events: 0, messages: 0 };
  await Promise.all(
    allShards(env).map(async (db, shard) => {
      try {
        const skip = await merchantsToSkip(controlDb(env), shard, Date.now());
        for (const merchantId of await merchantsWithUndispatched(db, clock(), CRON_MERCHANTS_PER_SHARD, skip)) {
          const r = await dispatchMerchant(env, db, merchantId, clock()).catch((err: unknown) => {
            log("error", "webhook_dispatch_failed", { shard, merchant: merchantId, error: errorName(err) });
            return { events: 0, messages: 0 };
          });
          total.events += r.events;
          total.messages += r.messages;
        }
      } catch (err) {
        log("error", "webhook_dispatch_shard_failed", { shard, error: errorName(err) });
      }
    }),
  );
  return total;
}

/** The class name of a thrown value, for logs (never its message). */
function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}

/**
 * The dead-letter consumer (queue `WEBHOOKS_DLQ`): a message lands here when its retry schedule is
 * exhausted (sent by webhooks/deliver.ts, the `dead` attempt already recorded), or when the consumer
 * crashed on it past the queue's `max_retries` (moved by Queues; recorded here). The endpoint is
 * disabled (reason `failing`) when nothing was delivered to it since the message was first queued:
 * it has failed for the whole schedule (≈ 3 days live). An endpoint that succeeded meanwhile stays
 * enabled; only this event is given up (and can be resent: POST /v1/events/{id}/resend). A message
 * the consumer crashed on says nothing about the endpoint: it is recorded (`dead`, error
 * `consumer_failed`) and logged, and the endpoint is left as it is. While the merchant is being
 * moved between shards (db/consumer-route.ts) a dead letter changes nothing and comes back later.
 */

import { type ConsumerRoute, consumerRoute } from "../db/consumer-route";
import { disableIfStillFailing, insertAttempt } from "../db/webhook-attempts";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { batchRoutes, dispatchNow, moveRetryDelay } from "./deliver";
import { type DeadLetter, isDeliveryMessage } from "./messages";

/** Handles a batch of the dead-letter queue. A message that fails to be handled is retried. */
export async function handleDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const routeOf = batchRoutes(env);
  await Promise.all(
    batch.messages.map(async (message) => {
      const letter = message.body as DeadLetter;
      if (!isDeliveryMessage(letter)) {
        log("error", "webhook_dead_letter_malformed", { message: message.id });
        message.ack();
        return;
      }
      try {
        const route = await routeOf(letter.merchantId);
        if (route.kind === "moving") {
          message.retry({ delaySeconds: moveRetryDelay(Math.random()) });
          return;
        }
        const disabled = await deadLetter(env, letter, route);
        log("warn", "webhook_dead_letter", {
          event_id: letter.eventId,
          endpoint_id: letter.endpointId,
          endpoint_disabled: disabled,
        });
        message.ack();
      } catch (err) {
        log("error", "webhook_dead_letter_failed", {
          event_id: letter.eventId,
          error: err instanceof Error ? err.name : "unknown",
        });
        message.retry();
      }
    }),
  );
}

/**
 * Disables the letter's endpoint if it is still failing (true when it did); records a crashed
 * message's dead attempt. `route` is the merchant's (looked up when not given); a moving merchant
 * changes nothing.
 */
export async function deadLetter(env: Env, letter: DeadLetter, route?: ConsumerRoute): Promise<boolean> {
  const found = route ?? (await consumerRoute(env, letter.merchantId));
  if (found.kind !== "shard") return false;
  const { db } = found;
  if (!letter.recorded) {
    await insertAttempt(db, {
      id: newId("whatt"),
      merchantId: letter.merchantId,
      endpointId: letter.endpointId,
      eventId: letter.eventId,
      attempt: 0,
      outcome: "dead",
      responseStatus: null,
      responseBody: null,
      error: "consumer_failed",
      latencyMs: 0,
      nextRetryAt: null,
      created: Math.floor(Date.now() / 1000),
    });
    return false;
  }
  const disabled = await disableIfStillFailing(
    db,
    letter.merchantId,
    letter.endpointId,
    letter.queuedAt,
    Math.floor(Date.now() / 1000),
  );
  if (disabled) await dispatchNow(env, db, letter.merchantId);
  return disabled;
}

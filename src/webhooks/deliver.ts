/**
 * The webhook consumer: one delivery attempt per queue message (`DeliveryMessage`). It reads the
 * event and endpoint (one batch on the merchant's shard), renders the body from the stored event
 * (`eventJson`), checks the URL again, POSTs it signed with both schemes (webhooks/sign.ts), records
 * the attempt, and acks or retries the message:
 * - 2xx: succeeded. Any other status, a redirect (never followed), a timeout, a network error or a
 *   refused URL: failed, retried on the schedule of domain/webhook-retry.ts (`Retry-After` may only
 *   lengthen a delay); once the schedule is exhausted the message goes to the dead-letter queue
 *   (webhooks/dead-letters.ts) and the attempt is recorded `dead`.
 * - 410: the endpoint is disabled (`gone`) and the message acked.
 * - An endpoint that is gone or disabled when the message comes due: acked, nothing recorded
 *   (Stripe: retries stop when the endpoint is disabled).
 * - A merchant being moved between shards (db/consumer-route.ts): nothing is sent or written, the
 *   message is retried after MOVE_RETRY_SECONDS (+ jitter); a write meanwhile would make the move's
 *   copy differ, or be lost on the source after it. The retry counts as one of the message's queue
 *   attempts, so it takes one step of the schedule.
 * An exception while handling a message retries that message (after `retry_delay`), never loses it;
 * past `max_retries` Queues moves it to the dead-letter queue itself.
 */
import type { Db } from "../db/client";
import { type ConsumerRoute, consumerRoute } from "../db/consumer-route";
import { type AttemptRow, deliveryTargets, recordAttempt } from "../db/webhook-attempts";
import type { WebhookEndpointRow } from "../db/webhook-endpoints";
import {
  type AttemptOutcome,
  afterFailure,
  outcomeOfStatus,
  parseRetryAfter,
  scheduleFor,
} from "../domain/webhook-retry";
import { type EventRow, eventJson } from "../events/render";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { isLive } from "../payments/serialize";
import { dispatchMerchant } from "./dispatch";
import { type DeadLetter, type DeliveryMessage, isDeliveryMessage } from "./messages";
import { openWebhookSecret } from "./secrets";
import { activeSecrets, messageId, signatureHeaders } from "./sign";
import { checkDeliveryUrl, dohResolver } from "./url-safety";

/** The User-Agent of every delivery. */
export const USER_AGENT = "edgepay/1.0 (+webhooks)";
/** Characters of a response body kept with the attempt. */
export const RESPONSE_BODY_LIMIT = 1000;
/** Bytes of a response body read at most (the rest is discarded unread). */
const RESPONSE_READ_LIMIT = 4096;
/**
 * Deliveries of one batch in flight at once: a Worker has 6 connections waiting for headers, and a
 * request queued behind them would spend its own timeout waiting for a connection.
 */
export const DELIVERY_CONCURRENCY = 6;
/** Seconds before a message of a merchant being moved comes back (up to twice that, with jitter). */
export const MOVE_RETRY_SECONDS = 30;

/** Resolves a merchant's route; one per batch, so each merchant is looked up at most once per batch. */
export type RouteOf = (merchantId: string) => Promise<ConsumerRoute>;

/** A route lookup that asks the cache (db/consumer-route.ts) once per merchant for as long as it lives. */
export function batchRoutes(env: Env): RouteOf {
  const routes = new Map<string, Promise<ConsumerRoute>>();
  return (merchantId) => {
    let found = routes.get(merchantId);
    if (!found) {
      found = consumerRoute(env, merchantId);
      routes.set(merchantId, found);
    }
    return found;
  };
}

/** The delay of a message whose merchant is being moved: MOVE_RETRY_SECONDS to twice that. */
export function moveRetryDelay(random: number): number {
  return MOVE_RETRY_SECONDS + Math.floor(MOVE_RETRY_SECONDS * random);
}

/** What a test may change about delivery: the timeout and the jitter's random source. */
export interface DeliverOptions {
  /** Milliseconds a receiver has to answer, body included. */
  timeoutMs: number;
  random: () => number;
}

/** Production settings: 10 s to answer. */
export const DEFAULT_DELIVER_OPTIONS: DeliverOptions = { timeoutMs: 10_000, random: Math.random };

/** What to do with a message once it is handled. */
export type MessageAction = { kind: "ack" } | { kind: "retry"; delaySeconds: number };

/** One POST's result: the response's status and body start, or the error that stopped it. */
interface PostResult {
  status: number | null;
  body: string | null;
  error: string | null;
  latencyMs: number;
  retryAfter: string | null;
}

/** Handles a batch of the webhook queue: each message acked or retried on its own. */
export async function handleDeliveries(
  batch: MessageBatch<unknown>,
  env: Env,
  options: DeliverOptions = DEFAULT_DELIVER_OPTIONS,
): Promise<void> {
  const routeOf = batchRoutes(env);
  const handle = async (message: Message<unknown>) => {
    if (!isDeliveryMessage(message.body)) {
      log("error", "webhook_message_malformed", { queue: batch.queue, message: message.id });
      message.ack();
      return;
    }
    try {
      const action = await deliver(env, message.body, message.attempts, options, routeOf);
      if (action.kind === "ack") message.ack();
      else message.retry({ delaySeconds: action.delaySeconds });
    } catch (err) {
      // Not lost: retried after the queue's retry_delay; past max_retries Queues dead-letters it.
      log("error", "webhook_delivery_crashed", {
        event_id: message.body.eventId,
        endpoint_id: message.body.endpointId,
        attempt: message.attempts,
        error: err instanceof Error ? err.name : "unknown",
      });
      message.retry();
    }
  };
  const queue = [...batch.messages];
  const worker = async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) await handle(next);
  };
  await Promise.all(Array.from({ length: Math.min(DELIVERY_CONCURRENCY, queue.length) }, worker));
}

/** Delivers one message's event to its endpoint (attempt number `attempt`) and says what to do with the message. */
export async function deliver(
  env: Env,
  msg: DeliveryMessage,
  attempt: number,
  options: DeliverOptions = DEFAULT_DELIVER_OPTIONS,
  routeOf: RouteOf = (id) => consumerRoute(env, id),
): Promise<MessageAction> {
  const route = await routeOf(msg.merchantId);
  if (route.kind === "unknown") return { kind: "ack" };
  if (route.kind === "moving") return { kind: "retry", delaySeconds: moveRetryDelay(options.random()) };
  const { db } = route;
  const { event, endpoint } = await deliveryTargets(db, msg.merchantId, msg.eventId, msg.endpointId);
  if (!event || !endpoint || endpoint.status !== "enabled") return { kind: "ack" };

  const now = Math.floor(Date.now() / 1000);
  const result = await post(env, event, endpoint, now, options);
  let outcome: AttemptOutcome =
    result.status === null || result.error !== null ? "failed" : outcomeOfStatus(result.status);
  let action: MessageAction = { kind: "ack" };
  let nextRetryAt: number | null = null;
  if (outcome === "failed") {
    const retryAfter = parseRetryAfter(result.retryAfter, Date.now());
    const decision = afterFailure(scheduleFor(env.EDGEPAY_MODE), attempt, retryAfter, options.random());
    if (decision.kind === "retry") {
      action = { kind: "retry", delaySeconds: decision.delaySeconds };
      nextRetryAt = now + decision.delaySeconds;
    } else {
      await env.WEBHOOKS_DLQ.send({ ...msg, recorded: true } satisfies DeadLetter, { contentType: "json" });
      outcome = "dead";
    }
  }
  const row: AttemptRow & { outcome: AttemptOutcome } = {
    id: newId("whatt"),
    merchantId: msg.merchantId,
    endpointId: endpoint.id,
    eventId: event.id,
    attempt,
    outcome,
    responseStatus: result.status,
    responseBody: result.body,
    error: result.error,
    latencyMs: result.latencyMs,
    nextRetryAt,
    created: now,
  };
  const disabled = await recordAttempt(db, row);
  if (outcome === "gone") log("warn", "webhook_endpoint_gone", { endpoint_id: endpoint.id });
  if (disabled) await dispatchNow(env, db, msg.merchantId);
  return action;
}

/**
 * Dispatches the merchant's undispatched events (the `webhook_endpoint.disabled` event just recorded)
 * to its other endpoints at once; a failure is logged and left to the minute cron.
 */
export async function dispatchNow(env: Env, db: Db, merchantId: string): Promise<void> {
  await dispatchMerchant(env, db, merchantId).catch((err: unknown) =>
    log("error", "webhook_dispatch_failed", {
      merchant: merchantId,
      error: err instanceof Error ? err.name : "unknown",
    }),
  );
}

/** The endpoint's secrets that sign at `now`: the current one, and the previous one during a roll. */
async function secretsOf(env: Env, endpoint: WebhookEndpointRow, now: number): Promise<string[]> {
  const current = await openWebhookSecret(env, endpoint.merchantId, endpoint.id, endpoint.secretSealed);
  const rolling =
    endpoint.previousSecretSealed !== null &&
    endpoint.previousSecretExpiresAt !== null &&
    now < endpoint.previousSecretExpiresAt;
  const previous = rolling
    ? await openWebhookSecret(env, endpoint.merchantId, endpoint.id, endpoint.previousSecretSealed as string)
    : null;
  return activeSecrets(current, previous, endpoint.previousSecretExpiresAt, now);
}

/** POSTs the event to the endpoint once; never throws for what the receiver or the network does. */
async function post(
  env: Env,
  event: EventRow,
  endpoint: WebhookEndpointRow,
  now: number,
  options: DeliverOptions,
): Promise<PostResult> {
  const startedAt = Date.now();
  const failed = (error: string): PostResult => ({
    status: null,
    body: null,
    error,
    latencyMs: Date.now() - startedAt,
    retryAfter: null,
  });
  // Checked again at every delivery: DNS may have changed since the endpoint was created.
  const url = await checkDeliveryUrl(endpoint.url, isLive(env) ? "live" : "test", dohResolver());
  if (!url.ok) return failed("url_refused");
  const body = JSON.stringify(eventJson(event, isLive(env)));
  const signatures = await signatureHeaders({
    messageId: messageId(event.id, endpoint.id),
    timestamp: now,
    body,
    secrets: await secretsOf(env, endpoint, now),
  });
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const res = await fetch(url.url, {
      method: "POST",
      headers: { ...signatures, "User-Agent": USER_AGENT, "Content-Type": "application/json" },
      body,
      redirect: "manual",
      signal,
    });
    const text = await readStart(res);
    return {
      status: res.status,
      body: text,
      error: res.status >= 300 && res.status < 400 ? "redirect" : null,
      latencyMs: Date.now() - startedAt,
      retryAfter: res.headers.get("retry-after"),
    };
  } catch (err) {
    return failed(
      err instanceof Error && (err.name === "TimeoutError" || signal.aborted) ? "timeout" : "network_error",
    );
  }
}

/** The first RESPONSE_BODY_LIMIT characters of a response body, reading at most RESPONSE_READ_LIMIT bytes. */
async function readStart(res: Response): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < RESPONSE_READ_LIMIT) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
  }
  if (size >= RESPONSE_READ_LIMIT) await reader.cancel().catch(() => undefined);
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return new TextDecoder().decode(bytes.subarray(0, RESPONSE_READ_LIMIT)).slice(0, RESPONSE_BODY_LIMIT);
}

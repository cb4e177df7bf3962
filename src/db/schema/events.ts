/**
 * Events and webhooks: the event outbox (one row per event, written in the same D1 batch as the
 * change it describes), the merchant's webhook endpoints, and every delivery attempt. Per-merchant
 * tables, so they live on the merchant's shard. See docs/schema.md and README "Events and webhooks".
 */
import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * An event (`evt_…`). `snapshot` is the row of the object it describes as the change's batch left
 * it (JSON with the row's own field names; card secrets are never part of it), rendered to the
 * API's shape when the event is read or delivered (src/events/render.ts). `dispatched` is the
 * outbox flag: 0 until its webhook messages are on the queue.
 */
export const events = sqliteTable(
  "events",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** `payment_intent.succeeded`, `refund.created`, … (EventType). */
    type: text("type").notNull(),
    /** What `data.object` is: payment_intent, charge, refund, payment_method, webhook_endpoint. */
    objectType: text("object_type").notNull(),
    objectId: text("object_id").notNull(),
    /** JSON of the object's row after the change (NOT NULL: a change whose row is missing fails its batch). */
    snapshot: text("snapshot").notNull(),
    /** JSON of `data.previous_attributes` (wire names), on `*.updated` events. */
    previousAttributes: text("previous_attributes"),
    /** The `Request-Id` of the request that caused the change; null for automatic changes (the sweep). */
    requestId: text("request_id"),
    requestIdempotencyKey: text("request_idempotency_key"),
    created: integer("created").notNull(),
    /**
     * Endpoints of `webhook_targets` that have not yet acknowledged the event (set at dispatch,
     * decremented on the first 2xx of each of them; a resend to another endpoint does not count).
     */
    pendingWebhooks: integer("pending_webhooks").notNull().default(0),
    /** JSON array of the endpoint ids the dispatcher sent the event to; null until it is dispatched. */
    webhookTargets: text("webhook_targets"),
    /** Outbox: 1 once its webhook messages are on the queue. */
    dispatched: integer("dispatched").notNull().default(0),
    /** When a dispatcher claimed it (unix seconds); a claim older than a minute is taken over. */
    claimedAt: integer("claimed_at"),
  },
  (t) => [
    index("events_list_idx").on(t.merchantId, t.created, t.id),
    index("events_type_idx").on(t.merchantId, t.type, t.created),
    index("events_object_idx").on(t.objectId, t.created),
    index("events_outbox_idx").on(t.merchantId, t.created).where(sql`${t.dispatched} = 0`),
    index("events_created_idx").on(t.created),
  ],
);

/**
 * A merchant's webhook endpoint (`we_…`). The signing secret (`whsec_…`) is kept sealed under the
 * vault's key-encryption keys (it must be recoverable to sign); after a roll, the previous secret
 * also signs until `previous_secret_expires_at`.
 */
export const webhookEndpoints = sqliteTable(
  "webhook_endpoints",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of event types, or ["*"]. */
    enabledEvents: text("enabled_events").notNull(),
    metadata: text("metadata").notNull().default("{}"),
    /** enabled or disabled (by the merchant, by a 410, or after failing for days). */
    status: text("status", { enum: ["enabled", "disabled"] }).notNull(),
    /** Why the gateway disabled it, when it did: gone (410), failing. Null when enabled or disabled by the merchant. */
    disabledReason: text("disabled_reason"),
    apiVersion: text("api_version"),
    /** The secret, sealed: JSON of the envelope (key version, wrapped data key, ciphertext). */
    secretSealed: text("secret_sealed").notNull(),
    previousSecretSealed: text("previous_secret_sealed"),
    previousSecretExpiresAt: integer("previous_secret_expires_at"),
    /** First failed delivery since the last success (unix seconds); null while deliveries succeed. */
    failingSince: integer("failing_since"),
    /** Idempotency-Key of the create: a retry finds this endpoint (and shows its secret again). */
    idempotencyKey: text("idempotency_key"),
    /** Idempotency-Key of the latest secret roll: a retry of that roll rolls nothing more. */
    rollKey: text("roll_key"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("webhook_endpoints_merchant_idx").on(t.merchantId, t.created, t.id),
    uniqueIndex("webhook_endpoints_idempotency_idx").on(t.merchantId, t.idempotencyKey),
  ],
);

/** One delivery attempt of one event to one endpoint. */
export const webhookAttempts = sqliteTable(
  "webhook_attempts",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    endpointId: text("endpoint_id").notNull(),
    eventId: text("event_id").notNull(),
    /** 1 for the first attempt of this (event, endpoint) message. */
    attempt: integer("attempt").notNull(),
    /** succeeded (2xx), failed (will be retried), dead (given up: dead-letter queue), gone (410). */
    outcome: text("outcome").notNull(),
    /** The HTTP status, or null when no response came (timeout, network error, refused URL). */
    responseStatus: integer("response_status"),
    /** At most WEBHOOK_RESPONSE_BODY_LIMIT characters of the response body. */
    responseBody: text("response_body"),
    /** timeout, network_error, redirect, url_refused, …; null on a response. */
    error: text("error"),
    latencyMs: integer("latency_ms").notNull(),
    /** When the next attempt is due (unix seconds), when there is one. */
    nextRetryAt: integer("next_retry_at"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("webhook_attempts_endpoint_idx").on(t.endpointId, t.created, t.id),
    index("webhook_attempts_event_idx").on(t.eventId, t.created),
    index("webhook_attempts_created_idx").on(t.created),
  ],
);

/**
 * The Event object as the API returns it and webhooks carry it (Stripe's shape), rendered from a
 * stored events row: `data.object` comes from the row snapshot the change's batch took, through
 * the same serializers the API uses, so an event shows exactly what a GET showed at that moment.
 */
import { sessionJson } from "../checkout/serialize";
import { type CustomerRow, customerJson } from "../customers";
import type { ChargeRow } from "../db/charges";
import type { SessionRow } from "../db/checkout-sessions";
import type { IntentRow } from "../db/payment-intents";
import type { PayoutRow } from "../db/payouts";
import type { RefundRow } from "../db/refunds";
import type { ReviewRow } from "../db/reviews";
import type { events } from "../db/schema";
import type { PaymentMethodRow } from "../db/vault";
import type { WebhookEndpointRow } from "../db/webhook-endpoints";
import { chargeJson, chargeOfIntent, intentJson, refundJson } from "../payments/serialize";
import { payoutJson } from "../payouts/serialize";
import { reviewJson } from "../radar/review-json";
import { paymentMethodObject } from "../vault/objects";
import { webhookEndpointJson } from "../webhooks/endpoints";

/** A stored events row. */
export type EventRow = typeof events.$inferSelect;

/** The API version events are rendered as (the one the `stripe` SDK edgepay is tested with pins). */
export const API_VERSION = "2026-10-28.endive";

/** What `data.object` of an event is. */
export type EventObjectType =
  | "payment_intent"
  | "charge"
  | "refund"
  | "review"
  | "payment_method"
  | "customer"
  | "webhook_endpoint"
  | "payout"
  | "checkout_session"
  | "balance";

/** `data.object` of an event: the object as the API showed it right after the change. */
export function eventDataObject(row: EventRow, livemode: boolean): Record<string, unknown> {
  const snapshot = JSON.parse(row.snapshot) as unknown;
  const type = row.objectType as EventObjectType;
  switch (type) {
    case "payment_intent":
      return intentJson(snapshot as IntentRow, livemode);
    case "charge": {
      // A snapshot is the charge row with its intent's under `intent`; older ones are the intent row alone.
      const taken = snapshot as ChargeRow & { intent?: IntentRow };
      if (taken.intent) return chargeJson(taken, taken.intent, livemode);
      const intent = snapshot as IntentRow;
      return chargeJson(chargeOfIntent(intent), intent, livemode);
    }
    case "refund":
      return refundJson(snapshot as RefundRow);
    case "review":
      return reviewJson(snapshot as ReviewRow, livemode);
    case "payment_method":
      return paymentMethodObject(snapshot as PaymentMethodRow, livemode);
    case "customer":
      return customerJson(snapshot as CustomerRow, livemode);
    case "webhook_endpoint":
      // The snapshot has no secret columns (db/events.ts), and the object is rendered without one.
      return webhookEndpointJson(snapshot as WebhookEndpointRow, livemode);
    case "payout":
      return payoutJson(snapshot as PayoutRow, livemode);
    case "checkout_session":
      return sessionJson(snapshot as SessionRow, livemode);
    case "balance": {
      // The ledger's available and pending balance per currency (db/events.ts `balanceSnapshot`).
      const rows = snapshot as { currency: string; available: number; pending: number }[];
      return {
        object: "balance",
        available: rows.map((r) => ({ amount: r.available, currency: r.currency })),
        pending: rows.map((r) => ({ amount: r.pending, currency: r.currency })),
        livemode,
      };
    }
  }
}

/** The Event object. `pending_webhooks` is as stored now (deliveries decrement it). */
export function eventJson(row: EventRow, livemode: boolean) {
  return {
    id: row.id,
    object: "event" as const,
    api_version: API_VERSION,
    created: row.created,
    data: {
      object: eventDataObject(row, livemode),
      ...(row.previousAttributes === null
        ? {}
        : { previous_attributes: JSON.parse(row.previousAttributes) as Record<string, unknown> }),
    },
    livemode,
    pending_webhooks: row.pendingWebhooks,
    request: { id: row.requestId, idempotency_key: row.requestIdempotencyKey },
    type: row.type,
  };
}

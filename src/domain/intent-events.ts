/**
 * Which events a change to a PaymentIntent emits: the closed set of change kinds the version log
 * records, and for each the Stripe event types it causes. Pure and exhaustive: a new change kind
 * fails to compile until it says what merchants are told. Refund events belong to the refund
 * (payments/refunds.ts adds them to the same batch); payment method events to the vault.
 */
import type { IntentStatus } from "./payment-state";

/** Every kind of change an intent's version log records. */
export type IntentChangeKind =
  | "created"
  | "payment_method_attached"
  | "updated"
  | "authorize_started"
  | "capture_started"
  | "void_started"
  | "refund_started"
  | "refund_failed"
  | "authorized"
  | "declined"
  /** An authorization failed before authorizing and went to the fallback connector (a failed charge). */
  | "failed_over"
  | "payment_method_unavailable"
  | "captured"
  | "capture_expired"
  | "capture_refused"
  | "voided"
  | "void_refused"
  | "canceled"
  /** A review holding the intent was approved: it may be captured (the review tells it: `review.closed`). */
  | "review_approved"
  /** The issuer wants the card authenticated (3-D Secure): the intent waits in requires_action. */
  | "action_required"
  /** The shopper failed the challenge: back to requires_payment_method (no charge: nothing was sent). */
  | "authentication_failed"
  /** The challenge expired unanswered (the sweep): back to requires_payment_method. */
  | "authentication_expired";

/** An event a change emits, and whether `data.object` is the intent or its latest charge. */
export interface IntentEvent {
  type: string;
  object: "payment_intent" | "charge";
}

/** The intent as the batch leaves it, as far as the events depend on it. */
export interface IntentAfter {
  status: IntentStatus;
  captureMethod: "automatic" | "manual";
}

const pi = (type: string): IntentEvent => ({ type: `payment_intent.${type}`, object: "payment_intent" });
const ch = (type: string): IntentEvent => ({ type: `charge.${type}`, object: "charge" });

/**
 * The events of the changes `kinds`, recorded together in one batch, that leave the intent `after`.
 * An automatic capture recorded with its authorization is one `charge.succeeded` (already
 * captured), as on Stripe; a capture recorded later is `charge.captured`.
 */
export function intentEvents(kinds: readonly IntentChangeKind[], after: IntentAfter): IntentEvent[] {
  return kinds.flatMap((kind) => eventsOf(kind, kinds, after));
}

function eventsOf(kind: IntentChangeKind, batch: readonly IntentChangeKind[], after: IntentAfter): IntentEvent[] {
  switch (kind) {
    case "created":
      return [pi("created")];
    case "authorize_started":
      return [pi("processing")];
    case "authorized":
      return after.status === "requires_capture"
        ? [ch("succeeded"), pi("amount_capturable_updated")]
        : [ch("succeeded")];
    case "declined":
      return [ch("failed"), pi("payment_failed")];
    case "failed_over":
      // The attempt failed, the payment did not: it is still processing on the next connector.
      return [ch("failed")];
    case "action_required":
      return [pi("requires_action")];
    case "payment_method_unavailable":
    case "authentication_failed":
    case "authentication_expired":
      // Nothing reached the processor, so there is no charge: only the intent failed.
      return [pi("payment_failed")];
    case "captured":
      return batch.includes("authorized") ? [pi("succeeded")] : [ch("captured"), pi("succeeded")];
    case "capture_expired":
    case "voided":
    case "canceled":
      return [pi("canceled")];
    case "payment_method_attached":
    case "updated":
    case "capture_started":
    case "void_started":
    case "refund_started":
    case "refund_failed":
    case "capture_refused":
    case "void_refused":
    case "review_approved":
      // Stripe sends no event for these: the intent's visible state is unchanged, or the refund tells it.
      return [];
  }
}

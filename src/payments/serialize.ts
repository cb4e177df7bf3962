/** The wire shapes of PaymentIntents and refunds (Stripe's field names), built from stored rows. */
import type { IntentRow } from "../db/payment-intents";
import type { RefundRow } from "../db/refunds";
import type { IntentStatus } from "../domain/payment-state";
import type { Metadata } from "../lib/params";

/** Stripe's `last_payment_error` as stored on an intent. */
export interface LastPaymentError {
  type: "card_error";
  code: string;
  decline_code: string;
  message: string;
  payment_method: { id: string } | null;
}

/** The PaymentIntent object. `amount_refunded` is an edgepay extension (Stripe keeps it on the charge). */
export function intentJson(row: IntentRow, livemode: boolean) {
  return {
    id: row.id,
    object: "payment_intent" as const,
    amount: row.amount,
    amount_capturable: row.amountCapturable,
    amount_received: row.amountReceived,
    amount_refunded: row.amountRefunded,
    canceled_at: row.canceledAt,
    cancellation_reason: row.cancellationReason,
    capture_method: row.captureMethod as "automatic" | "manual",
    // Older event snapshots predate the column.
    client_secret: row.clientSecret ?? null,
    confirmation_method: "automatic" as const,
    created: row.created,
    currency: row.currency,
    // Older event snapshots predate the column.
    customer: row.customer ?? null,
    description: row.description,
    last_payment_error: row.lastPaymentError ? (JSON.parse(row.lastPaymentError) as LastPaymentError) : null,
    latest_charge: row.latestCharge,
    livemode,
    metadata: JSON.parse(row.metadata) as Metadata,
    payment_method: row.paymentMethod,
    payment_method_types: ["card"],
    setup_future_usage: (row.setupFutureUsage ?? null) as "on_session" | "off_session" | null,
    statement_descriptor: row.statementDescriptor,
    status: row.status as IntentStatus,
  };
}

/**
 * The Charge object of an intent's latest charge, derived from the intent row: a charge comes into
 * being with each authorization attempt (`latest_charge`); it failed when that attempt was declined.
 * Refunds and captures show as on Stripe's charge (`amount_captured`, `amount_refunded`, `refunded`).
 */
export function chargeJson(row: IntentRow, livemode: boolean) {
  const error = row.lastPaymentError ? (JSON.parse(row.lastPaymentError) as LastPaymentError) : null;
  const failed = error !== null && row.status === "requires_payment_method";
  const captured = row.amountReceived > 0;
  return {
    id: row.latestCharge,
    object: "charge" as const,
    amount: row.amount,
    amount_captured: row.amountReceived,
    amount_refunded: row.amountRefunded,
    // Null until settlement lands (balance transactions).
    balance_transaction: null,
    captured,
    created: row.authorizedAt ?? row.created,
    currency: row.currency,
    customer: row.customer ?? null,
    description: row.description,
    failure_code: failed ? error.code : null,
    failure_message: failed ? error.message : null,
    livemode,
    metadata: JSON.parse(row.metadata) as Metadata,
    outcome: failed
      ? { type: "issuer_declined", network_status: "declined_by_network", reason: error.decline_code }
      : { type: "authorized", network_status: "approved_by_network", reason: null },
    paid: !failed,
    payment_intent: row.id,
    payment_method: row.paymentMethod ?? error?.payment_method?.id ?? null,
    refunded: captured && row.amountRefunded >= row.amountReceived,
    statement_descriptor: row.statementDescriptor,
    status: failed ? ("failed" as const) : ("succeeded" as const),
  };
}

/** The Refund object. */
export function refundJson(row: RefundRow) {
  return {
    id: row.id,
    object: "refund" as const,
    amount: row.amount,
    charge: row.charge,
    created: row.created,
    currency: row.currency,
    failure_reason: row.failureReason,
    metadata: JSON.parse(row.metadata) as Metadata,
    payment_intent: row.paymentIntentId,
    reason: row.reason,
    status: row.status as "pending" | "succeeded" | "failed" | "canceled",
  };
}

/** True when this deployment reports objects as live mode. */
export function isLive(env: Pick<Env, "EDGEPAY_MODE">): boolean {
  return env.EDGEPAY_MODE === "live";
}

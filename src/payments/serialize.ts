/** The wire shapes of PaymentIntents, charges and refunds (Stripe's field names), built from stored rows. */
import { balanceTransactionOf } from "../db/balance-transactions";
import type { ChargeRow } from "../db/charges";
import type { IntentRow } from "../db/payment-intents";
import type { RefundRow } from "../db/refunds";
import type { FraudVerdict } from "../domain/fraud-verdict";
import type { IntentStatus } from "../domain/payment-state";
import type { StoredNextAction } from "../domain/three-d-secure";
import type { Metadata } from "../lib/params";
import type { BillingDetails } from "../vault";

/** Stripe's `last_payment_error` as stored on an intent. */
export interface LastPaymentError {
  /** `invalid_request_error` for a failed 3-D Secure authentication (no decline: nothing was sent). */
  type: "card_error" | "invalid_request_error";
  code: string;
  decline_code?: string;
  message: string;
  payment_method: { id: string } | null;
}

/** The `next_action` of an intent in requires_action (Stripe's `redirect_to_url`), or null. */
export function nextActionJson(stored: string | null) {
  if (stored === null) return null;
  const n = JSON.parse(stored) as StoredNextAction;
  return { type: "redirect_to_url" as const, redirect_to_url: { url: n.url, return_url: n.returnUrl } };
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
    next_action: nextActionJson(row.nextAction ?? null),
    payment_method: row.paymentMethod,
    payment_method_types: ["card"],
    // The open Radar review holding the intent (null once approved or canceled); older snapshots predate the column.
    review: row.review ?? null,
    setup_future_usage: (row.setupFutureUsage ?? null) as "on_session" | "off_session" | null,
    statement_descriptor: row.statementDescriptor,
    status: row.status as IntentStatus,
  };
}

/** The intent columns a charge shows: its money once the charge succeeded, and what the merchant set. */
export type ChargeIntent = Pick<
  IntentRow,
  "latestCharge" | "amountReceived" | "amountRefunded" | "description" | "metadata" | "statementDescriptor"
>;

/** Stripe's billing_details when the payment method's are not known. */
const NO_BILLING_DETAILS: BillingDetails = {
  address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
  email: null,
  name: null,
  phone: null,
};

/** Stripe's `payment_method_details` of a card charge, as the charge row keeps it. */
export interface CardPaymentMethodDetails {
  type: "card";
  card: {
    brand: string;
    checks: {
      address_line1_check: null;
      address_postal_code_check: null;
      cvc_check: "pass" | "fail" | "unavailable" | null;
    };
    country: string | null;
    exp_month: number;
    exp_year: number;
    fingerprint: string;
    funding: string;
    last4: string;
    network: string;
  };
}

/**
 * Stripe's `outcome` of a charge: what the network said (or that the fraud screen blocked it
 * before the network saw it), and the screen's risk level, score and the rule that fired.
 */
export function chargeOutcome(charge: ChargeRow) {
  const risk = charge.risk ? (JSON.parse(charge.risk) as FraudVerdict) : null;
  const screened = {
    risk_level: risk?.level ?? null,
    risk_score: risk?.score ?? null,
    rule: risk?.rule ?? null,
  };
  if (charge.status === "succeeded") {
    const review = risk?.action === "review";
    return {
      network_status: "approved_by_network" as const,
      reason: review || risk?.rule ? (risk?.reason ?? null) : null,
      ...screened,
      seller_message: review ? "Payment complete, and placed in review." : "Payment complete.",
      type: review ? ("manual_review" as const) : ("authorized" as const),
    };
  }
  if (risk?.action === "block") {
    return {
      network_status: "not_sent_to_network" as const,
      reason: risk.reason,
      ...screened,
      seller_message: "edgepay blocked this payment as too risky.",
      type: "blocked" as const,
    };
  }
  const reason = charge.outcomeReason;
  return {
    network_status: "declined_by_network" as const,
    reason,
    ...screened,
    seller_message:
      reason && reason !== "generic_decline"
        ? `The bank returned the decline code \`${reason}\`.`
        : "The bank did not return any further details with this decline.",
    type: "issuer_declined" as const,
  };
}

/**
 * The Charge object: one authorization attempt (`charge`, never changed) and the money moved on it
 * since, which is its intent's (only the latest charge of an intent can have succeeded; a failed
 * one moved nothing). `description`, `metadata` and `statement_descriptor` are the intent's.
 */
export function chargeJson(charge: ChargeRow, intent: ChargeIntent, livemode: boolean) {
  const succeeded = charge.status === "succeeded" && intent.latestCharge === charge.id;
  const captured = succeeded && intent.amountReceived > 0;
  return {
    id: charge.id,
    object: "charge" as const,
    amount: charge.amount,
    amount_captured: succeeded ? intent.amountReceived : 0,
    amount_refunded: succeeded ? intent.amountRefunded : 0,
    // A captured charge's balance transaction, written with its capture (db/balance-transactions.ts).
    balance_transaction: captured ? balanceTransactionOf(charge.id) : null,
    billing_details: charge.billingDetails ? (JSON.parse(charge.billingDetails) as BillingDetails) : NO_BILLING_DETAILS,
    captured,
    created: charge.created,
    currency: charge.currency,
    customer: charge.customer,
    description: intent.description,
    failure_code: charge.failureCode,
    failure_message: charge.failureMessage,
    livemode,
    metadata: JSON.parse(intent.metadata) as Metadata,
    outcome: chargeOutcome(charge),
    paid: charge.status === "succeeded",
    payment_intent: charge.paymentIntentId,
    payment_method: charge.paymentMethod,
    payment_method_details: charge.paymentMethodDetails
      ? (JSON.parse(charge.paymentMethodDetails) as CardPaymentMethodDetails)
      : null,
    refunded: captured && intent.amountRefunded >= intent.amountReceived,
    // edgepay's own field: the connector of the attempt and the routing rule that chose it.
    routing:
      charge.connector === null
        ? null
        : { connector: charge.connector, rule: charge.routingRule, version: charge.routingVersion ?? 0 },
    statement_descriptor: intent.statementDescriptor,
    status: charge.status,
  };
}

/**
 * The charge row of an intent's latest charge as events stored before charges had rows of their
 * own derived it from the intent alone (such a snapshot is the intent row): failed when declined.
 */
export function chargeOfIntent(row: IntentRow): ChargeRow {
  const error = row.lastPaymentError ? (JSON.parse(row.lastPaymentError) as LastPaymentError) : null;
  const failed = error !== null && row.status === "requires_payment_method";
  return {
    id: row.latestCharge ?? "",
    merchantId: row.merchantId,
    paymentIntentId: row.id,
    customer: row.customer ?? null,
    amount: row.amount,
    currency: row.currency,
    status: failed ? "failed" : "succeeded",
    paymentMethod: row.paymentMethod ?? error?.payment_method?.id ?? null,
    failureCode: failed ? error.code : null,
    failureMessage: failed ? error.message : null,
    outcomeReason: failed ? (error.decline_code ?? null) : null,
    risk: null,
    connector: null,
    routingRule: null,
    routingVersion: null,
    paymentMethodDetails: null,
    billingDetails: null,
    created: row.authorizedAt ?? row.created,
  };
}

/** The Refund object. */
export function refundJson(row: RefundRow) {
  return {
    id: row.id,
    object: "refund" as const,
    amount: row.amount,
    // Written with the refund's reservation; a failed refund's funds come back in a second one.
    balance_transaction: balanceTransactionOf(row.id),
    charge: row.charge,
    created: row.created,
    currency: row.currency,
    failure_balance_transaction: row.failureBalanceTransaction ?? null,
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

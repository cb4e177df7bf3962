/**
 * What a recorded outcome becomes: the storage change of its patch (with `last_payment_error` as
 * the API shows it), and the answer the request that ran the operation gets.
 */
import type { IntentChange, IntentRow } from "../db/payment-intents";
import type { FraudVerdict } from "../domain/fraud-verdict";
import type { IntentChangeKind } from "../domain/intent-events";
import type { Movement } from "../domain/ledger";
import type { OutcomeAnswer, OutcomePatch } from "../domain/outcome";
import type { RouteChoice } from "../domain/payment-state";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import type { LastPaymentError } from "./serialize";

/**
 * The storage change for an outcome's patch, with the charge an answered authorization attempt
 * makes; `cvcSent`: the request itself held the card's CVC for that attempt; `risk`: the fraud
 * screen's verdict on it; `route`: the connector the attempt went to and the rule that chose it.
 */
export function toChange(
  row: IntentRow,
  kind: IntentChangeKind,
  patch: OutcomePatch,
  movement: Movement | undefined,
  cvcSent = false,
  risk: FraudVerdict | null = null,
  route: RouteChoice | null = null,
): IntentChange {
  const { pendingOp, lastPaymentError, ...plain } = patch;
  const stored: IntentChange["patch"] = { ...plain, pendingOp: pendingOp ? JSON.stringify(pendingOp) : null };
  const error: LastPaymentError | null | undefined = lastPaymentError && {
    type: "card_error",
    code: lastPaymentError.code,
    decline_code: lastPaymentError.declineCode,
    message: declineMessage(lastPaymentError.declineCode),
    payment_method: row.paymentMethod ? { id: row.paymentMethod } : null,
  };
  if (error !== undefined) stored.lastPaymentError = error && JSON.stringify(error);
  const change: IntentChange = { kind, patch: stored };
  // A charge comes into being with each authorization the processor answers: held, or declined.
  if (movement?.kind === "authorize" || kind === "declined" || kind === "failed_over") {
    const failed = kind === "declined" || kind === "failed_over" ? (error ?? null) : null;
    stored.latestCharge = newId("ch");
    change.charge = {
      id: stored.latestCharge,
      status: failed ? "failed" : "succeeded",
      amount: row.amount,
      paymentMethod: row.paymentMethod,
      failureCode: failed?.code ?? null,
      failureMessage: failed?.message ?? null,
      outcomeReason: failed?.decline_code ?? null,
      cvcSent: cvcSent,
      risk: risk && JSON.stringify(risk),
      route,
    };
  }
  if (movement) change.ledger = { movement, sourceId: row.id };
  return change;
}

/** Returns the intent, or throws what the outcome answers the request. */
export function answer(row: IntentRow, a: OutcomeAnswer | null): IntentRow {
  const extra = { payment_intent: { id: row.id, status: row.status } };
  if (a === null) return row;
  switch (a.kind) {
    case "ok":
      return row;
    case "declined":
      throw new ApiError(a.code, declineMessage(a.declineCode), { declineCode: a.declineCode, extra });
    case "payment_method_unavailable":
      throw new ApiError("resource_missing", "No such payment method: it was detached.", {
        param: "payment_method",
        extra,
      });
    case "capture_refused":
      throw new ApiError(
        "processing_error",
        "The processor refused the capture. The authorization still stands: capture again or cancel.",
        { extra },
      );
    case "capture_expired":
      throw new ApiError(
        "charge_expired_for_capture",
        "The authorization expired before it could be captured; the PaymentIntent is canceled.",
        { extra },
      );
    case "void_refused":
      throw new ApiError(
        "processing_error",
        "The processor refused to void the authorization. It is still capturable.",
        { extra },
      );
  }
}

function declineMessage(declineCode: string): string {
  switch (declineCode) {
    case "insufficient_funds":
      return "Your card has insufficient funds.";
    case "expired_card":
      return "Your card has expired.";
    case "incorrect_cvc":
      return "Your card's security code is incorrect.";
    case "processing_error":
      return "An error occurred while processing your card. Try again in a little bit.";
    case "incorrect_number":
      return "Your card number is incorrect.";
    case "payment_method_unavailable":
      return "The payment method was detached before it could be charged.";
    default:
      return "Your card was declined.";
  }
}

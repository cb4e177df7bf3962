/**
 * The intent a refund request names, by `payment_intent`, by `charge`, or by both (which must
 * agree): a charge must be the merchant's, must have succeeded and must be its intent's latest.
 */
import type { ChargeRow } from "../db/charges";
import type { IntentRow } from "../db/payment-intents";
import { ApiError } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { noSuchIntent } from "./intents";

/** What a refund request names (at least one of them). */
export interface RefundNames {
  paymentIntent?: string;
  charge?: string;
}

/** The intent to refund, from what `refundTargetQuery` found; throws the 404 or 400 the names get. */
export function refundTarget(
  named: RefundNames,
  found: { intent: IntentRow; chargeStatus: ChargeRow["status"] | null } | undefined,
) {
  if (named.charge !== undefined) {
    if (!found?.chargeStatus) {
      throw new ApiError("resource_missing", noSuchMessage("charge", named.charge, "ch"), { param: "charge" });
    }
    if (named.paymentIntent !== undefined && found.intent.id !== named.paymentIntent) {
      throw new ApiError("parameter_invalid", `The charge ${named.charge} does not belong to that PaymentIntent.`, {
        param: "charge",
        noEffect: true,
      });
    }
    refundableCharge({ id: named.charge, status: found.chargeStatus }, found.intent);
    return found.intent;
  }
  return found?.intent ?? noSuchIntent(named.paymentIntent ?? "", "payment_intent");
}

/** Throws the 400 for refunding a charge that moved no money: a failed one, or one that is not its intent's latest. */
export function refundableCharge(charge: Pick<ChargeRow, "id" | "status">, intent: Pick<IntentRow, "latestCharge">) {
  if (charge.status === "failed") {
    throw new ApiError("parameter_invalid", `The charge ${charge.id} failed; there is nothing to refund.`, {
      param: "charge",
      noEffect: true,
    });
  }
  if (intent.latestCharge !== charge.id) {
    throw new ApiError(
      "parameter_invalid",
      `The charge ${charge.id} is not the latest charge of its PaymentIntent; refund that one.`,
      { param: "charge", noEffect: true },
    );
  }
}

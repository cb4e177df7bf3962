/**
 * The review side of an authorization's or a cancel's outcome: statements for the outcome's own
 * batch (no extra round trip). An authorization the fraud screen held (`opensReview`) opens its
 * review and sets the intent's `review`; an outcome that cancels an intent still in review closes
 * that review as `canceled` (the merchant refused it, or the 7-day expiry voided the hold).
 */
import type { BatchItem } from "drizzle-orm/batch";
import type { IntentChange, IntentRow } from "../db/payment-intents";
import { closeReviewStatements, openReviewStatements } from "../db/reviews";
import type { Resolution } from "../domain/outcome";
import { newId } from "../lib/ids";
import type { PaymentDeps } from "./deps";

/**
 * The review statements of outcome `r` written as `change` to `current` (setting `review` on the
 * change's patch as needed), to append to the change's batch after its charge; none for most outcomes.
 */
export function reviewWrites(
  deps: PaymentDeps,
  current: IntentRow,
  change: IntentChange,
  r: Resolution,
): BatchItem<"sqlite">[] {
  const at = { merchantId: current.merchantId, created: deps.now(), origin: deps.origin };
  const charge = change.patch.latestCharge;
  if (r.opensReview && charge) {
    const id = newId("prv");
    change.patch.review = id;
    return openReviewStatements(deps.db, at, {
      id,
      charge,
      paymentIntentId: current.id,
      ipAddress: deps.client?.ip ?? null,
    });
  }
  if (current.review !== null && change.patch.status === "canceled") {
    change.patch.review = null;
    return closeReviewStatements(deps.db, at, current.review, "canceled");
  }
  return [];
}

/** The Review object (`prv_…`) as the API returns it and `review.*` events carry it (Stripe's shape). */
import type { ReviewRow } from "../db/reviews";

/** Stripe's Review object of a stored review; edgepay records no session, billing zip or IP location. */
export function reviewJson(row: ReviewRow, livemode: boolean) {
  return {
    id: row.id,
    object: "review" as const,
    billing_zip: null,
    charge: row.charge,
    closed_reason: row.closedReason as "approved" | "canceled" | null,
    created: row.created,
    ip_address: row.ipAddress,
    ip_address_location: null,
    livemode,
    open: row.open === 1,
    opened_reason: row.openedReason as "rule" | "manual",
    payment_intent: row.paymentIntentId,
    reason: row.reason,
    session: null,
  };
}

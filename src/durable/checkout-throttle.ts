/**
 * The card-testing caps of the checkout page's pay endpoint, on the MerchantGate objects the token
 * endpoint's throttles use (token buckets kept in the object's memory, see merchant-gate.ts):
 *   source IP   CHECKOUT_SOURCE_FAILURES (20 failures/hour) on `ip:<source>` (sourceKey: IPv4 as
 *               is, IPv6 by /64), bucket `checkout_source_failures`
 *   card        CHECKOUT_CARD_FAILURES (5 failures/hour) on `checkout_card:<fingerprint>` (the
 *               merchant-scoped keyed fingerprint: no object name holds a card number)
 * Each attempt checks its budgets first without taking (`authPeek`); only a failed payment is
 * charged (`authAttempt`). Parallel attempts may overshoot by the concurrency of one check. The
 * per-session cap (CHECKOUT_SESSION_FAILURES) is a column of the session (db/checkout-sessions.ts).
 */
import { CHECKOUT_CARD_FAILURES, CHECKOUT_SOURCE_FAILURES } from "../domain/limits";
import type { Policy } from "../domain/token-bucket";
import { merchantGate, sourceThrottleName } from "./merchant-gate";

/** Whether a budget still has an attempt left, and if not, when it will. */
export type CheckoutBudget = { ok: true } | { ok: false; retryAfterSec: number };

/** The object name of one card's checkout failure budget. */
export function cardThrottleName(fingerprint: string): string {
  return `checkout_card:${fingerprint}`;
}

function objectOf(env: Env, key: { source: string } | { card: string }) {
  return merchantGate(env, "source" in key ? sourceThrottleName(key.source) : cardThrottleName(key.card));
}

function policyOf(key: { source: string } | { card: string }): Policy {
  return "source" in key ? CHECKOUT_SOURCE_FAILURES : CHECKOUT_CARD_FAILURES;
}

/** Checks a source's or a card's failure budget without taking from it. */
export async function checkoutBudget(env: Env, key: { source: string } | { card: string }): Promise<CheckoutBudget> {
  const got = await objectOf(env, key).authPeek([policyOf(key)]);
  return got.taken === 1 ? { ok: true } : { ok: false, retryAfterSec: got.retryAfterSec };
}

/** Charges one failed payment to a source's or a card's budget. */
export async function chargeCheckoutFailure(env: Env, key: { source: string } | { card: string }): Promise<void> {
  await objectOf(env, key).authAttempt([policyOf(key)]);
}

/**
 * The checkout page's side of a session, where the session id is the only capability: finding a
 * session by id alone (on whichever shard the directory says its merchant is on), and paying it.
 * A payment tokenizes the card into the merchant's vault and confirms the session's own intent
 * through the one authorize path (`confirmIntent`); nothing here can name any other intent. The
 * card-testing caps (per session, per source IP, per card) are checked before and charged after a
 * failed attempt (durable/checkout-throttle.ts, docs/checkout.md).
 */
import {
  type LocatedSession,
  locateSession,
  recordFailedAttempt,
  type SessionRow,
  sessionById,
} from "../db/checkout-sessions";
import { CHECKOUT_SESSION_FAILURES } from "../domain/limits";
import type { AuthenticateOp } from "../domain/payment-state";
import { chargeCheckoutFailure, checkoutBudget } from "../durable/checkout-throttle";
import { ApiError } from "../errors";
import { isSessionId } from "../lib/ids";
import { confirmIntent } from "../payments/actions";
import type { PaymentDeps } from "../payments/deps";
import { isLive, nextActionJson } from "../payments/serialize";
import { createPaymentMethod, type NewCard } from "../vault";
import { isPaid, noSuchSession, settleSession } from "./index";
import { successRedirect } from "./serialize";

/** A session the page may see: its row, its merchant's name and the shard that holds it. */
export type FoundSession = LocatedSession;

/** The session with this id for the page (see `locateSession`); undefined for a malformed or unknown id. */
export async function findSession(env: Env, id: string): Promise<FoundSession | undefined> {
  return isSessionId(id) ? locateSession(env, id) : undefined;
}

/** True when the page may show the session: open and not yet past `expires_at`, or complete. */
export function isVisible(row: SessionRow, now: number): boolean {
  return row.status === "complete" || (row.status === "open" && now < row.expiresAt);
}

/**
 * What a payment through the page answers: the session complete (and where to go), still
 * processing, or waiting for the card's 3-D Secure challenge (where to send the shopper: the
 * challenge returns to `/checkout/<cs id>/return`, see `returnFromChallenge`).
 */
export type PayAnswer =
  | { status: "complete"; redirect: string }
  | { status: "processing" }
  | { status: "requires_action"; redirect: string };

/** The 429 of a spent failure budget. */
function tooMany(message: string, retryAfterSec: number): ApiError {
  return new ApiError("rate_limit", `${message} Retry after ${retryAfterSec} seconds.`, {
    headers: { "Retry-After": String(retryAfterSec) },
  });
}

/** The refusal of a session that takes no payment any more (complete, or locked by the failure cap). */
function refusal(row: SessionRow): ApiError {
  if (row.lockedAt !== null) {
    return new ApiError(
      "checkout_session_locked",
      "Too many failed payment attempts on this checkout session. Return to the merchant to start again.",
    );
  }
  return new ApiError("checkout_session_unexpected_state", `This checkout session is ${row.status}.`);
}

/**
 * Pays an open session with a new card from `source` (sourceKey of the shopper's IP). `deps` runs
 * on the session's shard. A decline is answered as the 402 card error alone (no intent details)
 * and counted against the caps; the session stays open for another card until it is locked.
 */
export async function paySession(
  deps: PaymentDeps,
  found: FoundSession,
  card: NewCard,
  source: string,
  requestKey: string | undefined,
  gateway: string,
): Promise<PayAnswer> {
  const { row } = found;
  if (!isVisible(row, deps.now())) throw noSuchSession(row.id);
  if (row.status !== "open" || row.lockedAt !== null) throw refusal(row);
  const bySource = await checkoutBudget(deps.env, { source });
  if (!bySource.ok) throw tooMany("Too many failed payment attempts from this address.", bySource.retryAfterSec);
  const method = await createPaymentMethod(deps, row.merchantId, card);
  const byCard = await checkoutBudget(deps.env, { card: method.fingerprint });
  if (!byCard.ok) throw tooMany("Too many failed payment attempts with this card.", byCard.retryAfterSec);
  let intent: Awaited<ReturnType<typeof confirmIntent>>;
  try {
    // The Idempotency-Key of a page request is scoped to its session: it can only ever name a claim on this intent.
    intent = await confirmIntent(
      deps,
      row.merchantId,
      row.paymentIntent,
      method.id,
      requestKey && `cs:${row.id}:${requestKey}`,
      { authenticate: authenticateFor(deps, gateway, row.id) },
    );
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    if (err.type === "card_error") {
      await Promise.all([
        recordFailedAttempt(deps.db, row, deps.now(), CHECKOUT_SESSION_FAILURES),
        chargeCheckoutFailure(deps.env, { source }),
        chargeCheckoutFailure(deps.env, { card: method.fingerprint }),
      ]);
      throw new ApiError(err.code, err.message, { declineCode: err.details.declineCode });
    }
    if (err.code === "payment_intent_unexpected_state") {
      // Another payment of this session got there first (or it was expired meanwhile).
      const after = await settleSession(deps, (await sessionById(deps.db, row.id)) ?? row);
      if (after.status === "complete" || after.lockedAt !== null) throw refusal(after);
      throw noSuchSession(row.id);
    }
    throw err;
  }
  const challenge = nextActionJson(intent.nextAction ?? null);
  if (intent.status === "requires_action" && challenge) {
    return { status: "requires_action", redirect: challenge.redirect_to_url.url };
  }
  if (!isPaid(intent.status)) return { status: "processing" };
  const after = await settleSession(deps, row);
  return { status: "complete", redirect: successRedirect(after) };
}

/** The 3-D Secure request of a page payment (test mode): the challenge returns to the session's return path. */
function authenticateFor(deps: PaymentDeps, gateway: string, id: string): AuthenticateOp | undefined {
  return isLive(deps.env) ? undefined : { origin: gateway, returnUrl: `${gateway}/checkout/${id}/return` };
}

/**
 * Where the shopper goes back from a challenge of the session's payment: the success URL once the
 * session is complete (its intent paid), else the page again (`redirect_status=failed`: another card).
 */
export async function returnFromChallenge(deps: PaymentDeps, found: FoundSession, gateway: string): Promise<string> {
  const after = await settleSession(deps, found.row);
  if (after.status === "complete") return successRedirect(after);
  return `${gateway}/checkout/${after.id}?redirect_status=failed`;
}

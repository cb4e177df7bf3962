/**
 * The PaymentIntent state machine as pure decisions: given an intent's state and a requested action,
 * say whether it is allowed and with which amounts. The storage layer applies the decision with a
 * compare-and-swap on the intent's version; nothing here does I/O.
 *
 * requires_payment_method → requires_confirmation → processing → requires_capture → succeeded, or canceled.
 * An authorization whose card the (simulated) issuer wants authenticated stops at `requires_action`
 * before the processor is called, until the 3-D Secure challenge is completed (a new authorization
 * claim) or failed (back to requires_payment_method); see domain/three-d-secure.ts.
 * `processing` always carries a pending processor operation (authorize, capture or void) whose
 * processor-side idempotency key lets a retry reconcile an unknown outcome instead of repeating it.
 */
import type { Currency } from "./currencies";
import { type AmountError, checkAmount } from "./money";

/** Stripe's PaymentIntent statuses (`requires_action`: a 3-D Secure challenge is pending). */
export const INTENT_STATUSES = [
  "requires_payment_method",
  "requires_confirmation",
  "requires_action",
  "processing",
  "requires_capture",
  "succeeded",
  "canceled",
] as const;

/** One of `INTENT_STATUSES`. */
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** A processor call that was started and whose outcome is not yet recorded. */
export interface PendingOp {
  kind: "authorize" | "capture" | "void";
  /** Processor-side idempotency key of this attempt; a retry reuses it. */
  key: string;
  amount: number;
  /** For an authorization of an automatic-capture intent: the key of the capture that follows it. */
  capture?: string;
  /** For an authorization: where it goes (absent on claims made before routing: the built-in simulator). */
  route?: RouteChoice;
  /** For an authorization: where it goes once if `route` fails before authorizing (see `isRetryable`). */
  fallback?: RouteChoice;
  /** For a failover authorization: the key of the attempt it replaces, under which the fraud screen judged the payment. */
  screened?: string;
  /** For an authorization: ask the issuer whether the card must be authenticated first (3-D Secure). */
  authenticate?: AuthenticateOp;
}

/** Where a 3-D Secure challenge of an authorization lives and returns to (see domain/three-d-secure.ts). */
export interface AuthenticateOp {
  /** The gateway's public origin (`https://host`): the challenge page is `<origin>/3ds/<payatt id>`. */
  origin: string;
  /** The merchant's `return_url`, or null (the page shows the result). */
  returnUrl: string | null;
  /** The confirm was `off_session` (the customer is not present). */
  offSession?: true;
}

/**
 * A connector chosen for an authorization: the connector account (`mca_…`, or `builtin` for the
 * built-in simulator of a test deployment), the routing rule that chose it (null: the default, or
 * no routing configured) and the routing configuration's version (0: none).
 */
export interface RouteChoice {
  connector: string;
  rule: string | null;
  version: number;
}

/** The connector of a test deployment when a merchant has no connector account and no routing. */
export const BUILTIN_CONNECTOR = "builtin";

/** The fields of an intent the state machine reads. */
export interface IntentState {
  id: string;
  status: IntentStatus;
  amount: number;
  currency: Currency;
  captureMethod: "automatic" | "manual";
  paymentMethod: string | null;
  amountCapturable: number;
  amountReceived: number;
  amountRefunded: number;
  pendingOp: PendingOp | null;
  /** The open Radar review (`prv_…`) holding the authorization, or null: capture waits for its approval. */
  review: string | null;
}

/** Why an action is refused. */
export type Refusal =
  | { ok: false; code: "payment_intent_unexpected_state"; message: string }
  | { ok: false; code: "charge_already_refunded"; message: string }
  | { ok: false; code: "parameter_missing"; param: string; message: string }
  | ({ param: string } & AmountError);

/** A decision: allowed (with details) or refused. */
export type Decision<T> = ({ ok: true } & T) | Refusal;

/**
 * What an action does when the intent already has a pending operation: the request's own operation
 * (a retry) returns that operation's result; any other first finishes it with its own key, then
 * the request is decided again on the state it leaves. Nothing ever replaces a pending operation.
 */
export type Resume = { ok: true; mode: "resume"; own: boolean };

const UNCONFIRMED: readonly IntentStatus[] = ["requires_payment_method", "requires_confirmation"];
/** Where a confirm starts a new attempt: a pending challenge is then void (its intent moved on). */
const CONFIRMABLE: readonly IntentStatus[] = [...UNCONFIRMED, "requires_action"];

function unexpected(status: IntentStatus, action: string): Refusal {
  return {
    ok: false,
    code: "payment_intent_unexpected_state",
    message: `You cannot ${action} this PaymentIntent because it has a status of ${status}.`,
  };
}

/** May the intent change? `amount` only before confirmation; description and metadata until it is canceled. */
export function decideUpdate(s: IntentState, changesAmount: boolean): Decision<object> {
  if (s.status === "canceled") return unexpected(s.status, "update");
  if (!changesAmount || UNCONFIRMED.includes(s.status)) return { ok: true };
  return unexpected(s.status, "update the amount of");
}

/**
 * Confirm: a fresh authorization from an unconfirmed status with a payment method. `requested` is
 * the payment method the request names (a token resolved to the method it wraps), or null. A
 * pending authorization (or the automatic capture that follows it) is this request's own operation
 * when the request names no method or the intent's own: a confirm retried after an unknown outcome
 * or a lost answer reconciles it instead of being refused.
 */
export function decideConfirm(s: IntentState, requested: string | null): Decision<{ mode: "authorize" }> | Resume {
  if (s.pendingOp) {
    const ours =
      s.pendingOp.kind === "authorize" || (s.pendingOp.kind === "capture" && s.captureMethod === "automatic");
    return { ok: true, mode: "resume", own: ours && (requested === null || requested === s.paymentMethod) };
  }
  if (!CONFIRMABLE.includes(s.status)) return unexpected(s.status, "confirm");
  if (!s.paymentMethod && requested === null) {
    return {
      ok: false,
      code: "parameter_missing",
      param: "payment_method",
      message: "You must provide a payment_method to confirm this PaymentIntent.",
    };
  }
  return { ok: true, mode: "authorize" };
}

/**
 * Capture `amountToCapture` (default: all that is capturable) of an authorized intent. The amount is
 * checked against what the authorization holds before anything else, so an over-capture is a 400
 * even while another capture is pending. An intent held in an open review cannot be captured.
 */
export function decideCapture(
  s: IntentState,
  amountToCapture: number | undefined,
): Decision<{ mode: "capture"; amount: number }> | Resume {
  if (amountToCapture !== undefined) {
    // More than the authorization holds (or, once nothing is capturable, than the intent's amount).
    const checked = checkAmount(amountToCapture, s.currency, "part", s.amountCapturable || s.amount);
    if (!checked.ok) return { ...checked, param: "amount_to_capture" };
  }
  if (s.pendingOp) {
    const op = s.pendingOp;
    // Any pending capture of the amount asked for is the request's own, whatever the capture method:
    // a hand capture after a refused automatic one recognises itself when re-run.
    const own = op.kind === "capture" && (amountToCapture ?? op.amount) === op.amount;
    return { ok: true, mode: "resume", own };
  }
  if (s.status !== "requires_capture") return unexpected(s.status, "capture");
  if (s.review !== null) {
    return {
      ok: false,
      code: "payment_intent_unexpected_state",
      message: `You cannot capture this PaymentIntent because it is held in review ${s.review}. Approve the review (POST /v1/reviews/${s.review}/approve) or cancel the PaymentIntent.`,
    };
  }
  const amount = amountToCapture ?? s.amountCapturable;
  const checked = checkAmount(amount, s.currency, "part", s.amountCapturable);
  if (!checked.ok) return { ...checked, param: "amount_to_capture" };
  return { ok: true, mode: "capture", amount };
}

/** Cancel: free before authorization (also during a challenge), a processor void from requires_capture, refused otherwise. */
export function decideCancel(s: IntentState): Decision<{ mode: "simple" } | { mode: "void"; amount: number }> | Resume {
  if (s.pendingOp) return { ok: true, mode: "resume", own: s.pendingOp.kind === "void" };
  if (CONFIRMABLE.includes(s.status)) return { ok: true, mode: "simple" };
  if (s.status === "requires_capture") return { ok: true, mode: "void", amount: s.amountCapturable };
  return unexpected(s.status, "cancel");
}

/** Refund `amount` (default: all that remains) of a succeeded intent. */
export function decideRefund(s: IntentState, amount: number | undefined): Decision<{ amount: number }> {
  if (s.status !== "succeeded") {
    return {
      ok: false,
      code: "payment_intent_unexpected_state",
      message: `This PaymentIntent has a status of ${s.status}; only succeeded PaymentIntents can be refunded.`,
    };
  }
  const remaining = s.amountReceived - s.amountRefunded;
  if (remaining <= 0) {
    return { ok: false, code: "charge_already_refunded", message: "This charge has already been refunded in full." };
  }
  const wanted = amount ?? remaining;
  const checked = checkAmount(wanted, s.currency, "part", remaining);
  if (!checked.ok) return { ...checked, param: "amount" };
  return { ok: true, amount: wanted };
}

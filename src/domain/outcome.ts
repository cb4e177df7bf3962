/**
 * What a processor answer does to an intent: the closed set of outcomes (approved, declined,
 * refused, unknown) and, for each pending operation, the one change it makes. Pure and exhaustive:
 * adding an outcome or an operation fails to compile until every case here says what happens.
 *
 * - approved: the operation happened (authorization held, capture taken, void done).
 * - declined: the card issuer said no to an authorization (402 to the merchant, try another card).
 * - refused: a definite no from the processor or the gateway before any money moved: a capture or
 *   void the processor will not do, an authorization whose card can no longer be read.
 * - unknown: timeout, crash, an answer that does not validate. Nothing is decided; the intent stays
 *   `processing` with the operation's key, and a retry or the sweep repeats the same key.
 *   `retryable`: the connector got no answer and knows the request was not processed (connection
 *   refused, 502/503/504), so repeating the same key at once is safe and cheap.
 */
import type { IntentChangeKind } from "./intent-events";
import type { Movement } from "./ledger";
import type { IntentState, PendingOp, RouteChoice } from "./payment-state";

/** Why a processor definitely refused an operation. */
export type RefusalReason =
  /** The authorization no longer exists (expired, voided, unknown to the processor). */
  | "authorization_gone"
  /** The processor will not do this operation, but the authorization (if any) still stands. */
  | "declined"
  /** The card of an authorization could not be read (detached meanwhile): nothing was sent. */
  | "payment_method_unavailable";

/** The validated result of one processor call. */
export type Outcome =
  | { kind: "approved"; reference: string }
  | { kind: "declined"; code: DeclineCode; declineCode: string }
  | { kind: "refused"; reason: RefusalReason }
  /**
   * Nothing is decided. `retryable`: the connector got no answer and knows the request was not
   * processed (a connection refused, a 502/503/504): an authorization may go to another connector.
   */
  | { kind: "unknown"; retryable?: true };

/** Error codes a processor may answer a decline with; anything else is treated as untrusted. */
export const DECLINE_CODES = [
  "card_declined",
  "expired_card",
  "incorrect_cvc",
  "incorrect_number",
  "processing_error",
] as const;

/** One of the decline codes the gateway accepts from a processor. */
export type DeclineCode = (typeof DECLINE_CODES)[number];

/** The fields of an intent an outcome may set (storage serializes the JSON ones). */
export interface OutcomePatch {
  status: IntentState["status"];
  pendingOp: PendingOp | null;
  amountCapturable?: number;
  amountReceived?: number;
  paymentMethod?: null;
  processorReference?: string;
  authorizedAt?: number;
  canceledAt?: number;
  cancellationReason?: string | null;
  /** The connector account follow-ups go to: set by an authorization's claim, and by its failover. */
  connector?: string;
  /** Set on a failed authorization, cleared (null) on a successful one. */
  lastPaymentError?: { code: string; declineCode: string } | null;
}

/** What the request that ran the operation is answered. */
export type OutcomeAnswer =
  | { kind: "ok" }
  | { kind: "declined"; code: DeclineCode; declineCode: string }
  | { kind: "payment_method_unavailable" }
  | { kind: "capture_refused" }
  | { kind: "capture_expired" }
  | { kind: "void_refused" };

/** The change an outcome makes: the version-log kind, the patch, its ledger movement, the answer. */
export interface Resolution {
  kind: IntentChangeKind;
  patch: OutcomePatch;
  movement?: Movement;
  answer: OutcomeAnswer;
  /** The approved authorization is held for review: the caller opens the review in the same batch. */
  opensReview?: true;
}

/** The next pending operation's key: derived from the intent and the version that creates it. */
export function opKey(intentId: string, kind: PendingOp["kind"], version: number): string {
  return `${intentId}_${kind}_${version}`;
}

/**
 * The change `outcome` of the intent's pending operation `op` makes, or null for `unknown`.
 * `version` is the intent's version the change is written from (an automatic capture chained onto
 * an approved authorization takes its key from it); `now` is unix seconds. `hold`: the fraud
 * screen's verdict was `review`, so an approved authorization stops at `requires_capture` (no
 * automatic capture) and opens a review (`opensReview`); a declined one opens none.
 */
export function resolve(
  s: IntentState,
  op: PendingOp,
  outcome: Outcome,
  version: number,
  now: number,
  hold = false,
): Resolution | null {
  if (op.kind === "authorize" && isRetryable(outcome)) {
    if (op.fallback) return failOver(s, op, op.fallback, version);
    // Known not processed, and no other connector: the attempt failed (only the run that claimed
    // the key passes such an outcome here, see runPending; any other run's is plain unknown).
    if (outcome.kind === "unknown") return notSent();
  }
  if (outcome.kind === "unknown") return null;
  switch (op.kind) {
    case "authorize":
      return resolveAuthorize(s, op, outcome, version, now, hold);
    case "capture":
      return resolveCapture(s, op, outcome, now);
    case "void":
      return resolveVoid(s, op, outcome, now);
  }
}

type Known = Exclude<Outcome, { kind: "unknown" }>;

/** An authorization the connector never processed, with nowhere else to go: Stripe's "try again". */
function notSent(): Resolution {
  return {
    kind: "declined",
    patch: failedAuthorization("processing_error", "try_again_later"),
    answer: { kind: "declined", code: "processing_error", declineCode: "try_again_later" },
  };
}

/**
 * True when an authorization failed before anything was authorized and another connector may be
 * tried: the connector was unreachable (no answer, known not processed) or answered Stripe's
 * "try again" decline `processing_error`. Never an approval, a card decline or an unknown outcome.
 */
export function isRetryable(outcome: Outcome): boolean {
  switch (outcome.kind) {
    case "unknown":
      return outcome.retryable === true;
    case "declined":
      return outcome.code === "processing_error";
    case "approved":
    case "refused":
      return false;
  }
}

/**
 * The failover of an authorization to `to`: the failed attempt becomes a failed charge, and a new
 * authorization with a new key (from the version this change creates) is claimed on `to`, with no
 * further fallback: a payment fails over once.
 */
function failOver(s: IntentState, op: PendingOp, to: RouteChoice, version: number): Resolution {
  const next: PendingOp = {
    kind: "authorize",
    key: opKey(s.id, "authorize", version + 1),
    amount: op.amount,
    route: to,
    screened: op.screened ?? op.key,
  };
  if (op.capture !== undefined) next.capture = opKey(s.id, "capture", version + 2);
  return {
    kind: "failed_over",
    patch: {
      status: "processing",
      pendingOp: next,
      connector: to.connector,
      lastPaymentError: { code: "processing_error", declineCode: "try_again_later" },
    },
    answer: { kind: "declined", code: "processing_error", declineCode: "try_again_later" },
  };
}

function failedAuthorization(code: string, declineCode: string): OutcomePatch {
  return {
    status: "requires_payment_method",
    pendingOp: null,
    paymentMethod: null,
    lastPaymentError: { code, declineCode },
  };
}

function resolveAuthorize(
  s: IntentState,
  op: PendingOp,
  outcome: Known,
  version: number,
  now: number,
  hold: boolean,
): Resolution {
  switch (outcome.kind) {
    case "approved": {
      const held = {
        amountCapturable: op.amount,
        processorReference: outcome.reference,
        authorizedAt: now,
        lastPaymentError: null,
      };
      const movement: Movement = { kind: "authorize", amount: op.amount };
      if (hold) {
        // Held for review: capturable only once the review is approved, whatever the capture method.
        return {
          kind: "authorized",
          patch: { ...held, status: "requires_capture", pendingOp: null },
          movement,
          answer: { kind: "ok" },
          opensReview: true,
        };
      }
      if (s.captureMethod === "manual") {
        return {
          kind: "authorized",
          patch: { ...held, status: "requires_capture", pendingOp: null },
          movement,
          answer: { kind: "ok" },
        };
      }
      // Automatic capture: the authorization is recorded together with the claim of its capture,
      // under the key its claim fixed (older claims: derived from the version, as that claim would).
      const key = op.capture ?? opKey(s.id, "capture", version + 1);
      const capture: PendingOp = { kind: "capture", key, amount: op.amount };
      return {
        kind: "authorized",
        patch: { ...held, status: "processing", pendingOp: capture },
        movement,
        answer: { kind: "ok" },
      };
    }
    case "declined":
      return {
        kind: "declined",
        patch: failedAuthorization(outcome.code, outcome.declineCode),
        answer: { kind: "declined", code: outcome.code, declineCode: outcome.declineCode },
      };
    case "refused":
      switch (outcome.reason) {
        case "payment_method_unavailable":
          return {
            kind: "payment_method_unavailable",
            patch: failedAuthorization("payment_method_unavailable", "payment_method_unavailable"),
            answer: { kind: "payment_method_unavailable" },
          };
        case "authorization_gone":
        case "declined":
          return {
            kind: "declined",
            patch: failedAuthorization("card_declined", "generic_decline"),
            answer: { kind: "declined", code: "card_declined", declineCode: "generic_decline" },
          };
      }
  }
}

function resolveCapture(s: IntentState, op: PendingOp, outcome: Known, now: number): Resolution {
  switch (outcome.kind) {
    case "approved":
      return {
        kind: "captured",
        patch: { status: "succeeded", pendingOp: null, amountCapturable: 0, amountReceived: op.amount },
        movement: { kind: "capture", authorized: s.amountCapturable, captured: op.amount },
        answer: { kind: "ok" },
      };
    case "declined":
      return captureRefused();
    case "refused":
      switch (outcome.reason) {
        case "authorization_gone":
          // Nothing can be captured any more: the hold is gone, so the intent ends canceled.
          return {
            kind: "capture_expired",
            patch: {
              status: "canceled",
              pendingOp: null,
              amountCapturable: 0,
              canceledAt: now,
              cancellationReason: "automatic",
            },
            movement: { kind: "release", amount: s.amountCapturable },
            answer: { kind: "capture_expired" },
          };
        case "declined":
        case "payment_method_unavailable":
          return captureRefused();
      }
  }
}

/** The authorization still stands: the intent is capturable (or cancelable) again. */
function captureRefused(): Resolution {
  return {
    kind: "capture_refused",
    patch: { status: "requires_capture", pendingOp: null },
    answer: { kind: "capture_refused" },
  };
}

function resolveVoid(s: IntentState, _op: PendingOp, outcome: Known, now: number): Resolution {
  const voided: Resolution = {
    kind: "voided",
    patch: { status: "canceled", pendingOp: null, amountCapturable: 0, canceledAt: now },
    movement: { kind: "release", amount: s.amountCapturable },
    answer: { kind: "ok" },
  };
  switch (outcome.kind) {
    case "approved":
      return voided;
    case "declined":
      return voidRefused();
    case "refused":
      switch (outcome.reason) {
        case "authorization_gone":
          // Nothing left to void: the hold is released all the same, and the cancel stands.
          return voided;
        case "declined":
        case "payment_method_unavailable":
          return voidRefused();
      }
  }
}

/** The authorization still stands and stays capturable; the cancellation did not happen. */
function voidRefused(): Resolution {
  return {
    kind: "void_refused",
    patch: { status: "requires_capture", pendingOp: null, cancellationReason: null },
    answer: { kind: "void_refused" },
  };
}

/** What a refund's outcome does: succeeded, failed (reservation released), or nothing yet. */
export type RefundResolution =
  | { status: "succeeded"; movement: Movement }
  | { status: "failed"; failureReason: "declined" | "expired_or_canceled_card"; movement: Movement }
  | null;

/** The change `outcome` makes to a pending refund of `amount`. */
export function resolveRefund(amount: number, outcome: Outcome): RefundResolution {
  switch (outcome.kind) {
    case "unknown":
      return null;
    case "approved":
      return { status: "succeeded", movement: { kind: "refund", amount } };
    case "declined":
      return { status: "failed", failureReason: "declined", movement: { kind: "refund_failure", amount } };
    case "refused":
      switch (outcome.reason) {
        case "authorization_gone":
          return {
            status: "failed",
            failureReason: "expired_or_canceled_card",
            movement: { kind: "refund_failure", amount },
          };
        case "declined":
        case "payment_method_unavailable":
          return { status: "failed", failureReason: "declined", movement: { kind: "refund_failure", amount } };
      }
  }
}

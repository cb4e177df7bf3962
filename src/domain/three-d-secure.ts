/**
 * 3-D Secure of the simulated issuer, as pure decisions: whether an authorization must be
 * authenticated first, and what a challenge's answer (complete, fail, expiry) does to the intent
 * that waits for it. The storage side is payments/three-d-secure.ts; the flow is docs/three-d-secure.md.
 */
import type { IntentStatus } from "./payment-state";

/** How long a challenge may stay unanswered before the sweep returns its intent to requires_payment_method. */
export const AUTHENTICATION_TTL_SECONDS = 10 * 60;

/**
 * A test card's authentication rule: `always` (4000002760003184, 4000000000003220, 4000008400001629);
 * `unless_set_up` (4000002500003155): required, except off-session with a card already saved to a customer.
 */
export type AuthenticationRule = "always" | "unless_set_up";

/** The facts of one authorization attempt the rule reads. */
export interface AttemptFacts {
  /** The confirm said `off_session`. */
  offSession: boolean;
  /** The card is saved to a customer (it was set up by an earlier payment). */
  setUp: boolean;
}

/** True when the attempt must be authenticated before the processor is called. */
export function needsAuthentication(rule: AuthenticationRule | null, facts: AttemptFacts): boolean {
  switch (rule) {
    case null:
      return false;
    case "always":
      return true;
    case "unless_set_up":
      return !(facts.offSession && facts.setUp);
  }
}

/** Stripe's `last_payment_error.code` of a failed (or abandoned) authentication. */
export const AUTHENTICATION_FAILURE = "payment_intent_authentication_failure";

/** What the stored `next_action` of an intent in requires_action holds (the API shows Stripe's shape). */
export interface StoredNextAction {
  /** The challenge (`payatt_…`) the intent waits for. */
  authentication: string;
  url: string;
  returnUrl: string | null;
}

/** A challenge as the decision sees it. */
export interface ChallengeState {
  id: string;
  state: "pending" | "succeeded" | "failed" | "expired";
  expiresAt: number;
}

/** What an answer to a challenge does: nothing more (already answered, void or expired), or change the intent. */
export type ChallengeDecision =
  | { kind: "answered" }
  | { kind: "void" }
  | { kind: "expired" }
  | { kind: "authorize" }
  | { kind: "fail" };

/**
 * Decides the shopper's answer (`complete` or `fail`) to `challenge` on an intent in `status`
 * waiting for `waitingFor` (its next_action's authentication, or null). Only the challenge the
 * intent still waits for, pending and unexpired, changes anything: a replay, a double click or an
 * answer to a challenge a new confirm replaced changes nothing, so nothing is authorized twice.
 */
export function decideChallenge(
  challenge: ChallengeState,
  status: IntentStatus,
  waitingFor: string | null,
  answer: "complete" | "fail",
  now: number,
): ChallengeDecision {
  if (challenge.state === "expired") return { kind: "expired" };
  if (challenge.state !== "pending") return { kind: "answered" };
  if (status !== "requires_action" || waitingFor !== challenge.id) return { kind: "void" };
  if (now >= challenge.expiresAt) return { kind: "expired" };
  return answer === "complete" ? { kind: "authorize" } : { kind: "fail" };
}

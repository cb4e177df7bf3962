/**
 * 3-D Secure with the simulated issuer (docs/three-d-secure.md). Before an authorization that
 * carries `authenticate` is sent, the issuer's rule for its card (test mode only: Stripe's 3-D
 * Secure test cards, recognised by their internal fingerprint) may say it must be authenticated
 * first: the intent then waits in `requires_action` with a challenge (`payatt_…`) instead. The
 * shopper's answer on the challenge page either claims the authorization (through the normal
 * pending-operation path, on the attempt's route) or returns the intent to requires_payment_method.
 * Every change is one compare-and-swap batch with the challenge's own row, so a replayed or
 * concurrent answer changes the intent at most once.
 */

import type { Route } from "../connectors/route";
import { cardFingerprints } from "../crypto/fingerprint";
import { type AuthenticationRow, authenticationFinish, authenticationInsert } from "../db/authentications";
import { changeIntent, type IntentChange, type IntentRow } from "../db/payment-intents";
import { findPaymentMethod, type PaymentMethodRow } from "../db/vault";
import type { IntentStatus, PendingOp } from "../domain/payment-state";
import {
  AUTHENTICATION_FAILURE,
  AUTHENTICATION_TTL_SECONDS,
  type AuthenticationRule,
  type ChallengeDecision,
  decideChallenge,
  needsAuthentication,
  type StoredNextAction,
} from "../domain/three-d-secure";
import { randomBase62 } from "../lib/ids";
import { meterAuthorization } from "../lib/meter";
import { THREE_D_SECURE_CARDS } from "../processor/test-cards";
import type { ClaimedCard } from "../vault";
import type { PaymentDeps } from "./deps";
import { backoff, claim, loadIntent, lockTimeout, MAX_ATTEMPTS, runPending } from "./intents";
import { isLive, type LastPaymentError } from "./serialize";

/** Random characters of a challenge id: the id is the challenge page's only capability (48 base62, ~285 bits). */
const CHALLENGE_ID_CHARS = 48;

/** True when `id` has the shape of a challenge id (so it may be looked up). */
export function isChallengeId(id: string): boolean {
  return /^payatt_[0-9A-Za-z]{48}$/.test(id);
}

const rulesByKey = new Map<string, Promise<Map<string, AuthenticationRule>>>();

/** The 3-D Secure test cards' rules by internal fingerprint, computed once per fingerprint key. */
function rulesByFingerprint(secret: string): Promise<Map<string, AuthenticationRule>> {
  let rules = rulesByKey.get(secret);
  if (!rules) {
    rules = Promise.all(
      Object.entries(THREE_D_SECURE_CARDS).map(
        async ([pan, rule]) => [(await cardFingerprints(secret, "issuer", pan)).internal, rule] as const,
      ),
    ).then((pairs) => new Map(pairs));
    rulesByKey.set(secret, rules);
  }
  return rules;
}

/** The simulated issuer's rule for a card (null: no authentication; always null on a live deployment). */
async function ruleOf(deps: PaymentDeps, record: PaymentMethodRow): Promise<AuthenticationRule | null> {
  if (isLive(deps.env)) return null;
  return (await rulesByFingerprint(deps.env.FINGERPRINT_KEY)).get(record.internalFingerprint) ?? null;
}

/** The challenge an intent waits for, or null. */
export function waitingFor(row: IntentRow): string | null {
  return row.nextAction ? (JSON.parse(row.nextAction) as StoredNextAction).authentication : null;
}

/**
 * Asked before the authorization `op` of `row` is sent: when the issuer wants its card
 * authenticated, the change that puts the intent in requires_action with a new challenge (built
 * from the intent as it stands when written); else null, and the authorization goes ahead.
 */
export async function challengeFirst(
  deps: PaymentDeps,
  row: IntentRow,
  op: PendingOp,
  card?: ClaimedCard,
): Promise<((current: IntentRow) => IntentChange) | null> {
  const ask = op.authenticate;
  if (op.kind !== "authorize" || !ask || !row.paymentMethod) return null;
  const record = card?.record ?? (await findPaymentMethod(deps.db, row.merchantId, row.paymentMethod));
  if (!record) return null;
  const rule = await ruleOf(deps, record);
  if (!needsAuthentication(rule, { offSession: ask.offSession === true, setUp: record.customer !== null })) return null;
  return (current) => {
    const id = `payatt_${randomBase62(CHALLENGE_ID_CHARS)}`;
    const now = deps.now();
    const stored: StoredNextAction = { authentication: id, url: `${ask.origin}/3ds/${id}`, returnUrl: ask.returnUrl };
    const challenge: AuthenticationRow = {
      id,
      merchantId: current.merchantId,
      intentId: current.id,
      attempt: current.version + 1,
      state: "pending",
      returnUrl: ask.returnUrl,
      route: op.route ? JSON.stringify({ route: op.route, fallback: op.fallback }) : null,
      created: now,
      expiresAt: now + AUTHENTICATION_TTL_SECONDS,
      finishedAt: null,
    };
    return {
      kind: "action_required",
      patch: { status: "requires_action", pendingOp: null, nextAction: JSON.stringify(stored), lastPaymentError: null },
      extra: [authenticationInsert(deps.db, challenge)],
      answer: JSON.stringify({ kind: "ok" }),
    };
  };
}

/** The intent's `last_payment_error` of a failed or expired authentication (Stripe's, with no charge). */
function authenticationError(row: IntentRow): string {
  const error: LastPaymentError = {
    type: "invalid_request_error",
    code: AUTHENTICATION_FAILURE,
    message:
      "The provided PaymentMethod has failed authentication. You can provide payment_method_data or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
    payment_method: row.paymentMethod ? { id: row.paymentMethod } : null,
  };
  return JSON.stringify(error);
}

/** The change that ends a challenge unauthenticated: back to requires_payment_method. */
function failChange(deps: PaymentDeps, row: IntentRow, challenge: string, state: "failed" | "expired"): IntentChange {
  return {
    kind: state === "failed" ? "authentication_failed" : "authentication_expired",
    patch: {
      status: "requires_payment_method",
      nextAction: null,
      paymentMethod: null,
      lastPaymentError: authenticationError(row),
    },
    extra: [authenticationFinish(deps.db, challenge, state, deps.now())],
  };
}

/** What an answer to a challenge did, and the intent as it now stands. */
export interface ChallengeResult {
  decision: ChallengeDecision["kind"];
  intent: IntentRow;
}

/**
 * The shopper's answer to `challenge`: `complete` claims the authorization on the attempt's route
 * and runs it (an approval books as any authorization does); `fail` returns the intent to
 * requires_payment_method with `payment_intent_authentication_failure`. Anything but the pending,
 * unexpired challenge the intent waits for changes nothing (see `decideChallenge`).
 */
export async function answerChallenge(
  deps: PaymentDeps,
  challenge: AuthenticationRow,
  answer: "complete" | "fail",
): Promise<ChallengeResult> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const row = await loadIntent(deps, challenge.merchantId, challenge.intentId);
    const d = decideChallenge(challenge, row.status as IntentStatus, waitingFor(row), answer, deps.now());
    let change: IntentChange;
    switch (d.kind) {
      case "answered":
      case "void":
      case "expired":
        return { decision: d.kind, intent: row };
      case "fail":
        change = failChange(deps, row, challenge.id, "failed");
        break;
      case "authorize": {
        const route = challenge.route ? (JSON.parse(challenge.route) as Route) : undefined;
        change = claim(row, "authorize", row.amount, { nextAction: null }, route);
        change.extra = [authenticationFinish(deps.db, challenge.id, "succeeded", deps.now())];
        break;
      }
    }
    const changed = await changeIntent(deps.db, row, change, deps.origin, deps.now());
    if (!changed) continue;
    if (d.kind === "fail") {
      meterAuthorization(changed, "failed", "authentication_failed");
      return { decision: d.kind, intent: changed };
    }
    return { decision: d.kind, intent: (await runPending(deps, changed, undefined, { claimed: true })).row };
  }
  throw lockTimeout();
}

/**
 * The sweep's part: a pending challenge past its expiry returns the intent waiting for it to
 * requires_payment_method (`payment_intent_authentication_failure`), so nothing waits forever; a
 * challenge its intent no longer waits for is just marked expired. True when an intent changed.
 */
export async function expireChallenge(deps: PaymentDeps, challenge: AuthenticationRow): Promise<boolean> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const row = await loadIntent(deps, challenge.merchantId, challenge.intentId);
    if (row.status !== "requires_action" || waitingFor(row) !== challenge.id) {
      await authenticationFinish(deps.db, challenge.id, "expired", deps.now());
      return false;
    }
    if (await changeIntent(deps.db, row, failChange(deps, row, challenge.id, "expired"), deps.origin, deps.now())) {
      return true;
    }
  }
  throw lockTimeout();
}

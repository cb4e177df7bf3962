/**
 * The PaymentIntent actions merchants call (confirm, create-and-confirm, capture, cancel, update)
 * and the scheduled sweep. Every one is a decision from domain/payment-state.ts run through `act`
 * (intents.ts), so a race, a retry and the sweep all take the same path.
 */

import {
  chooseRoute,
  type Route,
  type RoutingSnapshot,
  requireConnector,
  routesByCard,
  routingSnapshot,
} from "../connectors/route";
import { authenticationsExpired } from "../db/authentications";
import { RequestAlreadyRan } from "../db/errors";
import { type ClaimShape, claimWhere, insertClaimed } from "../db/intent-claims";
import { captureAmount, captureGuard, guardable, guardValues } from "../db/intent-guards";
import {
  type IntentRow,
  insertIntent,
  intentByIdempotencyKey,
  intentsAuthorizedBefore,
  intentsProcessing,
  isUniqueViolation,
} from "../db/payment-intents";
import { refundsPendingBefore } from "../db/refunds";
import { findPaymentMethod, type PaymentMethodRow } from "../db/vault";
import { type AuthenticateOp, decideCancel, decideCapture, decideConfirm } from "../domain/payment-state";
import type { RoutingFacts } from "../domain/routing";
import { ApiError } from "../errors";
import { log } from "../lib/log";
import { type ChargeCard, isTokenSpent, noSuchPaymentMethod, resolveForCharge, tokenPaymentMethod } from "../vault";
import { answer } from "./answers";
import type { PaymentDeps } from "./deps";
import { act, claim, loadIntent, recorded, refuse, runPending, type Step, stateOf } from "./intents";
import { runRefund } from "./refunds";
import { checkCardOwner, checkCustomer, type SetupFutureUsage } from "./saved-cards";
import { isLive } from "./serialize";
import { expireChallenge } from "./three-d-secure";

/** Cancellation reasons a merchant may give (`automatic` is reserved for expiry). */
export const CANCELLATION_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"] as const;

/** How long an uncaptured authorization lives before the sweep voids it. */
export const AUTHORIZATION_TTL_SECONDS = 7 * 24 * 60 * 60;

/** A batch that lost its token to another claim: the token is spent, as if it never existed. */
function tokenLost(err: unknown): never {
  throw isTokenSpent(err) ? noSuchPaymentMethod() : err;
}

/** What a confirm may set on the intent besides its payment method. */
export interface ConfirmOptions {
  setupFutureUsage?: SetupFutureUsage;
  /** Ask the simulated issuer whether the card must be authenticated first (3-D Secure; test mode). */
  authenticate?: AuthenticateOp;
}

/** The claim of an authorization with `card` on `route` (spending a tok_ in the same batch). */
function authorizeClaim(
  row: IntentRow,
  card: ChargeCard | undefined,
  now: number,
  options: ConfirmOptions,
  route: Route,
) {
  const change = claim(
    row,
    "authorize",
    row.amount,
    {
      paymentMethod: card?.method.id ?? row.paymentMethod,
      lastPaymentError: null,
      // A new attempt voids the challenge of an earlier one.
      nextAction: null,
      ...(options.setupFutureUsage === undefined ? {} : { setupFutureUsage: options.setupFutureUsage }),
    },
    route,
    options.authenticate ? { authenticate: options.authenticate } : {},
  );
  if (card) change.extra = card.spend(row.id, now);
  return change;
}

/**
 * Decides a confirm on `row`; the one authorize path for confirm and create-with-confirm.
 * `requested` is the payment method the request names (null: none), `card` its resolved record.
 */
function confirmStep(
  row: IntentRow,
  requested: string | null,
  card: ChargeCard | undefined,
  now: number,
  route: Route | Error,
  options: ConfirmOptions = {},
): Step {
  const d = decideConfirm(stateOf(row), requested);
  if (!d.ok) refuse(d, row.currency);
  if (d.mode === "resume") return { kind: "resume", own: d.own, action: "confirm" };
  if (card) checkCardOwner(row.customer, card.sealed.record);
  // A route that could not be chosen (no connector accepts the payment) refuses only a new claim.
  if (route instanceof Error) throw route;
  return { kind: "change", change: authorizeClaim(row, card, now, options, route) };
}

/** The deployment's mode, which connector accounts must match. */
function modeOf(deps: PaymentDeps): "test" | "live" {
  return isLive(deps.env) ? "live" : "test";
}

/** What routing sees of a payment: the intent's amount, currency and metadata, and its card (if read). */
function factsOf(row: IntentRow, card: PaymentMethodRow | undefined): RoutingFacts {
  return {
    amount: row.amount,
    currency: row.currency,
    brand: card?.brand ?? null,
    country: card?.country ?? null,
    bin: card?.bin ?? null,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}

/** The route of an authorization of `row` with `card`, from the merchant's snapshot. */
function routeOf(deps: PaymentDeps, snapshot: RoutingSnapshot, row: IntentRow, card: PaymentMethodRow | undefined) {
  return chooseRoute(deps.env, snapshot, row.id, factsOf(row, card), modeOf(deps));
}

/**
 * Confirms an intent (optionally with a pm_/tok_), or reconciles its pending authorization. A
 * request that names the method the pending authorization uses (the same request sent again, its
 * token already spent) is a retry of that authorization. Otherwise the card is resolved first, so
 * an unusable pm_/tok_ is a 404 and nothing changes; a tok_ is spent in the claim's own batch, so a
 * claim that loses a race spends nothing. `method` may be a function that makes the method (an
 * inline card): it runs only when the intent's state does not refuse the confirm.
 */
export async function confirmIntent(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  method?: string | ((intent: IntentRow) => Promise<string>),
  requestKey?: string,
  options: ConfirmOptions = {},
) {
  // The routing snapshot is read (or found cached) with the intent. A merchant no connector can
  // serve (live mode: no live account) is refused before anything is made or claimed.
  const [snapshot, known] = await Promise.all([routingSnapshot(deps.db, merchantId), loadIntent(deps, merchantId, id)]);
  // An intent already processing is only resumed: its operation's connector is fixed.
  if (known.status !== "processing") requireConnector(snapshot, modeOf(deps));
  // A method still to be made (an inline card, a Stripe test id) is made only for an intent whose state takes one.
  if (typeof method === "function") {
    const pre = decideConfirm(stateOf(known), "new");
    if (!pre.ok) refuse(pre, known.currency);
  }
  const paymentMethod = typeof method === "function" ? await method(known) : method;
  let requested = paymentMethod ?? null;
  // A token names the method it wraps; read it only when a pending authorization could be ours.
  if (paymentMethod?.startsWith("tok_") && known.pendingOp) {
    requested = (await tokenPaymentMethod(deps, merchantId, paymentMethod)) ?? paymentMethod;
  }
  // A confirm the intent's state refuses is refused before the card is looked at.
  const d = decideConfirm(stateOf(known), requested);
  if (!d.ok) refuse(d, known.currency);
  const retry = d.mode === "resume" && d.own;
  const card =
    paymentMethod === undefined || retry ? undefined : await resolveForCharge(deps, merchantId, paymentMethod);
  // The method the intent already holds (attached at create) may have been saved to a customer
  // since: it is checked like a named one, and its record goes on to the authorization.
  const stored =
    card === undefined && d.mode !== "resume" && known.paymentMethod
      ? await findPaymentMethod(deps.db, merchantId, known.paymentMethod)
      : undefined;
  if (stored) checkCardOwner(known.customer, stored);
  const named = card?.method.id ?? requested;
  const route = await routeOf(deps, snapshot, known, card?.sealed.record ?? stored).catch((err: unknown) =>
    err instanceof Error ? err : new Error("no route"),
  );
  return act(deps, merchantId, id, (row) => confirmStep(row, named, card, deps.now(), route, options), {
    known,
    card: card?.sealed ?? (stored && { record: stored, ownsCvc: false }),
    onBatchError: tokenLost,
    requestKey,
  });
}

/**
 * Creates `draft` already claimed for authorization with `paymentMethod`, then runs it: one batch
 * checks the card is usable, inserts the intent with its claim, reads the sealed card, clears its
 * CVC and spends a token; the processor gets that card (no second read). Anything unusual (an
 * unusable card, a retry under the same idempotency key, a token spent meanwhile) takes the path
 * that reads first (`createConfirmedRead`), which answers it.
 */
export async function createConfirmed(
  deps: PaymentDeps,
  draft: IntentRow,
  paymentMethod: string,
  options: ConfirmOptions = {},
): Promise<IntentRow> {
  const snapshot = await routingSnapshot(deps.db, draft.merchantId);
  requireConnector(snapshot, modeOf(deps));
  // A route that depends on the card needs the card read before the claim: the path that reads first.
  if (routesByCard(snapshot)) return createConfirmedRead(deps, draft, paymentMethod, snapshot, options);
  const route = await routeOf(deps, snapshot, draft, undefined);
  const step = confirmStep(draft, paymentMethod, undefined, deps.now(), route, options);
  if (step.kind !== "change") throw new Error("a new intent has no pending operation");
  const card = { ref: paymentMethod, usedBy: draft.id, now: deps.now() };
  const claimed = await insertClaimed(deps.db, draft, step.change, card, deps.origin).catch((err: unknown) => {
    if (isUniqueViolation(err, "payment_intents") || isTokenSpent(err)) return undefined;
    throw err;
  });
  if (!claimed) return createConfirmedRead(deps, draft, paymentMethod, snapshot, options);
  const ran = await runPending(deps, claimed.row, { record: claimed.card, ownsCvc: true }, { claimed: true });
  return answer(ran.row, ran.answer);
}

/**
 * `createConfirmed` reading first: an unusable payment method creates nothing (404); a retry with
 * the same idempotency key finds the intent the first attempt created (also when that attempt
 * spent the token) and resumes its operation.
 */
async function createConfirmedRead(
  deps: PaymentDeps,
  draft: IntentRow,
  paymentMethod: string,
  snapshot: RoutingSnapshot,
  options: ConfirmOptions,
): Promise<IntentRow> {
  const resolved = await resolveFor(deps, draft, paymentMethod);
  if (!("method" in resolved)) return resume(deps, resolved);
  const route = await routeOf(deps, snapshot, draft, resolved.sealed.record);
  const step = confirmStep(draft, resolved.method.id, resolved, deps.now(), route, options);
  if (step.kind !== "change") throw new Error("a new intent has no pending operation");
  const row = await insertIntent(deps.db, draft, deps.origin, step.change).catch(tokenLost);
  if (row.id !== draft.id) {
    // An intent inserted without its claim (an older create) is confirmed now.
    if (row.version === 1) {
      return act(
        deps,
        row.merchantId,
        row.id,
        (r) => confirmStep(r, resolved.method.id, resolved, deps.now(), route, options),
        {
          known: row,
          card: resolved.sealed,
          onBatchError: tokenLost,
        },
      );
    }
    return resume(deps, row);
  }
  const ran = await runPending(deps, row, resolved.sealed, { claimed: true });
  return answer(ran.row, ran.answer);
}

/**
 * The card `paymentMethod` names, ready to charge; or, when it cannot be (a tok_ already spent),
 * the intent a first attempt of this create made under the same idempotency key (that attempt
 * spent the token). Otherwise the vault's 404.
 */
async function resolveOrFind(deps: PaymentDeps, draft: IntentRow, paymentMethod: string) {
  return resolveForCharge(deps, draft.merchantId, paymentMethod).catch(async (err: unknown) => {
    const key = draft.idempotencyKey;
    const existing = key === null ? undefined : await intentByIdempotencyKey(deps.db, draft.merchantId, key);
    if (existing) return existing;
    throw err;
  });
}

/**
 * `resolveOrFind` for a new intent, checking in parallel that its customer is the merchant's (404
 * naming `customer`), then that a card saved to a customer is the intent's customer's (400).
 */
async function resolveFor(deps: PaymentDeps, draft: IntentRow, paymentMethod: string) {
  const [resolved] = await Promise.all([
    resolveOrFind(deps, draft, paymentMethod),
    checkCustomer(deps, draft.merchantId, draft.customer),
  ]);
  if ("method" in resolved) checkCardOwner(draft.customer, resolved.sealed.record);
  return resolved;
}

/**
 * Creates an unconfirmed intent, with `paymentMethod` attached if given: a tok_ is spent in the
 * batch that inserts the intent. A re-run of the create (after a lost answer) finds its first intent.
 */
export async function createIntent(deps: PaymentDeps, draft: IntentRow, paymentMethod?: string): Promise<IntentRow> {
  if (paymentMethod === undefined) {
    await checkCustomer(deps, draft.merchantId, draft.customer);
    return insertIntent(deps.db, draft, deps.origin);
  }
  const card = await resolveFor(deps, draft, paymentMethod);
  if (!("method" in card)) return card;
  const attach = {
    kind: "payment_method_attached",
    patch: { paymentMethod: card.method.id, status: "requires_confirmation" },
    extra: card.spend(draft.id, deps.now()),
  } as const;
  return insertIntent(deps.db, draft, deps.origin, attach).catch(tokenLost);
}

/** A retried create: the first attempt's intent, its pending operation (if any) finished with its key. */
async function resume(deps: PaymentDeps, row: IntentRow): Promise<IntentRow> {
  const ran = await runPending(deps, row);
  return answer(ran.row, ran.answer);
}

/** The guarded claim of a capture (`captureGuard` mirrors `decideCapture`). */
const CAPTURE_CLAIM: ClaimShape = {
  key: "capture",
  kind: "capture_started",
  pending: "capture",
  amount: captureAmount,
  guard: captureGuard,
};

/**
 * Captures all or part (`amountToCapture`) of an authorization; the rest is released. The claim is
 * one guarded batch (`captureGuard` mirrors `decideCapture`); when it does not hold, the intent is
 * read and decided: a refusal, a pending operation to finish first, or a race to retry.
 */
export async function captureIntent(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  amountToCapture?: number,
  requestKey?: string,
) {
  if (guardable(amountToCapture)) {
    const target = { merchantId, id };
    const values = guardValues(amountToCapture);
    let claimed: Awaited<ReturnType<typeof claimWhere>>;
    try {
      claimed = await claimWhere(deps.db, target, CAPTURE_CLAIM, deps.now(), values, [], requestKey);
    } catch (err) {
      if (err instanceof RequestAlreadyRan) return recorded(deps, merchantId, id, err.requestKey);
      throw err;
    }
    if (claimed) {
      const ran = await runPending(deps, claimed.row);
      return answer(ran.row, ran.answer);
    }
  }
  return act(
    deps,
    merchantId,
    id,
    (row) => {
      const d = decideCapture(stateOf(row), amountToCapture);
      if (!d.ok) refuse(d, row.currency);
      if (d.mode === "resume") return { kind: "resume", own: d.own, action: "capture" };
      return { kind: "change", change: claim(row, "capture", d.amount) };
    },
    { requestKey },
  );
}

/** Cancels an intent: immediately before confirmation, through a processor void once authorized. */
export function cancelIntent(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  reason: string | null,
  requestKey?: string,
) {
  return act(
    deps,
    merchantId,
    id,
    (row) => {
      const d = decideCancel(stateOf(row));
      if (!d.ok) refuse(d, row.currency);
      switch (d.mode) {
        case "resume":
          return { kind: "resume", own: d.own, action: "cancel" };
        case "void":
          return { kind: "change", change: claim(row, "void", d.amount, { cancellationReason: reason }) };
        case "simple":
          return {
            kind: "change",
            change: {
              kind: "canceled",
              patch: { status: "canceled", cancellationReason: reason, canceledAt: deps.now(), nextAction: null },
            },
          };
      }
    },
    { requestKey },
  );
}

/** What one sweep did, for logs and tests. */
export interface SweepReport {
  expired: number;
  reconciled: number;
  failed: number;
  /** True when the time budget ran out before every candidate was seen. */
  truncated: boolean;
}

/**
 * The scheduled sweep: voids authorizations older than 7 days (cancellation_reason `automatic`) and
 * finishes pending operations and refunds whose outcome was unknown, and returns intents whose
 * 3-D Secure challenge expired to requires_payment_method, through the same paths as requests.
 * Oldest first, one row at a time (a failing row is logged and skipped), within a time budget
 * shared out between the four passes (50%, 20%, 10%, 20%, each unused part passed on); running it twice at once is safe (compare-and-swap, same processor keys). Rows of the
 * merchants in `skip` (being moved between shards, or a finished move's stale copy) are left alone.
 */
export async function sweepPayments(
  deps: PaymentDeps,
  options: { batch?: number; budgetMs?: number; graceSeconds?: number; skip?: ReadonlySet<string> } = {},
): Promise<SweepReport> {
  const { batch = 100, budgetMs = 20_000, graceSeconds = 60, skip = new Set<string>() } = options;
  const start = Date.now();
  const now = deps.now();
  const report: SweepReport = { expired: 0, reconciled: 0, failed: 0, truncated: false };
  // The skipped merchants are left out in SQL, so they can never fill a batch and starve the rest.
  const except = [...skip];
  // Each pass has its own share of the budget, so slow processor calls in one cannot starve the next.
  const each = async <T extends { id: string; merchantId: string }>(
    share: number,
    rows: T[],
    work: (row: T) => Promise<boolean>,
  ) => {
    const deadline = start + budgetMs * share;
    for (const row of rows) {
      if (Date.now() > deadline) {
        report.truncated = true;
        return;
      }
      try {
        if (await work(row)) report.reconciled++;
      } catch (err) {
        // A refusal is an answer (recorded on the intent); anything else is logged and skipped.
        if (err instanceof ApiError && err.status < 500 && err.code !== "lock_timeout") continue;
        report.failed++;
        log("warn", "payments_sweep_row_failed", { id: row.id, error: err instanceof Error ? err.name : "unknown" });
      }
    }
  };
  await each(0.5, await intentsProcessing(deps.db, now - graceSeconds, batch, except), async (row) => {
    // An outcome may start the next operation (an authorization its automatic capture): follow
    // the chain while each step decides something, so one sweep finishes what it can.
    let current = row;
    for (let step = 0; step < 3 && current.status === "processing"; step++) {
      const before = current.pendingOp;
      current = (await runPending(deps, current)).row;
      if (current.pendingOp === before) break;
    }
    return current.status !== "processing";
  });
  await each(0.7, await refundsPendingBefore(deps.db, now - graceSeconds, batch, except), async (refund) => {
    return (await runRefund(deps, refund)).status !== "pending";
  });
  // 3-D Secure challenges left unanswered: their intents go back to requires_payment_method.
  await each(0.8, await authenticationsExpired(deps.db, now, batch, except), (challenge) =>
    expireChallenge(deps, challenge),
  );
  await each(1, await intentsAuthorizedBefore(deps.db, now - AUTHORIZATION_TTL_SECONDS, batch, except), async (row) => {
    const done = await cancelIntent(deps, row.merchantId, row.id, "automatic");
    if (done.status === "canceled") report.expired++;
    return false;
  });
  log("info", "payments_sweep", { ...report });
  return report;
}

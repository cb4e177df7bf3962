/**
 * The engine of every PaymentIntent action. Decisions come from domain/payment-state.ts and
 * domain/outcome.ts; every write is one compare-and-swap batch (db/payment-intents.ts); every
 * processor call runs as the intent's one *pending operation*: the claim moves the intent to
 * `processing` with the operation and its processor-side key, the processor is called, and the
 * outcome is recorded.
 *
 * The rules that keep money from getting lost:
 * - Only one pending operation exists per intent, and nothing replaces it. A request that finds
 *   one finishes it with its same key (the processor answers a repeated key with its first answer)
 *   before deciding anything else, so a racing request can only see a final state.
 * - Every outcome has a terminal change (approved, declined, refused); only `unknown` leaves the
 *   intent `processing`, for a retry or the sweep to repeat the same key.
 * - A claim records its request's Idempotency-Key and the outcome the answer, so a re-run of that
 *   request (its saved answer lost) gets the same answer instead of a second operation (`recorded`).
 * - An authorization goes to the connector its claim routed it to (connectors/route.ts); if that
 *   connector fails before authorizing (`isRetryable`) and the claim named a fallback, one batch
 *   records the failed attempt (a failed charge) and claims the fallback with a new key, which then
 *   runs; the fallback has no fallback. Captures, voids and refunds go to the intent's connector.
 * - Version conflicts retry with jittered backoff; past the budget the answer is 429 `lock_timeout`,
 *   which the gate never saves: either nothing changed, or an outcome is known but not yet recorded,
 *   and the same request sent again (or the sweep) records it with the operation's key.
 */

import { reportHealth } from "../connectors/health";
import type { Route } from "../connectors/route";
import { claimKey, RequestAlreadyRan } from "../db/errors";
import { recordedAnswer } from "../db/intent-claims";
import { changeIntent, getIntent, type IntentChange, type IntentRow } from "../db/payment-intents";
import { findPaymentMethod } from "../db/vault";
import type { Currency } from "../domain/currencies";
import { amountMessage } from "../domain/money";
import { isRetryable, type OutcomeAnswer, opKey, resolve } from "../domain/outcome";
import { BUILTIN_CONNECTOR, type IntentState, type PendingOp, type Refusal } from "../domain/payment-state";
import { ApiError } from "../errors";
import { afterScreen, pinScreening, type Screening, screen } from "../fraud/screen";
import { noSuchMessage } from "../lib/ids";
import { log } from "../lib/log";
import { meterAuthorization } from "../lib/meter";
import { callProcessor, type Outcome } from "../processor/connector";
import { type ClaimedCard, forgetCvc, forgetCvcStatement } from "../vault";
import { answer, toChange } from "./answers";
import type { PaymentDeps } from "./deps";
import { reviewWrites } from "./review-hold";
import { outcomeSavesCard } from "./saved-cards";
import { isLive } from "./serialize";
import { challengeFirst } from "./three-d-secure";

/** Read-model of a row for the state machine. */
export function stateOf(row: IntentRow): IntentState {
  return {
    id: row.id,
    status: row.status as IntentState["status"],
    amount: row.amount,
    currency: row.currency as Currency,
    captureMethod: row.captureMethod as IntentState["captureMethod"],
    paymentMethod: row.paymentMethod,
    amountCapturable: row.amountCapturable,
    amountReceived: row.amountReceived,
    amountRefunded: row.amountRefunded,
    pendingOp: row.pendingOp ? (JSON.parse(row.pendingOp) as PendingOp) : null,
    review: row.review,
  };
}

/** The merchant's intent, or the 404 every foreign or unknown id gets. */
export async function loadIntent(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  param?: string,
): Promise<IntentRow> {
  return (await getIntent(deps.db, merchantId, id)) ?? noSuchIntent(id, param);
}

/** Throws the 404 every foreign or unknown intent id gets. */
export function noSuchIntent(id: string, param?: string): never {
  throw new ApiError("resource_missing", noSuchMessage("payment_intent", id, "pi"), param ? { param } : {});
}

/**
 * Throws the ApiError for a refused decision. Amount and parameter refusals changed nothing and
 * are corrected by the caller, so the gate saves none of them (`noEffect`); state refusals are saved.
 */
export function refuse(d: Refusal, currency: string): never {
  switch (d.code) {
    case "amount_too_small":
    case "amount_too_large":
    case "parameter_invalid":
      throw new ApiError(d.code, amountMessage(d, currency), { param: d.param, noEffect: true });
    case "parameter_missing":
      throw new ApiError(d.code, d.message, { param: d.param, noEffect: true });
    case "payment_intent_unexpected_state":
    case "charge_already_refunded":
      throw new ApiError(d.code, d.message);
  }
}

/** Most compare-and-swap attempts one request makes before answering `lock_timeout`. */
export const MAX_ATTEMPTS = 12;

/** The 429 for contention that outlasted the retry budget: send the same request again (it is never saved). */
export function lockTimeout(): ApiError {
  return new ApiError(
    "lock_timeout",
    "This object is being changed by other requests at the same time. Retry the request.",
    { noEffect: true, headers: { "Stripe-Should-Retry": "true" } },
  );
}

/** Waits before attempt `n` (1-based): full jitter over 5·2ⁿ ms, capped at 200 ms (≈ 1.4 s in all). */
export function backoff(n: number): Promise<void> {
  const ms = Math.random() * Math.min(200, 5 * 2 ** n);
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Applies a change decided on a fresh read, retrying the read-decide-write cycle (with backoff)
 * when another writer moved the intent first. `decide` returns the change or throws an ApiError.
 * `known` is a row this request already holds: the first attempt decides on it.
 */
export async function mutate(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  decide: (row: IntentRow) => Promise<IntentChange> | IntentChange,
  known?: IntentRow,
): Promise<IntentRow> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await backoff(attempt);
    const row = attempt === 0 && known ? known : await loadIntent(deps, merchantId, id);
    const changed = await changeIntent(deps.db, row, await decide(row), deps.origin, deps.now());
    if (changed) return changed;
  }
  throw lockTimeout();
}

/** What an action does on the intent as it stands. */
export type Step =
  /** Finish the pending operation first; `own`: it is this request's operation, answer with its result. */
  | { kind: "resume"; own: boolean; action: string }
  /** Write this change; if it claims an operation (status `processing`), run it. */
  | { kind: "change"; change: IntentChange };

/** Extra inputs of an action: a card record the request resolved, and how a lost token shows. */
export interface ActOptions {
  known?: IntentRow;
  card?: ClaimedCard;
  /** Maps a batch failure of the change (e.g. a token spent by another claim) to an answer. */
  onBatchError?: (err: unknown) => never;
  /** The request's Idempotency-Key: a claim records it, and a re-run of the request answers what its first run got. */
  requestKey?: string;
}

/**
 * Runs an action to its end: decides on the intent; finishes a pending operation first (with its
 * own key); writes the change with compare-and-swap, retrying with backoff on conflicts; and runs
 * the operation the change claimed. Returns the intent, or throws the answer's ApiError.
 */
export async function act(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  decide: (row: IntentRow) => Step,
  options: ActOptions = {},
): Promise<IntentRow> {
  let row = options.known ?? (await loadIntent(deps, merchantId, id));
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const step = decide(row);
    if (step.kind === "resume") {
      const ran = await runPending(deps, row);
      if (step.own) return answer(ran.row, ran.answer);
      if (ran.row.status === "processing") {
        // Another operation whose outcome is still unknown: nothing else may happen meanwhile.
        throw new ApiError(
          "payment_intent_unexpected_state",
          `You cannot ${step.action} this PaymentIntent because it has a status of processing.`,
        );
      }
      row = ran.row;
      continue;
    }
    const key = options.requestKey;
    const claims = key !== undefined && step.change.patch.status === "processing";
    const change = claims ? { ...step.change, requestKey: claimKey(step.change.kind, key) } : step.change;
    let changed: IntentRow | undefined;
    try {
      changed = await changeIntent(deps.db, row, change, deps.origin, deps.now());
    } catch (err) {
      if (err instanceof RequestAlreadyRan) return recorded(deps, merchantId, id, err.requestKey);
      if (options.onBatchError) options.onBatchError(err);
      throw err;
    }
    if (changed) {
      const ran = await runPending(deps, changed, options.card, { claimed: true });
      return answer(ran.row, ran.answer);
    }
    await backoff(attempt + 1);
    row = await loadIntent(deps, merchantId, id);
  }
  throw lockTimeout();
}

/**
 * The answer of a re-run request: its first run claimed an operation on the intent, recorded
 * under `requestKey` (a `claimKey`). Once that operation's outcome is recorded, the same answer (against the intent as
 * it is now); while it is pending, the operation finished with its own key.
 */
export async function recorded(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  requestKey: string,
): Promise<IntentRow> {
  const [row, first] = await Promise.all([loadIntent(deps, merchantId, id), recordedAnswer(deps.db, id, requestKey)]);
  if (first.answer !== null) return answer(row, JSON.parse(first.answer) as OutcomeAnswer);
  const ran = await runPending(deps, row);
  return answer(ran.row, ran.answer);
}

/**
 * Moves the intent into `processing` with a new pending operation (the claim). An authorization
 * names its `route` (connector and fallback), which becomes the intent's connector, and may ask
 * the issuer first whether its card must be authenticated (`more.authenticate`, see three-d-secure.ts).
 */
export function claim(
  row: IntentRow,
  kind: PendingOp["kind"],
  amount: number,
  patch: IntentChange["patch"] = {},
  route?: Route,
  more: Pick<PendingOp, "authenticate"> = {},
): IntentChange {
  // One key per operation, derived from the intent and the version the claim creates; an automatic
  // capture's key is fixed here too (the version its authorization's outcome creates).
  const op: PendingOp = { kind, key: opKey(row.id, kind, row.version + 1), amount, ...more };
  if (kind === "authorize" && row.captureMethod === "automatic") op.capture = opKey(row.id, "capture", row.version + 2);
  const routed: IntentChange["patch"] = {};
  if (route) {
    op.route = route.route;
    if (route.fallback) op.fallback = route.fallback;
    routed.connector = route.route.connector;
  }
  return {
    kind: `${kind}_started`,
    amount,
    patch: { ...patch, ...routed, status: "processing", pendingOp: JSON.stringify(op) },
  };
}

/** A pending operation's run: the intent as it now stands and what the request is answered. */
export interface Ran {
  row: IntentRow;
  /** Null when nothing was decided (unknown outcome, or no pending operation). */
  answer: OutcomeAnswer | null;
}

/**
 * Executes the pending operation of a `processing` intent and records its outcome, running the
 * automatic capture right after an approved authorization and recording both in one batch. `card` is the payment method's record if
 * this request just resolved it (saves the vault a read).
 */
export async function runPending(deps: PaymentDeps, row: IntentRow, card?: ClaimedCard, run: Run = {}): Promise<Ran> {
  const op = stateOf(row).pendingOp;
  if (row.status !== "processing" || !op) return { row, answer: null };
  // 3-D Secure is decided before the fraud screen and the processor: a challenge sends nothing.
  const challenge = await challengeFirst(deps, row, op, card);
  if (challenge) return recordChallenge(deps, row, op, challenge);
  // The fraud screen decides before the processor is called; a blocked attempt never reaches it.
  // A failover attempt keeps the verdict of the attempt it replaces (the same payment, screened once).
  const screening =
    run.screening !== undefined
      ? run.screening
      : op.kind === "authorize" && deps.fraudScreen
        ? await screenAuthorization(deps, row, op, card)
        : null;
  let outcome: Outcome;
  if (screening?.verdict.action === "block") outcome = BLOCKED;
  else {
    // The verdict is pinned while the processor is called, so a retry after an unknown answer keeps it.
    const pinned = screening ? pinScreening(deps.env, screening) : undefined;
    outcome = await callFor(deps, row, op, card);
    await pinned;
  }
  // "Not processed" speaks for this call only. Another run of the key (a retry, the sweep, a racing
  // request) may follow a call whose outcome is unknown, so only the run that claimed it may fail
  // the attempt or fail it over on such an answer; for any other run it is plain unknown.
  if (outcome.kind === "unknown" && !run.claimed) outcome = { kind: "unknown" };
  // PCI DSS 3.3: the CVC may not outlive the first authorization attempt. It goes in the batch that
  // records the outcome, or on its own now when there is no outcome to record.
  const cvcOf = op.kind === "authorize" ? row.paymentMethod : null;
  const forget = () =>
    cvcOf
      ? forgetCvc(deps, row.merchantId, cvcOf).then(
          () => undefined,
          () => undefined,
        )
      : undefined;
  // A CVC this request read and cleared in its claim's batch reached the processor (the charge's cvc_check).
  const cvcSent =
    card?.ownsCvc === true && card.record.cvcCiphertext !== null && (card.record.cvcExpiresAt ?? 0) > deps.now();
  // A `review` verdict holds an approved authorization at requires_capture and opens its review.
  const hold = screening?.verdict.action === "review";
  const first = resolve(stateOf(row), op, outcome, row.version, deps.now(), hold);
  if (!first) {
    // No answer from the processor: the payment stays processing for a retry or the sweep.
    if (op.kind === "authorize") meterAuthorization(row, "unknown");
    await forget();
    return { row, answer: null };
  }
  // An approved authorization of an automatic-capture intent: its capture (key fixed by the claim)
  // runs now, back to back, and one batch records both. An unknown capture leaves the intent
  // `processing` with that capture for a retry or the sweep, as `resolve` says.
  const capture = op.kind === "authorize" && first.kind === "authorized" ? first.patch.pendingOp : null;
  const captured = capture
    ? await callFor(deps, { ...row, processorReference: first.patch.processorReference ?? null }, capture)
    : undefined;
  let current = row;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await backoff(attempt);
      current = await loadIntent(deps, row.merchantId, row.id);
    }
    // Recorded by another request that ran the same key (same answer), or already moved on.
    if (stateOf(current).pendingOp?.key !== op.key) {
      await forget();
      // An approval this run got that is not the intent's (another run failed the key over, or
      // failed it, on an answer this run did not get) holds money nobody will capture: release it.
      // So does this run's automatic capture of an authorization another run recorded without it
      // (held for review: that run found no pinned verdict), unless the intent shows that capture.
      if (op.kind === "authorize" && outcome.kind === "approved") {
        const tookCapture = captured?.kind === "approved";
        const heldHere = current.processorReference === outcome.reference;
        const capturedHere =
          current.amountReceived > 0 || (capture !== null && stateOf(current).pendingOp?.key === capture?.key);
        if (!heldHere || (tookCapture && !capturedHere)) {
          await releaseOrphan(deps, row, op, outcome.reference, tookCapture);
        }
      }
      // Another request failed this attempt over: the answer is the next attempt's (the same key on the fallback).
      if (first.kind === "failed_over") {
        return current.status === "processing"
          ? runPending(deps, current, withoutCvc(card), { screening })
          : { row: current, answer: null };
      }
      return { row: current, answer: first.answer };
    }
    const r = resolve(stateOf(current), op, outcome, current.version, deps.now(), hold) ?? first;
    const route = op.kind === "authorize" ? (op.route ?? null) : null;
    const change = toChange(current, r.kind, r.patch, r.movement, cvcSent, screening?.verdict ?? null, route);
    // After the charge's insert (changeIntent puts it first), which reads whether the CVC was there.
    if (cvcOf) change.extra = [...(change.extra ?? []), forgetCvcStatement(deps, current.merchantId, cvcOf)];
    change.extra = [
      ...(change.extra ?? []),
      ...outcomeSavesCard(deps, current, r.kind),
      ...reviewWrites(deps, current, change, r),
    ];
    let answered = r.answer;
    const after: IntentRow = { ...current, ...change.patch, version: current.version + 1 };
    const then = stateOf(after).pendingOp;
    const r2 = captured && then ? resolve(stateOf(after), then, captured, after.version, deps.now()) : null;
    if (r2) {
      change.next = toChange(after, r2.kind, r2.patch, r2.movement);
      answered = r2.answer;
    }
    // The answer is kept with the outcome that decides it, for a re-run of the claiming request
    // (`recorded`); an authorization whose automatic capture is still unknown decides nothing yet.
    const last = change.next ?? change;
    if (last.patch.pendingOp === null) last.answer = JSON.stringify(answered);
    const done = await changeIntent(deps.db, current, change, deps.origin, deps.now()).catch(async (err: unknown) => {
      await forget();
      throw err;
    });
    if (done) {
      // A failover: the failed attempt is recorded (a failed charge) and the next connector claimed
      // by this batch; this run runs it, without the CVC (PCI DSS 3.3: it served the first attempt).
      if (r.kind === "failed_over") return runPending(deps, done, withoutCvc(card), { claimed: true, screening });
      if (op.kind === "authorize") meterOutcome(done, r.kind, r.answer, screening?.verdict.action === "block");
      if (screening) {
        const answered = r.kind === "authorized" ? "approved" : r.kind === "declined" ? "declined" : null;
        deps.defer(afterScreen(deps.env, screening, answered));
      }
      return { row: done, answer: answered };
    }
  }
  // The outcome is known but could not be written: the intent stays `processing` with the same
  // key, and the next retry or the sweep records it. Nothing was lost; tell the caller to retry.
  await forget();
  log("warn", "payment_outcome_unrecorded", { intent: row.id, operation: op.kind });
  throw lockTimeout();
}

/**
 * Records that the authorization `op` waits for a 3-D Secure challenge (`challenge` builds the
 * change from the intent as it stands), unless another run of the same key recorded an outcome first.
 */
async function recordChallenge(
  deps: PaymentDeps,
  row: IntentRow,
  op: PendingOp,
  challenge: (current: IntentRow) => IntentChange,
): Promise<Ran> {
  let current = row;
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) {
      await backoff(attempt);
      current = await loadIntent(deps, row.merchantId, row.id);
    }
    if (stateOf(current).pendingOp?.key !== op.key) return { row: current, answer: null };
    const done = await changeIntent(deps.db, current, challenge(current), deps.origin, deps.now());
    if (done) {
      meterAuthorization(done, "requires_action");
      return { row: done, answer: { kind: "ok" } };
    }
  }
  throw lockTimeout();
}

/** How a pending operation is run. */
export interface Run {
  /** This run's request claimed the operation (its first call of the key; see `runPending`). */
  claimed?: boolean;
  /** A failover attempt: the verdict of the attempt it replaces (null: not screened). */
  screening?: Screening | null;
}

/** The card of a failover attempt: its record without the CVC, which served the first attempt only. */
function withoutCvc(card: ClaimedCard | undefined): ClaimedCard | undefined {
  return card && { record: { ...card.record, cvcCiphertext: null, cvcExpiresAt: null }, ownsCvc: false };
}

/**
 * Releases an authorization approved for `op` on its connector that the intent does not hold (a
 * racing run recorded another outcome for the key), or this run's automatic capture of it that the
 * intent does not show: voided, or refunded when captured. Best effort, logged either way (never
 * card data): a release that fails leaves a hold that lapses uncaptured, or captured money for the
 * operator to refund.
 */
async function releaseOrphan(deps: PaymentDeps, row: IntentRow, op: PendingOp, reference: string, captured: boolean) {
  const connector = op.route?.connector ?? BUILTIN_CONNECTOR;
  const processor = deps.processor(undefined, connector);
  const req = {
    key: `${op.key}_release`,
    reference,
    amount: op.amount,
    merchantId: row.merchantId,
    currency: row.currency,
  };
  const kind = captured ? "refund" : "void";
  const done = await callProcessor(kind, op.amount, () => (captured ? processor.refund(req) : processor.void(req)));
  const fields = { intent: row.id, connector, operation: kind };
  if (done.kind === "approved") log("warn", "orphan_authorization_released", fields);
  else log("error", "orphan_authorization_unreleased", { ...fields, outcome: done.kind });
}

/** What a blocked authorization records: Stripe's decline of a payment its fraud screen blocked. */
const BLOCKED: Outcome = { kind: "declined", code: "card_declined", declineCode: "fraudulent" };

/**
 * Screens an authorization with its card: the record this request read, else the stored one (a
 * retry, the sweep). A card that is gone is not screened: the processor call refuses it anyway.
 * Null when the attempt is not screened.
 */
async function screenAuthorization(deps: PaymentDeps, row: IntentRow, op: PendingOp, card?: ClaimedCard) {
  const record =
    card?.record ??
    (row.paymentMethod ? await findPaymentMethod(deps.db, row.merchantId, row.paymentMethod) : undefined);
  if (!record) return null;
  // The screen fails open: its counters or rules being unreachable must not stop every payment.
  // The attempt goes to the processor unscreened (its charge shows no risk), and the failure is logged.
  // A failover attempt is the payment the first attempt's key was screened under.
  return screen(deps, row, record, op.screened ?? op.key, isLive(deps.env)).catch((err: unknown) => {
    log("warn", "fraud_screen_unavailable", { intent: row.id, error: err instanceof Error ? err.name : "unknown" });
    return null;
  });
}

/**
 * Calls the processor for the pending operation: an authorization on the connector its claim chose,
 * a capture or void on the connector of the intent's authorization. An authorization's result on a
 * connector account goes to that account's health (deferred, never awaited: see connectors/health.ts).
 */
async function callFor(deps: PaymentDeps, row: IntentRow, op: PendingOp, card?: ClaimedCard): Promise<Outcome> {
  const connector = (op.kind === "authorize" ? op.route?.connector : row.connector) ?? BUILTIN_CONNECTOR;
  const outcome = await callConnector(deps, connector, row, op, card);
  if (op.kind === "authorize" && connector !== BUILTIN_CONNECTOR) {
    deps.defer(reportHealth(deps.env, connector, !failedConnector(outcome)));
  }
  return outcome;
}

/** Whether an outcome counts against the connector's health: no answer, or its "try again" decline. */
function failedConnector(outcome: Outcome): boolean {
  return outcome.kind === "unknown" || isRetryable(outcome);
}

/** One processor call of the pending operation on `connector`. */
function callConnector(
  deps: PaymentDeps,
  connector: string,
  row: IntentRow,
  op: PendingOp,
  card?: ClaimedCard,
): Promise<Outcome> {
  const processor = deps.processor(card, connector);
  switch (op.kind) {
    case "authorize":
      return callProcessor("authorize", op.amount, () =>
        processor.authorize({
          key: op.key,
          merchantId: row.merchantId,
          paymentMethod: row.paymentMethod ?? "",
          amount: op.amount,
          currency: row.currency,
          statementDescriptor: row.statementDescriptor,
        }),
      );
    case "capture":
    case "void": {
      const req = {
        key: op.key,
        reference: row.processorReference ?? "",
        amount: op.amount,
        merchantId: row.merchantId,
        currency: row.currency,
      };
      return callProcessor(op.kind, op.amount, () =>
        op.kind === "capture" ? processor.capture(req) : processor.void(req),
      );
    }
  }
}

/**
 * Reports the recorded outcome of an authorization to the request's meter (lib/meter.ts):
 * approved, blocked by the fraud screen, declined by the issuer, or failed (a processing error, a
 * card that could not be used).
 */
function meterOutcome(row: IntentRow, kind: string, answer: OutcomeAnswer, blocked: boolean): void {
  if (kind === "authorized") meterAuthorization(row, "succeeded");
  else if (blocked) meterAuthorization(row, "blocked");
  else if (answer.kind === "declined" && answer.code !== "processing_error") {
    meterAuthorization(row, "declined", answer.declineCode);
  } else meterAuthorization(row, "failed", answer.kind === "declined" ? answer.declineCode : null);
}

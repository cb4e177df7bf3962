/**
 * The PaymentIntent actions merchants call (confirm, capture, cancel) and the scheduled sweep that
 * expires week-old authorizations and retries operations whose outcome was unknown.
 */
import { getDb } from "../db/client";
import { type IntentRow, insertIntent, intentsAuthorizedBefore, intentsProcessing } from "../db/payment-intents";
import { refundsPendingBefore } from "../db/refunds";
import { decideCancel, decideCapture, decideConfirm } from "../domain/payment-state";
import { ApiError } from "../errors";
import { log } from "../lib/log";
import { claimForCharge } from "../vault";
import { claim, loadIntent, mutate, refuse, runPending, stateOf } from "./intents";
import { runRefund } from "./refunds";

/** Cancellation reasons a merchant may give (`automatic` is reserved for expiry). */
export const CANCELLATION_REASONS = ["duplicate", "fraudulent", "requested_by_customer", "abandoned"] as const;

/** How long an uncaptured authorization lives before the sweep voids it. */
export const AUTHORIZATION_TTL_SECONDS = 7 * 24 * 60 * 60;

/**
 * Confirms an intent (optionally attaching a pm_/tok_), or reconciles one left `processing`.
 * `known` is the intent if the caller just read or wrote it (saves a read).
 */
export async function confirmIntent(
  env: Env,
  merchantId: string,
  id: string,
  paymentMethod?: string,
  known?: IntentRow,
) {
  const current = known ?? (await loadIntent(env, merchantId, id));
  const first = decideConfirm(stateOf(current), paymentMethod !== undefined);
  if (!first.ok) refuse(first, current.currency);
  if (first.mode === "reconcile") return runPending(env, current);
  // Claim the card before the intent, so an unusable pm_/tok_ is a 404 and nothing changes.
  const card = paymentMethod === undefined ? undefined : await claimForCharge(env, merchantId, paymentMethod);
  const pm = card?.method.id;
  const claimed = await mutate(
    env,
    merchantId,
    id,
    (row) => {
      const d = decideConfirm(stateOf(row), pm !== undefined);
      if (!d.ok) refuse(d, row.currency);
      if (d.mode === "reconcile") throw conflict();
      return claim(row, "authorize", row.amount, { paymentMethod: pm ?? row.paymentMethod, lastPaymentError: null });
    },
    current,
  );
  return runPending(env, claimed, card?.sealed);
}

/**
 * Creates `draft` and confirms it with `paymentMethod`. For a pm_ (claiming it only reads it) the
 * card is claimed first and the intent is inserted already claimed for authorization: one batch
 * instead of create-then-claim. A tok_ (claiming consumes it) keeps create-then-confirm, so a
 * failed create never burns the token. Either way, an unusable payment method leaves the intent
 * created awaiting a payment method and answers 404, and a retried create (same idempotency key)
 * resumes or returns the intent it created first.
 */
export async function createConfirmed(env: Env, draft: IntentRow, paymentMethod: string): Promise<IntentRow> {
  const db = getDb(env);
  const resume = (row: IntentRow) =>
    row.version === 1 ? confirmIntent(env, row.merchantId, row.id, paymentMethod, row) : row;
  if (!paymentMethod.startsWith("pm_")) return resume(await insertIntent(db, draft));
  const card = await claimForCharge(env, draft.merchantId, paymentMethod).catch(async (err: unknown) => {
    const row = await insertIntent(db, draft);
    if (row.id !== draft.id && row.version !== 1) return row; // a retry of a create that went further
    throw err;
  });
  if (!("method" in card)) return card;
  const d = decideConfirm(stateOf(draft), true);
  if (!d.ok) refuse(d, draft.currency);
  const next = claim(draft, "authorize", draft.amount, { paymentMethod: card.method.id, lastPaymentError: null });
  const row = await insertIntent(db, draft, next);
  return row.id === draft.id ? runPending(env, row, card.sealed) : resume(row);
}

/** Captures all or part (`amountToCapture`) of an authorization; the rest is released. */
export async function captureIntent(env: Env, merchantId: string, id: string, amountToCapture?: number) {
  const current = await loadIntent(env, merchantId, id);
  if (current.status === "processing" && stateOf(current).pendingOp?.kind === "capture") {
    return runPending(env, current);
  }
  const claimed = await mutate(
    env,
    merchantId,
    id,
    (row) => {
      const d = decideCapture(stateOf(row), amountToCapture);
      if (!d.ok) refuse(d, row.currency);
      return claim(row, "capture", d.amount);
    },
    current,
  );
  return runPending(env, claimed);
}

/** Cancels an intent: immediately before confirmation, through a processor void once authorized. */
export async function cancelIntent(env: Env, merchantId: string, id: string, reason: string | null) {
  const current = await loadIntent(env, merchantId, id);
  if (current.status === "processing" && stateOf(current).pendingOp?.kind === "void") {
    return runPending(env, current);
  }
  const changed = await mutate(
    env,
    merchantId,
    id,
    (row) => {
      const d = decideCancel(stateOf(row));
      if (!d.ok) refuse(d, row.currency);
      if (d.mode === "void") return claim(row, "void", d.amount, { cancellationReason: reason });
      return {
        kind: "canceled",
        patch: { status: "canceled", cancellationReason: reason, canceledAt: Math.floor(Date.now() / 1000) },
      };
    },
    current,
  );
  return runPending(env, changed);
}

/**
 * The scheduled sweep: voids authorizations older than 7 days (cancellation_reason `automatic`) and
 * re-runs pending operations whose outcome was unknown. Returns what it did, for logs and tests.
 */
export async function sweepPayments(env: Env, now = Math.floor(Date.now() / 1000), batch = 100) {
  const db = getDb(env);
  let expired = 0;
  let reconciled = 0;
  for (const row of await intentsAuthorizedBefore(db, now - AUTHORIZATION_TTL_SECONDS, batch)) {
    try {
      const done = await cancelIntent(env, row.merchantId, row.id, "automatic");
      if (done.status === "canceled") expired++;
    } catch (err) {
      // Another request captured or cancelled it meanwhile: nothing left to expire.
      if (!(err instanceof ApiError)) throw err;
    }
  }
  for (const row of await intentsProcessing(db, now - 60, batch)) {
    const done = await runPending(env, row).catch((err) => {
      if (err instanceof ApiError) return undefined; // a decline, now recorded on the intent
      throw err;
    });
    if (done?.status !== "processing") reconciled++;
  }
  for (const refund of await refundsPendingBefore(db, now - 60, batch)) {
    if ((await runRefund(env, refund)).status !== "pending") reconciled++;
  }
  log("info", "payments_sweep", { expired, reconciled });
  return { expired, reconciled };
}

function conflict(): ApiError {
  return new ApiError("payment_intent_unexpected_state", "This PaymentIntent is being processed; retry the request.");
}

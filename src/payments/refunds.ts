/**
 * Refunds. The amount is reserved on the intent (`amount_refunded`) in the same compare-and-swap
 * batch that inserts the refund as `pending`, so two racing refunds can never together exceed what
 * was captured: the loser re-reads and is decided again against the new total. The processor is
 * then called with the refund id as its idempotency key, and success writes the ledger entries and
 * the `succeeded` status in one more batch. An unknown outcome leaves the refund `pending` for the
 * sweep (or the next refund on the intent) to retry with the same key.
 */
import { getDb } from "../db/client";
import { type IntentRow, intentQuery, isUniqueViolation, nowSeconds } from "../db/payment-intents";
import {
  finishRefund,
  getRefund,
  insertRefund,
  type RefundRow,
  refundByIdempotencyKey,
  refundByIdempotencyKeyQuery,
} from "../db/refunds";
import { decideRefund } from "../domain/payment-state";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import type { Metadata } from "../lib/params";
import { callProcessor } from "../processor/connector";
import { processorFor } from "../processor/index";
import { loadIntent, mutate, noSuchIntent, refuse, stateOf } from "./intents";

/** Reasons a merchant may give for a refund. */
export const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

/** What a merchant asks for. */
export interface RefundInput {
  paymentIntent: string;
  amount?: number;
  reason?: string;
  metadata?: Metadata;
}

/** Creates a refund and runs it; a retry with the same idempotency key returns the first refund. */
export async function createRefund(env: Env, merchantId: string, input: RefundInput, idempotencyKey?: string) {
  const db = getDb(env);
  let current: IntentRow | undefined;
  if (idempotencyKey) {
    // One round trip: the refund a retry would find, and the intent a first attempt needs.
    const [seen, intent] = await db.batch([
      refundByIdempotencyKeyQuery(db, merchantId, idempotencyKey),
      intentQuery(db, merchantId, input.paymentIntent),
    ]);
    if (seen[0]) return seen[0];
    current = intent[0] ?? noSuchIntent(input.paymentIntent, "payment_intent");
  } else {
    current = await loadIntent(env, merchantId, input.paymentIntent, "payment_intent");
  }
  let refund: RefundRow | undefined;
  let reserved: IntentRow;
  try {
    reserved = await mutate(
      env,
      merchantId,
      input.paymentIntent,
      (row) => {
        const d = decideRefund(stateOf(row), input.amount);
        if (!d.ok) refuse(d, row.currency);
        refund = {
          id: newId("re"),
          merchantId,
          paymentIntentId: row.id,
          charge: row.latestCharge ?? "",
          amount: d.amount,
          currency: row.currency,
          status: "pending",
          reason: input.reason ?? null,
          metadata: JSON.stringify(input.metadata ?? {}),
          failureReason: null,
          idempotencyKey: idempotencyKey ?? null,
          created: nowSeconds(),
        };
        return {
          kind: "refund_started",
          amount: d.amount,
          patch: { amountRefunded: row.amountRefunded + d.amount },
          ledger: { movement: { kind: "refund_reserve", amount: d.amount }, sourceId: refund.id },
          extra: [insertRefund(db, refund)],
        };
      },
      current,
    );
  } catch (err) {
    if (!idempotencyKey || !isUniqueViolation(err, "refunds")) throw err;
    const seen = await refundByIdempotencyKey(db, merchantId, idempotencyKey);
    if (!seen) throw err;
    return seen;
  }
  if (!refund) throw new Error("refund not built");
  return runRefund(env, refund, reserved);
}

/**
 * Calls the processor for a pending refund and records success; returns the refund as it stands.
 * `reserved` is the intent exactly as the batch that reserved this refund left it, when the caller
 * has it: it saves re-reading the intent and the refund (see below).
 */
export async function runRefund(env: Env, refund: RefundRow, reserved?: IntentRow): Promise<RefundRow> {
  if (refund.status !== "pending") return refund;
  const db = getDb(env);
  const intent = reserved ?? (await loadIntent(env, refund.merchantId, refund.paymentIntentId));
  const processor = processorFor(env);
  const outcome = await callProcessor("refund", refund.amount, () =>
    processor.refund({ key: refund.id, reference: intent.processorReference ?? "", amount: refund.amount }),
  );
  if (outcome.kind !== "approved") return refund;
  const finished = await mutate(
    env,
    refund.merchantId,
    refund.paymentIntentId,
    async (row) => {
      // Every finisher bumps the intent's version, so at the reserving version the refund is still
      // pending. Otherwise read the refund after the intent: a finisher that committed first is visible.
      if (row.version !== reserved?.version) {
        const now = await getRefund(db, refund.merchantId, refund.id);
        if (now?.status !== "pending") throw new AlreadyFinished();
      }
      return {
        kind: "refunded",
        amount: refund.amount,
        patch: {},
        ledger: { movement: { kind: "refund", amount: refund.amount }, sourceId: refund.id },
        extra: [finishRefund(db, refund.id, "succeeded")],
      };
    },
    reserved,
  ).catch((err) => {
    if (!(err instanceof AlreadyFinished)) throw err;
    return undefined;
  });
  // Our batch moved the refund from pending to succeeded (and only such batches change a refund).
  if (finished) return { ...refund, status: "succeeded", failureReason: null };
  return (await getRefund(db, refund.merchantId, refund.id)) ?? refund;
}

/** The merchant's refund, or a 404. */
export async function loadRefund(env: Env, merchantId: string, id: string): Promise<RefundRow> {
  const row = await getRefund(getDb(env), merchantId, id);
  if (!row) throw new ApiError("resource_missing", `No such refund: '${id}'`);
  return row;
}

class AlreadyFinished extends Error {}

/**
 * Refunds. The amount is reserved on the intent (`amount_refunded`) and in the ledger
 * (`refund_reserve`) in the same compare-and-swap batch that inserts the refund as `pending`, so
 * racing refunds can never together exceed what was captured: a loser re-reads and is decided again.
 * The processor is then called with the refund id as its idempotency key. Its outcome is terminal:
 * approved → `succeeded` (the ledger nets the processor account), refused → `failed` with the
 * reservation released in the same batch; unknown leaves it `pending` for the sweep.
 *
 * Once the refund row exists the request answers with it, whatever happens next: a merchant is
 * never told that a refund failed when it exists.
 */

import { refundBalanceStatements, refundFailureBalanceStatements } from "../db/balance-transactions";
import { refundTargetQuery } from "../db/charges";
import { type EventSpec, eventInserts } from "../db/events";
import { type ClaimShape, claimWhere } from "../db/intent-claims";
import {
  chargeIntent,
  chargeRefundGuard,
  guardable,
  guardValues,
  refundAmount,
  refundGuard,
  refundReservation,
} from "../db/intent-guards";
import { postMovement, postMovementOf } from "../db/ledger";
import { type IntentRow, isUniqueViolation } from "../db/payment-intents";
import {
  getRefund,
  insertRefund,
  insertRefundOf,
  type RefundRow,
  refundByIdempotencyKey,
  refundByIdempotencyKeyQuery,
  setRefundStatus,
} from "../db/refunds";
import { resolveRefund } from "../domain/outcome";
import { decideRefund } from "../domain/payment-state";
import { ApiError } from "../errors";
import { newId, noSuchMessage } from "../lib/ids";
import { log } from "../lib/log";
import type { Metadata } from "../lib/params";
import { callProcessor } from "../processor/connector";
import type { PaymentDeps } from "./deps";
import { loadIntent, mutate, refuse, stateOf } from "./intents";
import { type RefundNames, refundableCharge, refundTarget } from "./refund-target";

/** Reasons a merchant may give for a refund. */
export const REFUND_REASONS = ["duplicate", "fraudulent", "requested_by_customer"] as const;

/** What a merchant asks for: the intent or its charge (or both, agreeing), and how much. */
export interface RefundInput extends RefundNames {
  amount?: number;
  reason?: string;
  metadata?: Metadata;
}

/**
 * Creates a refund and runs it; a retry with the same idempotency key returns (and resumes) the
 * first refund. The reservation is one guarded batch (`refundGuard` mirrors `decideRefund`) that
 * inserts the refund with the amount, charge and currency of the intent as the batch sees it; when
 * the guard does not hold, or the key was used, the intent (or the first refund) is read first.
 */
export async function createRefund(deps: PaymentDeps, merchantId: string, input: RefundInput, idempotencyKey?: string) {
  if (guardable(input.amount)) {
    const reserved = await reserveRefund(deps, merchantId, input, idempotencyKey).catch((err: unknown) => {
      if (idempotencyKey && isUniqueViolation(err, "refunds")) return undefined;
      throw err;
    });
    if (reserved) return runRefund(deps, reserved.refund, reserved.intent);
  }
  return createRefundRead(deps, merchantId, input, idempotencyKey);
}

/** The fields of a new pending refund that come from the request (the intent's fill the rest). */
function pendingRefund(
  id: string,
  merchantId: string,
  input: RefundInput,
  idempotencyKey: string | undefined,
  created: number,
) {
  return {
    id,
    merchantId,
    status: "pending",
    reason: input.reason ?? null,
    metadata: JSON.stringify(input.metadata ?? {}),
    failureReason: null,
    failureBalanceTransaction: null,
    idempotencyKey: idempotencyKey ?? null,
    created,
  } as const;
}

/** The guarded claim of a refund (`refundGuard` mirrors `decideRefund`), which reserves its amount. */
const REFUND_CLAIM: ClaimShape = {
  key: "refund",
  kind: "refund_started",
  amount: refundAmount,
  guard: refundGuard,
  patch: refundReservation,
};

/**
 * The guarded claim of a refund named by its charge: the intent is the charge's (`chargeIntent`),
 * and the guard also holds the charge to be the intent's latest and the intent to be the one named.
 */
const CHARGE_REFUND_CLAIM: ClaimShape = {
  ...REFUND_CLAIM,
  key: "refund:charge",
  guard: chargeRefundGuard,
  intent: chargeIntent,
};

/** The guarded reservation batch of `createRefund`; undefined when the guard does not hold (nothing written). */
async function reserveRefund(deps: PaymentDeps, merchantId: string, input: RefundInput, idempotencyKey?: string) {
  const db = deps.db;
  const id = newId("re");
  const created = deps.now();
  const byCharge = input.charge !== undefined;
  const values = {
    ...guardValues(input.amount),
    ...(byCharge && { charge: input.charge, paymentIntent: input.paymentIntent ?? null }),
  };
  const refund = insertRefundOf(
    db,
    { ...pendingRefund(id, merchantId, input, idempotencyKey, created), paymentIntentId: input.paymentIntent ?? "" },
    { key: "refund", sql: refundAmount, values },
    byCharge ? { key: "charge", sql: chargeIntent } : undefined,
  );
  const ledger = [
    ...postMovementOf(db, { merchantId, sourceId: id, created }, "refund_reserve", refund),
    ...refundBalanceStatements(db, { merchantId, created }, id),
  ];
  const target = { merchantId, id: input.paymentIntent ?? "" };
  const events = refundEvents(deps, [[{ id, merchantId }, "created", created]]);
  const shape = byCharge ? CHARGE_REFUND_CLAIM : REFUND_CLAIM;
  const claimed = await claimWhere(db, target, shape, created, values, [refund.insert, ...ledger, ...events]);
  if (!claimed) return undefined;
  const [rows] = claimed.extra as [RefundRow[]];
  const row = rows[0];
  if (!row) throw new Error("reserveRefund: the refund was not returned");
  return { refund: row, intent: claimed.row };
}

/** `createRefund` reading the intent (and the refund a retry would find) first. */
async function createRefundRead(deps: PaymentDeps, merchantId: string, input: RefundInput, idempotencyKey?: string) {
  const db = deps.db;
  let current: IntentRow;
  if (idempotencyKey) {
    // One round trip: the refund a retry would find, and the intent (and charge) a first attempt needs.
    const [seen, found] = await db.batch([
      refundByIdempotencyKeyQuery(db, merchantId, idempotencyKey),
      refundTargetQuery(db, merchantId, input),
    ]);
    if (seen[0]) return runRefund(deps, seen[0]);
    current = refundTarget(input, found[0]);
  } else {
    current = refundTarget(input, await refundTargetQuery(db, merchantId, input).get());
  }
  let refund: RefundRow | undefined;
  let reserved: IntentRow;
  try {
    reserved = await mutate(
      deps,
      merchantId,
      current.id,
      (row) => {
        if (input.charge !== undefined) refundableCharge({ id: input.charge, status: "succeeded" }, row);
        const d = decideRefund(stateOf(row), input.amount);
        if (!d.ok) refuse(d, row.currency);
        refund = {
          ...pendingRefund(newId("re"), merchantId, input, idempotencyKey, deps.now()),
          paymentIntentId: row.id,
          charge: row.latestCharge ?? "",
          amount: d.amount,
          currency: row.currency,
        };
        return {
          kind: "refund_started",
          amount: d.amount,
          patch: { amountRefunded: row.amountRefunded + d.amount },
          ledger: { movement: { kind: "refund_reserve", amount: d.amount }, sourceId: refund.id },
          extra: [
            insertRefund(db, refund),
            ...refundBalanceStatements(db, { merchantId, created: refund.created }, refund.id),
            ...refundEvents(deps, [[refund, "created", refund.created]]),
          ],
        };
      },
      current,
    );
  } catch (err) {
    if (!idempotencyKey || !isUniqueViolation(err, "refunds")) throw err;
    const seen = await refundByIdempotencyKey(db, merchantId, idempotencyKey);
    if (!seen) throw err;
    return runRefund(deps, seen);
  }
  if (!refund) throw new Error("refund not built");
  return runRefund(deps, refund, reserved);
}

/**
 * Calls the processor for a pending refund and records its outcome; returns the refund as it
 * stands. Never throws once the refund exists: a failure to finish leaves it `pending` (logged),
 * and the sweep finishes it with the same key. `intent` saves a read when the caller has it.
 */
export async function runRefund(deps: PaymentDeps, refund: RefundRow, intent?: IntentRow): Promise<RefundRow> {
  if (refund.status !== "pending") return refund;
  try {
    const held = intent ?? (await loadIntent(deps, refund.merchantId, refund.paymentIntentId));
    // The connector that authorized the payment refunds it.
    const processor = deps.processor(undefined, held.connector ?? undefined);
    const outcome = await callProcessor("refund", refund.amount, () =>
      processor.refund({
        key: refund.id,
        reference: held.processorReference ?? "",
        amount: refund.amount,
        merchantId: refund.merchantId,
        currency: refund.currency,
      }),
    );
    const r = resolveRefund(refund.amount, outcome);
    if (!r) return refund;
    const at = { merchantId: refund.merchantId, currency: refund.currency, sourceId: refund.id, created: deps.now() };
    if (r.status === "succeeded") {
      // Nothing on the intent changes (the amount was reserved): one batch, guarded by the refund's
      // status and by the ledger's (source, kind) uniqueness, which refuses a second booking.
      await deps.db.batch([
        setRefundStatus(deps.db, refund.id, "succeeded"),
        ...postMovement(deps.db, at, r.movement),
        ...refundEvents(deps, [
          [refund, "updated", at.created, { status: "pending" }],
          [refund, "charge.refunded", at.created],
        ]),
      ]);
      return { ...refund, status: "succeeded" };
    }
    // Failed: give the reservation back on the intent and in the ledger, in one batch.
    const failureBt = newId("txn");
    await mutate(
      deps,
      refund.merchantId,
      refund.paymentIntentId,
      async (row) => {
        if (row.version !== held.version || intent === undefined) {
          const now = await getRefund(deps.db, refund.merchantId, refund.id);
          if (now?.status !== "pending") throw new AlreadyFinished();
        }
        return {
          kind: "refund_failed",
          amount: refund.amount,
          patch: { amountRefunded: row.amountRefunded - refund.amount },
          ledger: { movement: r.movement, sourceId: refund.id },
          extra: [
            setRefundStatus(deps.db, refund.id, "failed", r.failureReason, failureBt),
            ...refundFailureBalanceStatements(deps.db, at, refund.id, failureBt),
            ...refundEvents(deps, [
              [refund, "updated", at.created, { status: "pending", failure_reason: null }],
              [refund, "failed", at.created],
            ]),
          ],
        };
      },
      held,
    );
    return { ...refund, status: "failed", failureReason: r.failureReason, failureBalanceTransaction: failureBt };
  } catch (err) {
    if (!(err instanceof AlreadyFinished)) {
      log("warn", "refund_unfinished", { refund: refund.id, error: err instanceof Error ? err.name : "unknown" });
    }
    return (await getRefund(deps.db, refund.merchantId, refund.id).catch(() => undefined)) ?? refund;
  }
}

/** The merchant's refund, or a 404. */
export async function loadRefund(deps: PaymentDeps, merchantId: string, id: string): Promise<RefundRow> {
  const row = await getRefund(deps.db, merchantId, id);
  if (!row) throw new ApiError("resource_missing", noSuchMessage("refund", id, "re"));
  return row;
}

class AlreadyFinished extends Error {}

/** One event of a refund's change: the refund, its type, when, and its previous attributes on `updated`. */
type RefundEvent = [
  refund: Pick<RefundRow, "id" | "merchantId"> & Partial<Pick<RefundRow, "charge">>,
  type: "created" | "updated" | "failed" | "charge.refunded",
  created: number,
  previous?: Record<string, unknown>,
];

/**
 * The event insert of a refund's change, for the batch that makes it (after the refund's own
 * statements): `refund.<type>` about the refund, or `charge.refunded` about the refunded charge
 * (with its intent's money columns as the batch leaves them).
 */
function refundEvents(deps: PaymentDeps, list: RefundEvent[]) {
  return eventInserts(
    deps.db,
    list.map(([refund, type, created, previous]): EventSpec => {
      const charge = type === "charge.refunded";
      return {
        id: newId("evt"),
        merchantId: refund.merchantId,
        type: charge ? type : `refund.${type}`,
        objectType: charge ? "charge" : "refund",
        objectId: charge ? (refund.charge ?? "") : refund.id,
        created,
        previous,
        origin: deps.origin,
      };
    }),
  );
}

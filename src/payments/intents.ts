/**
 * The PaymentIntent flow: decisions come from domain/payment-state.ts, every write is one
 * compare-and-swap batch (db/payment-intents.ts), and every processor call runs as a *pending
 * operation*: the intent is first moved to `processing` with the call's processor-side idempotency
 * key (claim), then the processor is called, then the outcome is recorded (finish).
 *
 * Why this shape: only the request whose claim wins the compare-and-swap calls the processor, so
 * two racing captures cannot both capture; and if the outcome is unknown (timeout, bad answer,
 * Worker crash) the intent stays `processing` with the key, and any later confirm/capture/cancel or
 * the scheduled sweep repeats the *same* call with the *same* key. The processor answers a repeated
 * key with its first answer, so nothing is charged twice and no authorization is lost.
 */
import { getDb } from "../db/client";
import { changeIntent, getIntent, type IntentChange, type IntentRow, nowSeconds } from "../db/payment-intents";
import type { Currency } from "../domain/currencies";
import type { Movement } from "../domain/ledger";
import { amountMessage } from "../domain/money";
import type { IntentState, PendingOp, Refusal } from "../domain/payment-state";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { callProcessor } from "../processor/connector";
import { processorFor } from "../processor/index";
import { forgetCvc, forgetCvcStatement, type PaymentMethodRow } from "../vault";
import type { LastPaymentError } from "./serialize";

/** Read-model of a row for the state machine. */
export function stateOf(row: IntentRow): IntentState {
  return {
    status: row.status as IntentState["status"],
    amount: row.amount,
    currency: row.currency as Currency,
    captureMethod: row.captureMethod as IntentState["captureMethod"],
    paymentMethod: row.paymentMethod,
    amountCapturable: row.amountCapturable,
    amountReceived: row.amountReceived,
    amountRefunded: row.amountRefunded,
    pendingOp: row.pendingOp ? (JSON.parse(row.pendingOp) as PendingOp) : null,
  };
}

/** The merchant's intent, or the 404 every foreign or unknown id gets. */
export async function loadIntent(env: Env, merchantId: string, id: string, param?: string): Promise<IntentRow> {
  return (await getIntent(getDb(env), merchantId, id)) ?? noSuchIntent(id, param);
}

/** Throws the 404 every foreign or unknown intent id gets. */
export function noSuchIntent(id: string, param?: string): never {
  throw new ApiError("resource_missing", `No such payment_intent: '${id}'`, param ? { param } : {});
}

/** Throws the ApiError for a refused decision. */
export function refuse(d: Refusal, currency: string): never {
  switch (d.code) {
    case "amount_too_small":
    case "amount_too_large":
    case "parameter_invalid":
      throw new ApiError(d.code, amountMessage(d, currency), { param: d.param });
    case "parameter_missing":
      throw new ApiError(d.code, d.message, { param: d.param });
    default:
      throw new ApiError(d.code, d.message);
  }
}

/**
 * Applies a change decided on a fresh read, retrying the read-decide-write cycle when another
 * writer moved the intent first. `decide` returns the change, or throws an ApiError. `known` is a
 * row this request already read or wrote: the first attempt decides on it instead of reading again
 * (safe, since the write is a compare-and-swap on its version; a stale row just costs a retry).
 */
export async function mutate(
  env: Env,
  merchantId: string,
  id: string,
  decide: (row: IntentRow) => Promise<IntentChange> | IntentChange,
  known?: IntentRow,
): Promise<IntentRow> {
  const db = getDb(env);
  for (let attempt = 0; attempt < 5; attempt++) {
    const row = attempt === 0 && known ? known : await loadIntent(env, merchantId, id);
    const changed = await changeIntent(db, row, await decide(row));
    if (changed) return changed;
  }
  throw new ApiError("service_unavailable", "The PaymentIntent is changing concurrently; retry the request.");
}

/** Moves the intent into `processing` with a new pending operation (the claim). */
export function claim(row: IntentRow, kind: PendingOp["kind"], amount: number, patch: IntentChange["patch"] = {}) {
  // One key per attempt, derived from the intent and the version the claim creates: stable across retries.
  const op: PendingOp = { kind, key: `${row.id}_${kind}_${row.version + 1}`, amount };
  return { kind: `${kind}_started`, amount, patch: { ...patch, status: "processing", pendingOp: JSON.stringify(op) } };
}

/**
 * Executes the pending operation of a `processing` intent and records its outcome; returns the
 * intent as it now stands (still `processing` if the outcome is unknown). A decline is recorded and
 * then thrown as a 402 card_error. `claimed` is the payment method's record if this request just
 * claimed it (saves the vault a read).
 */
export async function runPending(env: Env, row: IntentRow, claimed?: PaymentMethodRow): Promise<IntentRow> {
  const op = stateOf(row).pendingOp;
  if (row.status !== "processing" || !op) return row;
  const processor = processorFor(env, claimed);
  const reference = row.processorReference ?? "";
  const outcome =
    op.kind === "authorize"
      ? await callProcessor("authorize", op.amount, () =>
          processor.authorize({
            key: op.key,
            merchantId: row.merchantId,
            paymentMethod: row.paymentMethod ?? "",
            amount: op.amount,
            currency: row.currency,
            statementDescriptor: row.statementDescriptor,
          }),
        )
      : await callProcessor(op.kind, op.amount, () => {
          const req = { key: op.key, reference, amount: op.amount };
          return op.kind === "capture" ? processor.capture(req) : processor.void(req);
        });
  // PCI DSS 3.3: the CVC may not outlive the first authorization attempt. It goes in the batch that
  // records the outcome, or on its own right now when there is no outcome to record (see `finish`).
  const cvcOf = op.kind === "authorize" ? row.paymentMethod : null;
  if (outcome.kind === "unknown") {
    if (cvcOf) await forgetCvc(env, row.merchantId, cvcOf).catch(() => undefined);
    return row;
  }
  const now = nowSeconds();
  let change: IntentChange;
  if (outcome.kind === "declined") {
    const error: LastPaymentError = {
      type: "card_error",
      code: outcome.code,
      decline_code: outcome.declineCode,
      message: declineMessage(outcome.declineCode),
      payment_method: row.paymentMethod ? { id: row.paymentMethod } : null,
    };
    const declined = await finish(env, row, cvcOf, {
      kind: "declined",
      patch: {
        status: "requires_payment_method",
        paymentMethod: null,
        pendingOp: null,
        lastPaymentError: JSON.stringify(error),
      },
    });
    throw new ApiError(outcome.code, error.message, {
      declineCode: outcome.declineCode,
      extra: { payment_intent: { id: declined.id, status: declined.status } },
    });
  }
  if (op.kind === "authorize") {
    const authorized = { kind: "authorize", amount: op.amount } satisfies Movement;
    const base = {
      amountCapturable: op.amount,
      processorReference: outcome.reference,
      latestCharge: newId("ch"),
      authorizedAt: now,
      lastPaymentError: null,
    };
    if (row.captureMethod === "manual") {
      change = {
        kind: "authorized",
        amount: op.amount,
        patch: { ...base, status: "requires_capture", pendingOp: null },
      };
      change.ledger = { movement: authorized, sourceId: row.id };
      return finish(env, row, cvcOf, change);
    }
    const next = claim({ ...row, ...base }, "capture", op.amount, base);
    const capturing = await finish(env, row, cvcOf, { ...next, ledger: { movement: authorized, sourceId: row.id } });
    return capturing.status === "processing" ? runPending(env, capturing) : capturing;
  }
  if (op.kind === "capture") {
    change = {
      kind: "captured",
      amount: op.amount,
      patch: { status: "succeeded", amountCapturable: 0, amountReceived: op.amount, pendingOp: null },
      ledger: {
        movement: { kind: "capture", authorized: row.amountCapturable, captured: op.amount },
        sourceId: row.id,
      },
    };
  } else {
    change = {
      kind: "voided",
      amount: op.amount,
      patch: { status: "canceled", amountCapturable: 0, canceledAt: now, pendingOp: null },
      ledger: { movement: { kind: "release", amount: row.amountCapturable }, sourceId: row.id },
    };
  }
  return finish(env, row, null, change);
}

/**
 * Records an outcome; if another request recorded it first (same key, same answer), returns theirs.
 * `cvcOf` names the payment method whose CVC goes in the same batch; if the batch does not land,
 * the CVC is discarded on its own, so it is gone after the attempt either way.
 */
async function finish(env: Env, row: IntentRow, cvcOf: string | null, change: IntentChange): Promise<IntentRow> {
  const forget = cvcOf ? [forgetCvcStatement(env, row.merchantId, cvcOf)] : [];
  const forgetAlone = () => (cvcOf ? forgetCvc(env, row.merchantId, cvcOf).catch(() => undefined) : undefined);
  const done = await changeIntent(getDb(env), row, { ...change, extra: [...(change.extra ?? []), ...forget] }).catch(
    async (err) => {
      await forgetAlone();
      throw err;
    },
  );
  if (done) return done;
  await forgetAlone();
  return loadIntent(env, row.merchantId, row.id);
}

function declineMessage(declineCode: string): string {
  switch (declineCode) {
    case "insufficient_funds":
      return "Your card has insufficient funds.";
    case "expired_card":
      return "Your card has expired.";
    case "incorrect_cvc":
      return "Your card's security code is incorrect.";
    case "processing_error":
      return "An error occurred while processing your card. Try again in a little bit.";
    case "incorrect_number":
      return "Your card number is incorrect.";
    default:
      return "Your card was declined.";
  }
}

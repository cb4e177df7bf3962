/**
 * Payouts the merchant asks for through the API: create a manual payout (one guarded batch: the
 * available balance must cover it, checked by the insert itself), retrieve one, and cancel one
 * while it is `pending` (a compare-and-swap batch that returns its funds). Automatic payouts and the
 * lifecycle are the cron's (run.ts). See docs/payouts.md.
 */
import { createManualPayout, movePayout } from "../db/payout-batches";
import { getPayout, type PayoutRow, payoutByIdempotencyKey } from "../db/payouts";
import { getSettlementSettings } from "../db/settlement-settings";
import { manualArrival } from "../domain/payouts";
import { ApiError } from "../errors";
import { noSuchMessage } from "../lib/ids";
import type { Metadata } from "../lib/params";
import type { PaymentDeps } from "../payments/deps";

/** What payouts need from a request: the merchant's database, the clock and the events' origin. */
export type PayoutDeps = Pick<PaymentDeps, "db" | "now" | "origin">;

/** A manual payout as asked for (validated). */
export interface PayoutInput {
  amount: number;
  currency: string;
  description?: string;
  statementDescriptor?: string;
  metadata?: Metadata;
}

/**
 * Creates a manual payout of `input.amount` from the available balance, expected in the bank the
 * next day; a retry with the same Idempotency-Key returns the first payout. 400
 * `balance_insufficient` (nothing written) when the available balance does not cover it, 400
 * `bank_account_unusable` when the merchant has no bank account.
 */
export async function createPayout(
  deps: PayoutDeps,
  merchantId: string,
  input: PayoutInput,
  idempotencyKey?: string,
): Promise<PayoutRow> {
  const created = deps.now();
  const terms = await getSettlementSettings(deps.db, merchantId, created);
  if (terms.bankLast4 === null) {
    throw new ApiError("bank_account_unusable", "This account has no bank account to pay out to.");
  }
  const outcome = await createManualPayout(
    deps.db,
    {
      merchantId,
      amount: input.amount,
      currency: input.currency,
      description: input.description ?? null,
      statementDescriptor: input.statementDescriptor ?? null,
      metadata: JSON.stringify(input.metadata ?? {}),
      bankLast4: terms.bankLast4,
      arrivalDate: manualArrival(created),
      idempotencyKey: idempotencyKey ?? null,
      created,
    },
    deps.origin,
  );
  if (outcome.ok) return outcome.payout;
  switch (outcome.reason) {
    case "balance_insufficient":
      throw new ApiError("balance_insufficient", "You have insufficient funds in your available balance.", {
        param: "amount",
      });
    case "idempotency_key_used": {
      const first = idempotencyKey ? await payoutByIdempotencyKey(deps.db, merchantId, idempotencyKey) : undefined;
      if (!first) throw new Error("createPayout: the key's payout is gone");
      return first;
    }
  }
}

/** The merchant's payout, or a 404. */
export async function loadPayout(deps: PayoutDeps, merchantId: string, id: string): Promise<PayoutRow> {
  const row = await getPayout(deps.db, merchantId, id);
  if (!row) throw new ApiError("resource_missing", noSuchMessage("payout", id, "po"), { param: "id" });
  return row;
}

/**
 * Cancels the merchant's manual payout while it is `pending` (not yet sent to the bank): its funds
 * go back to the available balance (a `payout_cancel` balance transaction and ledger movement).
 * 400 `payout_unexpected_state` once it was sent, or for an automatic payout (as Stripe's).
 */
export async function cancelPayout(deps: PayoutDeps, merchantId: string, id: string): Promise<PayoutRow> {
  const row = await loadPayout(deps, merchantId, id);
  if (row.status === "pending" && row.automatic === 0) {
    if (await movePayout(deps.db, row, { to: "canceled" }, deps.now(), deps.origin)) {
      return loadPayout(deps, merchantId, id);
    }
  }
  const now = await loadPayout(deps, merchantId, id);
  throw new ApiError(
    "payout_unexpected_state",
    now.automatic === 1
      ? "Automatic payouts cannot be canceled."
      : `Only a pending payout can be canceled; this one is ${now.status}.`,
  );
}

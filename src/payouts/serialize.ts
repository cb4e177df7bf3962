/** The Payout object as the API returns it and events carry it (Stripe's shape), from a payouts row. */
import { balanceTransactionOf } from "../db/balance-transactions";
import type { PayoutRow } from "../db/payouts";

/** A payouts row as Stripe's Payout object. */
export function payoutJson(row: PayoutRow, livemode: boolean) {
  return {
    id: row.id,
    object: "payout" as const,
    amount: row.amount,
    arrival_date: row.arrivalDate,
    automatic: row.automatic === 1,
    balance_transaction: balanceTransactionOf(row.id),
    created: row.created,
    currency: row.currency,
    description: row.description,
    destination: null,
    failure_balance_transaction: row.failureBalanceTransaction,
    failure_code: row.failureCode,
    failure_message: row.failureMessage,
    livemode,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    method: "standard" as const,
    reconciliation_status: row.automatic === 1 ? ("completed" as const) : ("not_applicable" as const),
    source_type: "card" as const,
    statement_descriptor: row.statementDescriptor,
    status: row.status,
    type: "bank_account" as const,
    /** edgepay extension: the last 4 digits of the bank account it was sent to. */
    bank_last4: row.bankLast4,
  };
}

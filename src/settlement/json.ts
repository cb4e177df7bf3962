/**
 * The BalanceTransaction object (Stripe's shape) of a balance_transactions row. `fee_details` has
 * one entry, the gateway's fee, when there is a fee; `exchange_rate` is null (edgepay settles in the
 * currency it charged).
 */
import type { BalanceTransactionRow } from "../db/balance-transactions";

/** Stripe's description of the gateway's fee in `fee_details`. */
export const FEE_DESCRIPTION = "edgepay processing fees";

/** The BalanceTransaction object. */
export function balanceTransactionJson(row: BalanceTransactionRow) {
  return {
    id: row.id,
    object: "balance_transaction" as const,
    amount: row.amount,
    available_on: row.availableOn,
    created: row.created,
    currency: row.currency,
    description: row.description,
    exchange_rate: null,
    fee: row.fee,
    fee_details:
      row.fee === 0
        ? []
        : [
            {
              amount: row.fee,
              application: null,
              currency: row.currency,
              description: FEE_DESCRIPTION,
              type: "stripe_fee" as const,
            },
          ],
    net: row.net,
    reporting_category: row.reportingCategory,
    source: row.source,
    status: row.status,
    type: row.type,
  };
}

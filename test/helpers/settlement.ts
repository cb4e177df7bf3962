/**
 * Helpers for settlement tests: set a merchant's terms through the operator API, run settlement as
 * of a time, and check that the ledger's balances match the balance transactions exactly.
 */
import { and, eq, sql } from "drizzle-orm";
import { balanceTransactions, ledgerBalances } from "../../src/db/schema";
import { operator } from "./merchants";
import { dbOf } from "./shards";

/** Sets the merchant's settlement terms (operator API); returns the terms object. */
export function setTerms(merchantId: string, terms: Record<string, unknown>) {
  return operator<Record<string, unknown>>(`/admin/v1/merchants/${merchantId}/settlement`, terms);
}

/** Runs settlement on every shard as of `asOf` (operator API); returns the run's report. */
export function settleAsOf(asOf: number) {
  return operator<{ settled: number; already_run: number; failed: number; truncated: boolean; cutoff: number }>(
    "/admin/v1/settlement/runs",
    { as_of: asOf },
  );
}

/** The merchant's balance transactions, oldest first. */
export async function balanceTransactionsOf(merchantId: string) {
  const db = await dbOf(merchantId);
  return db
    .select()
    .from(balanceTransactions)
    .where(eq(balanceTransactions.merchantId, merchantId))
    .orderBy(balanceTransactions.created, balanceTransactions.id)
    .all();
}

/**
 * Where the ledger and the balance transactions disagree (must be empty): per currency, the
 * ledger's pending and available balances against the nets of pending and available balance
 * transactions, and each transaction's net against its amount less its fee.
 */
export async function settlementProblems(merchantId: string): Promise<string[]> {
  const db = await dbOf(merchantId);
  const problems: string[] = [];
  const rows = await balanceTransactionsOf(merchantId);
  const sums = new Map<string, number>();
  for (const r of rows) {
    if (r.net !== r.amount - r.fee) problems.push(`net ${r.id}`);
    if (!Number.isSafeInteger(r.amount) || !Number.isSafeInteger(r.fee)) problems.push(`not integer ${r.id}`);
    const key = `${r.currency}/${r.status}`;
    sums.set(key, (sums.get(key) ?? 0) + r.net);
  }
  const ledger = await db
    .select({ currency: ledgerBalances.currency, account: ledgerBalances.account, balance: ledgerBalances.balance })
    .from(ledgerBalances)
    .where(
      and(
        eq(ledgerBalances.merchantId, merchantId),
        sql`${ledgerBalances.account} in ('pending_balance', 'available_balance')`,
      ),
    )
    .all();
  const currencies = new Set([...rows.map((r) => r.currency), ...ledger.map((l) => l.currency)]);
  for (const currency of currencies) {
    for (const [status, account] of [
      ["pending", "pending_balance"],
      ["available", "available_balance"],
    ] as const) {
      const booked = ledger.find((l) => l.currency === currency && l.account === account)?.balance ?? 0;
      const listed = sums.get(`${currency}/${status}`) ?? 0;
      if (booked !== listed) problems.push(`${currency} ${account} ${booked} ≠ ${status} transactions ${listed}`);
    }
  }
  return problems;
}

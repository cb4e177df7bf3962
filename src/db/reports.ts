/**
 * The reads of the reports (src/routes/reporting.ts): the balance transactions an automatic payout
 * paid out, and a merchant's available balance over a period from its balance transactions, each
 * counted at its `available_on` (when it reached or left the available balance).
 */
import { and, asc, eq, gte, lt, ne, sql } from "drizzle-orm";
import { balanceTransactionOf } from "./balance-transactions";
import type { Db } from "./client";
import { balanceTransactions } from "./schema";

const bt = balanceTransactions;

/** The balance transactions payout `payoutId` contains, oldest first, without its own `payout` one. */
export function payoutContents(db: Db, merchantId: string, payoutId: string) {
  return db
    .select()
    .from(bt)
    .where(and(eq(bt.merchantId, merchantId), eq(bt.payout, payoutId), ne(bt.id, balanceTransactionOf(payoutId))))
    .orderBy(asc(bt.created), asc(bt.id))
    .all();
}

/** The reporting categories of money leaving for, or coming back from, the bank. */
export const PAYOUT_CATEGORIES = ["payout", "payout_reversal"] as const;

/** One line of the balance over a period, per currency. */
export interface BalanceLine {
  currency: string;
  reportingCategory: string | null;
  /** `before`: available before the period; `during`: in the period (by category). */
  when: "before" | "during";
  count: number;
  net: number;
}

/**
 * The merchant's available balance transactions summed per currency: before `from` (the opening
 * balance), and from `from` to before `to` per reporting category (by `available_on`).
 */
export async function balanceLines(db: Db, merchantId: string, from: number, to: number): Promise<BalanceLine[]> {
  const available = and(eq(bt.merchantId, merchantId), eq(bt.status, "available"));
  const [before, during] = await db.batch([
    db
      .select({ currency: bt.currency, count: sql<number>`count(*)`, net: sql<number>`sum(${bt.net})` })
      .from(bt)
      .where(and(available, lt(bt.availableOn, from)))
      .groupBy(bt.currency),
    db
      .select({
        currency: bt.currency,
        reportingCategory: bt.reportingCategory,
        count: sql<number>`count(*)`,
        net: sql<number>`sum(${bt.net})`,
      })
      .from(bt)
      .where(and(available, gte(bt.availableOn, from), lt(bt.availableOn, to)))
      .groupBy(bt.currency, bt.reportingCategory)
      .orderBy(bt.currency, bt.reportingCategory),
  ]);
  return [
    ...before.map((r) => ({
      ...r,
      reportingCategory: null,
      when: "before" as const,
      count: Number(r.count),
      net: Number(r.net),
    })),
    ...during.map((r) => ({ ...r, when: "during" as const, count: Number(r.count), net: Number(r.net) })),
  ];
}

/**
 * The reports as CSV documents: an automatic payout's reconciliation (the balance transactions it
 * paid out, whose net sums to its amount to the unit) and the available balance over a period
 * (opening balance, activity by reporting category, payouts, closing balance, per currency).
 * Amounts are integers in minor units; times are UTC (csv.ts). See docs/payouts.md.
 */
import type { Db } from "../db/client";
import { getPayout } from "../db/payouts";
import { balanceLines, PAYOUT_CATEGORIES, payoutContents } from "../db/reports";
import { ApiError } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { csvTime, toCsv } from "./csv";

/** The columns of the payout reconciliation report (after Stripe's). */
export const RECONCILIATION_COLUMNS = [
  "automatic_payout_id",
  "automatic_payout_effective_at",
  "balance_transaction_id",
  "created",
  "available_on",
  "currency",
  "gross",
  "fee",
  "net",
  "reporting_category",
  "source_id",
  "description",
] as const;

/**
 * The reconciliation CSV of the merchant's automatic payout `payoutId`: one line per balance
 * transaction it paid out (not its own), oldest first. 404 for a payout the merchant does not
 * have, 400 for a manual one (it contains no balance transactions).
 */
export async function payoutReconciliationCsv(db: Db, merchantId: string, payoutId: string): Promise<string> {
  const payout = await getPayout(db, merchantId, payoutId);
  if (!payout) throw new ApiError("resource_missing", noSuchMessage("payout", payoutId, "po"), { param: "payout" });
  if (payout.automatic !== 1) {
    throw new ApiError("parameter_invalid", "Only automatic payouts can be reconciled.", { param: "payout" });
  }
  const rows = await payoutContents(db, merchantId, payoutId);
  return toCsv(
    RECONCILIATION_COLUMNS,
    rows.map((t) => [
      payout.id,
      csvTime(payout.arrivalDate),
      t.id,
      csvTime(t.created),
      csvTime(t.availableOn),
      t.currency,
      t.amount,
      t.fee,
      t.net,
      t.reportingCategory,
      t.source,
      t.description,
    ]),
  );
}

/** The columns of the balance report. */
export const BALANCE_COLUMNS = ["currency", "section", "reporting_category", "count", "net"] as const;

/**
 * The balance CSV of the merchant from `from` to before `to` (unix seconds), per currency: its
 * `starting_balance`, one `activity` line per reporting category, one `payouts` line per payout
 * category (payout, payout_reversal), and its `ending_balance` (the sum of the lines above).
 */
export async function balanceCsv(db: Db, merchantId: string, from: number, to: number): Promise<string> {
  const lines = await balanceLines(db, merchantId, from, to);
  const currencies = [...new Set(lines.map((l) => l.currency))].sort();
  const rows: (string | number | null)[][] = [];
  const payoutCategory = (c: string | null) => (PAYOUT_CATEGORIES as readonly (string | null)[]).includes(c);
  for (const currency of currencies) {
    const mine = lines.filter((l) => l.currency === currency);
    const opening = mine.find((l) => l.when === "before")?.net ?? 0;
    const during = mine.filter((l) => l.when === "during");
    rows.push([currency, "starting_balance", null, null, opening]);
    for (const l of during.filter((d) => !payoutCategory(d.reportingCategory))) {
      rows.push([currency, "activity", l.reportingCategory, l.count, l.net]);
    }
    for (const l of during.filter((d) => payoutCategory(d.reportingCategory))) {
      rows.push([currency, "payouts", l.reportingCategory, l.count, l.net]);
    }
    rows.push([currency, "ending_balance", null, null, opening + during.reduce((s, l) => s + l.net, 0)]);
  }
  return toCsv(BALANCE_COLUMNS, rows);
}

/**
 * The settlement run: on one shard, every merchant's pending funds that are due at the latest
 * cut-off (00:00 UTC) become available, one batch per (merchant, currency) keyed by the cut-off
 * date (db/settlement.ts), in bounded pages within a time budget. Running it again, concurrently,
 * or after a crash half-way settles nothing twice; a run cut short by its budget is finished by the
 * next one (every 15 minutes from the cron, or `POST /admin/v1/settlement/runs`).
 */
import type { Db } from "../db/client";
import type { EventOrigin } from "../db/events";
import { dueForSettlement, runSettlement, settlementKey } from "../db/settlement";
import { DAY, dayOf } from "../domain/fees";
import { log } from "../lib/log";

/** What one shard's settlement run did. */
export interface SettlementReport {
  /** (merchant, currency) pairs this run made available. */
  settled: number;
  /** Pairs whose key had already run (left for the next cut-off). */
  alreadyRun: number;
  /** Pairs that failed (logged); the next run retries them. */
  failed: number;
  /** True when the budget ran out with pairs left. */
  truncated: boolean;
}

/** Options of a run: merchants to leave out, page size, time budget (ms), the clock (ms) and the origin of its events. */
export interface SettlementOptions {
  skip?: readonly string[];
  page?: number;
  budgetMs?: number;
  clock?: () => number;
  origin?: EventOrigin | null;
}

/** The latest cut-off at or before `asOf` (unix seconds): 00:00 UTC of its day. */
export function cutoffOf(asOf: number): number {
  return Math.floor(asOf / DAY) * DAY;
}

/** Settles, on shard `db`, everything due at the latest cut-off at or before `asOf` (unix seconds). */
export async function settleShard(db: Db, asOf: number, options: SettlementOptions = {}): Promise<SettlementReport> {
  const { page = 100, budgetMs = 10_000, clock = Date.now, origin = null } = options;
  const start = clock();
  const cutoff = cutoffOf(asOf);
  const date = dayOf(cutoff);
  const report: SettlementReport = { settled: 0, alreadyRun: 0, failed: 0, truncated: false };
  // Pairs tried in this run are left out of the next page (in SQL), so a pair that cannot settle now
  // (its key already ran, or it failed) neither loops nor hides the pairs after it.
  const skip = options.skip ?? [];
  const tried: string[] = [];
  for (;;) {
    const due = await dueForSettlement(db, cutoff, page, skip, tried);
    if (due.length === 0) return report;
    for (const d of due) {
      if (clock() - start > budgetMs) {
        report.truncated = true;
        return report;
      }
      tried.push(`${d.merchantId}/${d.currency}`);
      try {
        if (await runSettlement(db, d, cutoff, settlementKey(d, date), asOf, origin)) report.settled++;
        else report.alreadyRun++;
      } catch (err) {
        report.failed++;
        log("warn", "settlement_failed", {
          merchant: d.merchantId,
          error: err instanceof Error ? err.name : "unknown",
        });
      }
    }
    if (due.length < page) return report;
  }
}

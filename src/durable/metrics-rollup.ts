/**
 * MetricsRollup: per-minute rollups of request metrics (domain/metrics.ts), the copy of the
 * Analytics Engine data points the gateway can read itself (`GET /admin/v1/metrics`, the dashboard,
 * the alert rules). Typed RPC only; callers go through monitoring/flush.ts and monitoring/query.ts.
 *
 * Addressing: METRICS_ROLLUP_OBJECTS objects named by `rollupName(0)` … `rollupName(n-1)`; each
 * isolate writes to one (chosen at random when it starts) and a query reads them all, so no one
 * object takes every isolate's writes.
 *
 * Storage layout (SQLite): one row per series (minute, merchant, route, status class, outcome,
 * decline code, currency) with its count, amount and two latency histograms (JSON).
 *
 * Bounds: at most MAX_SERIES_PER_MERCHANT_MINUTE rows per merchant per minute per object: a
 * merchant's series past it are folded into its own route `_other` (decline code and currency
 * dropped), so one merchant's traffic never crowds out another's. At most MAX_SERIES_PER_MINUTE rows
 * per minute per object in all: series past it are folded into merchant `_other`, route `_other`.
 * Counts stay exact either way; only the split is lost. Rows older than RETENTION_SECONDS are
 * deleted when a write opens a new minute, so an object holds at most RETENTION_SECONDS / 60 ×
 * MAX_SERIES_PER_MINUTE rows. A query reads rows through the cursor and folds them as it goes, so
 * its memory is bounded by its answer (intervals × series keys), not by the rows it reads.
 */
import { DurableObject } from "cloudflare:workers";
import {
  addMerchantTotals,
  fold,
  type Histogram,
  intervalStart,
  type MerchantTotals,
  mergeSeries,
  OVERFLOW_MERCHANT,
  rekey,
  type Series,
  seriesId,
} from "../domain/metrics";
import type { MetricsWindow } from "../domain/metrics-report";

/** How many rollup objects share the writes. */
export const METRICS_ROLLUP_OBJECTS = 8;
/** How long rollups are kept: 3 days. */
export const RETENTION_SECONDS = 3 * 24 * 3600;
/** Most series one object keeps for one minute. */
export const MAX_SERIES_PER_MINUTE = 2000;
/** Most series one object keeps for one merchant in one minute. */
export const MAX_SERIES_PER_MERCHANT_MINUTE = 200;
/** The merchant and route of series folded past the bounds. */
export const OVERFLOW = OVERFLOW_MERCHANT;

/** The name of rollup object `i` (0 ≤ i < METRICS_ROLLUP_OBJECTS). */
export function rollupName(i: number): string {
  return `rollup-${i}`;
}

/** What one object holds for a window: series keyed by interval start, and per-merchant totals. */
export interface RollupAnswer {
  series: Series[];
  merchants: MerchantTotals[];
}

interface Row extends Record<string, SqlStorageValue> {
  id: string;
  minute: number;
  merchant: string;
  route: string;
  status: string;
  outcome: string;
  decline: string;
  currency: string;
  count: number;
  processor_count: number;
  amount: number;
  latency: string;
  processor: string;
}

function toSeries(r: Row): Series {
  return {
    minute: r.minute,
    merchant: r.merchant,
    route: r.route,
    status: r.status as Series["status"],
    outcome: r.outcome as Series["outcome"],
    decline: r.decline,
    currency: r.currency,
    count: r.count,
    processorCount: r.processor_count,
    amount: r.amount,
    latency: JSON.parse(r.latency) as Histogram,
    processor: JSON.parse(r.processor) as Histogram,
  };
}

/** One shard of the per-minute metrics rollups. */
export class MetricsRollup extends DurableObject<Env> {
  private prunedMinute = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      `CREATE TABLE IF NOT EXISTS series (
        id TEXT PRIMARY KEY, minute INTEGER NOT NULL, merchant TEXT NOT NULL, route TEXT NOT NULL,
        status TEXT NOT NULL, outcome TEXT NOT NULL, decline TEXT NOT NULL, currency TEXT NOT NULL,
        count INTEGER NOT NULL, processor_count INTEGER NOT NULL, amount INTEGER NOT NULL,
        latency TEXT NOT NULL, processor TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS series_minute ON series (minute, merchant);
      CREATE INDEX IF NOT EXISTS series_merchant ON series (merchant, minute)`,
    );
  }

  /** Adds series (each one minute's) into the stored rollups. Synchronous between reads and writes: no update is lost. */
  async record(batch: Series[]): Promise<void> {
    const sql = this.ctx.storage.sql;
    this.prune();
    const counts = new Map<string, number>();
    const rowsOf = (minute: number, merchant: string | null) => {
      const key = `${minute}|${merchant ?? "*"}`;
      let n = counts.get(key);
      if (n === undefined) {
        n =
          merchant === null
            ? sql.exec<{ n: number }>("SELECT count(*) AS n FROM series WHERE minute = ?", minute).one().n
            : sql
                .exec<{ n: number }>(
                  "SELECT count(*) AS n FROM series WHERE minute = ? AND merchant = ?",
                  minute,
                  merchant,
                )
                .one().n;
        counts.set(key, n);
      }
      return n;
    };
    const find = (s: Series) => sql.exec<Row>("SELECT * FROM series WHERE id = ?", seriesId(s)).toArray()[0];
    for (const incoming of fold(batch)) {
      let s = incoming;
      let existing = find(s);
      if (!existing && rowsOf(s.minute, s.merchant) >= MAX_SERIES_PER_MERCHANT_MINUTE) {
        s = rekey(s, { route: OVERFLOW, decline: "", currency: "" });
        existing = find(s);
      }
      if (!existing && rowsOf(s.minute, null) >= MAX_SERIES_PER_MINUTE) {
        s = rekey(s, { merchant: OVERFLOW, route: OVERFLOW, decline: "", currency: "" });
        existing = find(s);
      }
      const merged = existing ? toSeries(existing) : s;
      if (existing) mergeSeries(merged, s);
      else {
        counts.set(`${s.minute}|*`, rowsOf(s.minute, null) + 1);
        counts.set(`${s.minute}|${s.merchant}`, rowsOf(s.minute, s.merchant) + 1);
      }
      sql.exec(
        `INSERT OR REPLACE INTO series (id, minute, merchant, route, status, outcome, decline, currency,
          count, processor_count, amount, latency, processor) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        seriesId(merged),
        merged.minute,
        merged.merchant,
        merged.route,
        merged.status,
        merged.outcome,
        merged.decline,
        merged.currency,
        merged.count,
        merged.processorCount,
        merged.amount,
        JSON.stringify(merged.latency),
        JSON.stringify(merged.processor),
      );
    }
  }

  /**
   * The series of [window.from, window.to) (of one merchant, or all), re-keyed by interval start
   * and, for all merchants, folded across merchants; with per-merchant totals when all are asked.
   */
  async query(window: MetricsWindow): Promise<RollupAnswer> {
    const rows =
      window.merchant === null
        ? this.ctx.storage.sql.exec<Row>(
            "SELECT * FROM series WHERE minute >= ? AND minute < ?",
            window.from,
            window.to,
          )
        : this.ctx.storage.sql.exec<Row>(
            "SELECT * FROM series WHERE merchant = ? AND minute >= ? AND minute < ?",
            window.merchant,
            window.from,
            window.to,
          );
    const merchants = new Map<string, MerchantTotals>();
    const series = new Map<string, Series>();
    for (const row of rows) {
      const s = toSeries(row);
      if (window.merchant === null) addMerchantTotals(merchants, s);
      const keyed = rekey(s, { minute: intervalStart(window, s.minute), merchant: window.merchant ?? "" });
      const id = seriesId(keyed);
      const found = series.get(id);
      if (found) mergeSeries(found, keyed);
      else series.set(id, keyed);
    }
    return { series: [...series.values()], merchants: [...merchants.values()] };
  }

  /** Deletes rows past the retention, at most once per minute. */
  private prune(): void {
    const minute = Math.floor(Date.now() / 60_000) * 60;
    if (minute === this.prunedMinute) return;
    this.prunedMinute = minute;
    this.ctx.storage.sql.exec("DELETE FROM series WHERE minute < ?", minute - RETENTION_SECONDS);
  }
}

/**
 * Reconciliation: matches the processor's daily settlement file (processor/settlement-file.ts),
 * merchant by merchant, against what the gateway booked (its `charge` and `refund` balance
 * transactions) and records each mismatch once in `reconciliation_items`:
 *
 * - `missing`: booked on the day, absent from the file;
 * - `extra`: on the day's file, with no booking;
 * - `amount_differs`: on both, with another amount or currency.
 *
 * Lines and bookings are matched on a key both sides know: a capture's authorization reference
 * (the intent's `processor_reference`; an authorization is captured once), a refund's id (the
 * refund's processor key). The processor dates a line by its own clock when it approves; the
 * gateway dates a booking when it records the answer (a refund: when it is created), so one
 * operation can fall on either side of midnight. Bookings within GRACE_SECONDS of the day are
 * matched too, and a booking near a cut-off is looked for in the neighbouring day's file before
 * it is called missing. A failed refund is not expected on the file; a pending one is.
 *
 * Idempotent: a mismatch found again (a rerun, or the neighbouring day's run) is ignored by the
 * items' unique index. Bounded: the file and bookings are read in pages of PAGE, one merchant at a
 * time, and a run stops between merchants when its time budget is spent, saying where to resume.
 */
import { controlDb, type Db } from "../db/client";
import { merchantsToSkip } from "../db/merchant-move";
import {
  type Booked,
  bookedPage,
  insertItems,
  merchantsOnShard,
  type ReconciliationItemRow,
} from "../db/reconciliation";
import { shardDb } from "../db/shards";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import { matchKeyOf, type ProcessorReports, type SettlementLine } from "../processor/settlement-file";

/** How far outside the day a booking may lie and still match the day's file (clock and retry skew). */
export const GRACE_SECONDS = 3600;
/** Lines, bookings or merchants read per page. */
export const PAGE = 500;
/** A run's default time budget. */
export const RECONCILE_BUDGET_MS = 20_000;

const DAY = 86_400;

/** Mismatch counts by kind. */
export interface MismatchCounts {
  missing: number;
  extra: number;
  amount_differs: number;
}

/** What one shard's run did. */
export interface ReconcileReport {
  shard: number;
  date: string;
  merchants: number;
  lines: number;
  bookings: number;
  /** Mismatches found by this run, recorded before or not. */
  found: MismatchCounts;
  /** Mismatches this run recorded for the first time. */
  recorded: MismatchCounts;
  /** False when the budget ran out: run again with `after: next`. */
  done: boolean;
  next: string | null;
}

/** How a run is made. */
export interface ReconcileOptions {
  reports: ProcessorReports;
  /** Milliseconds of wall time before the run stops between merchants (default RECONCILE_BUDGET_MS). */
  budgetMs?: number;
  /** Resume after this merchant id (a previous run's `next`). */
  after?: string | null;
  /** Unix seconds, for the items' `created`. */
  now?: () => number;
}

/** The unix seconds of 00:00 UTC on `date` (yyyy-mm-dd), or null if it is not a calendar date. */
export function dayStart(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return null;
  return ms / 1000;
}

/** The yyyy-mm-dd of the UTC day `days` after `date`. */
function shifted(date: string, days: number): string {
  return new Date(((dayStart(date) ?? 0) + days * DAY) * 1000).toISOString().slice(0, 10);
}

/** Every line of a merchant's file for `date`, by match key. */
async function readFile(reports: ProcessorReports, merchantId: string, date: string) {
  const lines = new Map<string, SettlementLine>();
  for (let after: string | null = null; ; ) {
    const page = await reports.settlementFile(merchantId, date, after, PAGE);
    for (const line of page) lines.set(matchKeyOf(line), line);
    const last = page.at(-1);
    if (page.length < PAGE || !last) return lines;
    after = last.key;
  }
}

/** Every booking of a merchant in [from, to) that the file should list, by match key. */
async function readBookings(db: Db, merchantId: string, from: number, to: number) {
  const booked = new Map<string, Booked>();
  for (let after: { created: number; id: string } | null = null; ; ) {
    const page = await bookedPage(db, merchantId, from, to, after, PAGE);
    for (const b of page)
      if (!(b.type === "refund" && b.refundStatus === "failed")) booked.set(b.matchKey ?? b.source, b);
    const last = page.at(-1);
    if (page.length < PAGE || !last) return booked;
    after = { created: last.created, id: last.id };
  }
}

/** The mismatches of one merchant on `date` (not yet recorded), with what was read. */
export async function reconcileMerchant(
  db: Db,
  reports: ProcessorReports,
  merchantId: string,
  date: string,
  created: number,
): Promise<{ lines: number; bookings: number; items: ReconciliationItemRow[] }> {
  const start = dayStart(date);
  if (start === null) throw new Error(`reconcileMerchant: not a date: ${date}`);
  const end = start + DAY;
  const [file, booked] = await Promise.all([
    readFile(reports, merchantId, date),
    readBookings(db, merchantId, start - GRACE_SECONDS, end + GRACE_SECONDS),
  ]);
  const items: ReconciliationItemRow[] = [];
  const item = (kind: ReconciliationItemRow["kind"], key: string, b: Booked | null, line: SettlementLine | null) =>
    items.push({
      id: newId("rci"),
      merchantId,
      date,
      kind,
      source: b?.source ?? null,
      matchKey: key,
      processorKey: line?.key ?? null,
      expectedAmount: b?.amount ?? null,
      reportedAmount: line?.amount ?? null,
      currency: line?.currency ?? b?.currency ?? "",
      created,
    });
  const compare = (key: string, b: Booked, line: SettlementLine) => {
    if (b.amount !== line.amount || b.currency !== line.currency) item("amount_differs", key, b, line);
  };
  for (const [key, line] of file) {
    const b = booked.get(key);
    if (b) compare(key, b, line);
    else item("extra", key, null, line);
  }
  const neighbours = new Map<number, Promise<Map<string, SettlementLine>>>();
  const neighbour = (side: -1 | 1) => {
    const known = neighbours.get(side);
    if (known) return known;
    const read = readFile(reports, merchantId, shifted(date, side));
    neighbours.set(side, read);
    return read;
  };
  let bookings = 0;
  for (const [key, b] of booked) {
    if (b.created < start || b.created >= end) continue;
    bookings++;
    if (file.has(key)) continue;
    const side = b.created < start + GRACE_SECONDS ? -1 : b.created >= end - GRACE_SECONDS ? 1 : 0;
    const line = side === 0 ? undefined : (await neighbour(side)).get(key);
    if (line) compare(key, b, line);
    else item("missing", key, b, null);
  }
  return { lines: file.size, bookings, items };
}

const zero = (): MismatchCounts => ({ missing: 0, extra: 0, amount_differs: 0 });

/**
 * Reconciles every merchant on shard `shard` for `date` (yyyy-mm-dd) against `options.reports`,
 * skipping merchants in the middle of a move, and logs `reconciliation_mismatch` (counts only)
 * when it records new mismatches. For the operator API and the daily cron.
 */
export async function reconcileShard(
  env: Env,
  shard: number,
  date: string,
  options: ReconcileOptions,
): Promise<ReconcileReport> {
  if (dayStart(date) === null) throw new Error(`reconcileShard: not a date: ${date}`);
  const db = shardDb(env, shard);
  const control = controlDb(env);
  const deadline = Date.now() + (options.budgetMs ?? RECONCILE_BUDGET_MS);
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const skip = new Set(await merchantsToSkip(control, shard, Date.now()));
  const report: ReconcileReport = {
    shard,
    date,
    merchants: 0,
    lines: 0,
    bookings: 0,
    found: zero(),
    recorded: zero(),
    done: false,
    next: null,
  };
  let after = options.after ?? null;
  outer: for (;;) {
    const ids = await merchantsOnShard(control, shard, after, PAGE);
    for (const merchantId of ids) {
      if (Date.now() > deadline) break outer;
      after = merchantId;
      if (skip.has(merchantId)) continue;
      // One merchant's failure (its file unreadable, a D1 error) is logged; the others are still reconciled.
      const r = await reconcileMerchant(db, options.reports, merchantId, date, now()).catch((err: unknown) => {
        log("error", "reconciliation_merchant_failed", {
          shard,
          date,
          merchant: merchantId,
          error: err instanceof Error ? err.name : "unknown",
        });
        return null;
      });
      if (r === null) continue;
      const fresh = new Set(await insertItems(db, r.items));
      report.merchants++;
      report.lines += r.lines;
      report.bookings += r.bookings;
      for (const it of r.items) {
        report.found[it.kind]++;
        if (fresh.has(it.id)) report.recorded[it.kind]++;
      }
    }
    if (ids.length < PAGE) {
      report.done = true;
      break;
    }
  }
  report.next = report.done ? null : after;
  const { missing, extra, amount_differs } = report.recorded;
  if (missing + extra + amount_differs > 0) {
    log("error", "reconciliation_mismatch", { shard, date, missing, extra, amount_differs });
  }
  log("info", "reconciliation_run", {
    shard,
    date,
    merchants: report.merchants,
    lines: report.lines,
    bookings: report.bookings,
    done: report.done,
  });
  return report;
}

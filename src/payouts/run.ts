/**
 * The payout run on one shard, after settlement: first every merchant's automatic payouts of the
 * latest cut-off (one per merchant, currency and day, by its schedule and bank account), then each
 * open payout one step along its life: `pending` is claimed `in_transit` and sent to the bank;
 * `in_transit` on or after its arrival date is asked for and becomes `paid` or `failed`. Every step
 * is one batch keyed or guarded in the database (db/payouts.ts), so running it again, concurrently
 * or after a crash moves nothing twice. Bounded pages within a time budget; the next run (every 15
 * minutes from the cron) goes on where this one stopped.
 */
import type { Db } from "../db/client";
import type { EventOrigin } from "../db/events";
import { createAutomaticPayout, movePayout } from "../db/payout-batches";
import { openPayouts, type PayoutRow, payoutCandidates } from "../db/payouts";
import { getSettlementSettings } from "../db/settlement-settings";
import { automaticArrival, type PayoutFailureCode, payoutDue, payoutRunKey } from "../domain/payouts";
import { log } from "../lib/log";
import { cutoffOf } from "../settlement/settle";
import {
  type BankConnector,
  type BankFactory,
  type BankTransfer,
  sendTransfer,
  simulatedBank,
  transferStatus,
} from "./bank";

/** What one shard's payout run did. */
export interface PayoutReport {
  /** Automatic payouts created. */
  created: number;
  /** (merchant, currency) pairs whose run key already had its payout. */
  alreadyRun: number;
  /** Pairs with nothing to pay (no positive balance), or not due by their schedule or bank account. */
  skipped: number;
  /** Payouts moved to in_transit, paid and failed by this run. */
  sent: number;
  paid: number;
  failedPayouts: number;
  /** Steps that threw (logged); the next run retries them. */
  errors: number;
  /** True when the budget ran out with work left. */
  truncated: boolean;
}

/** Options of a run: merchants to leave out, page size, time budget (ms), the clock (ms), the bank and the events' origin. */
export interface PayoutOptions {
  skip?: readonly string[];
  page?: number;
  budgetMs?: number;
  clock?: () => number;
  bank?: BankFactory;
  origin?: EventOrigin | null;
}

/**
 * Runs payouts on shard `db` as of `asOf` (unix seconds): the automatic payouts of the latest
 * cut-off at or before it, then one lifecycle step of each open payout. `env` is for a real bank's
 * bindings; the default bank is the simulator.
 */
export async function payoutShard(db: Db, _env: Env, asOf: number, options: PayoutOptions = {}): Promise<PayoutReport> {
  const { page = 100, budgetMs = 10_000, clock = Date.now, bank = simulatedBank, origin = null } = options;
  const start = clock();
  const overBudget = () => clock() - start > budgetMs;
  const skip = options.skip ?? [];
  const report: PayoutReport = {
    created: 0,
    alreadyRun: 0,
    skipped: 0,
    sent: 0,
    paid: 0,
    failedPayouts: 0,
    errors: 0,
    truncated: false,
  };
  const cutoff = cutoffOf(asOf);
  // Pairs tried in this run are left out of the next page (one that cannot pay out stays a candidate).
  const tried = new Set<string>();
  for (;;) {
    const pairs = await payoutCandidates(db, page, skip, [...tried]);
    if (pairs.length === 0) break;
    for (const pair of pairs) {
      if (overBudget()) {
        report.truncated = true;
        return report;
      }
      tried.add(`${pair.merchantId}/${pair.currency}`);
      try {
        const terms = await getSettlementSettings(db, pair.merchantId, asOf);
        if (!payoutDue(terms, cutoff).due || terms.bankLast4 === null) {
          report.skipped++;
          continue;
        }
        const run = {
          ...pair,
          runKey: payoutRunKey(pair.currency, cutoff),
          arrivalDate: automaticArrival(cutoff),
          bankLast4: terms.bankLast4,
          created: asOf,
        };
        const outcome = await createAutomaticPayout(db, run, origin);
        if (outcome.ok) report.created++;
        else if (outcome.reason === "already_run") report.alreadyRun++;
        else report.skipped++;
      } catch (err) {
        report.errors++;
        log("warn", "payout_create_failed", { merchant: pair.merchantId, error: errorName(err) });
      }
    }
    if (pairs.length < page) break;
  }
  const seen = new Set<string>();
  for (;;) {
    const open = await openPayouts(db, asOf, page, skip, [...seen]);
    if (open.length === 0) return report;
    for (const payout of open) {
      if (overBudget()) {
        report.truncated = true;
        return report;
      }
      seen.add(payout.id);
      try {
        const terms = await getSettlementSettings(db, payout.merchantId, asOf);
        await advance(db, bank(terms), payout, asOf, origin, report);
      } catch (err) {
        report.errors++;
        log("warn", "payout_step_failed", { payout: payout.id, error: errorName(err) });
      }
    }
    if (open.length < page) return report;
  }
}

/** The payout as the bank is told it. */
function transferOf(p: PayoutRow): BankTransfer {
  return {
    id: p.id,
    merchantId: p.merchantId,
    amount: p.amount,
    currency: p.currency,
    arrivalDate: p.arrivalDate,
    bankLast4: p.bankLast4,
    statementDescriptor: p.statementDescriptor,
  };
}

/**
 * One step of `payout`. Pending: claimed in_transit first (so a cancel racing it loses, and a
 * payout is never canceled after its money left), then sent; a refusal fails it at once. In transit
 * and due: the bank's answer makes it paid or failed; a bank that never received it (a crash
 * between the claim and the send) is sent it again, under the same payout id.
 */
async function advance(
  db: Db,
  bank: BankConnector,
  payout: PayoutRow,
  now: number,
  origin: EventOrigin | null,
  report: PayoutReport,
): Promise<void> {
  let current = payout;
  if (payout.status === "pending") {
    if (!(await movePayout(db, payout, { to: "in_transit" }, now, origin))) return;
    report.sent++;
    current = { ...payout, status: "in_transit" };
    const sent = await sendTransfer(bank, transferOf(current));
    if (sent.status === "failed") await fail(db, current, sent, now, origin, report);
    return;
  }
  const answer = await transferStatus(bank, transferOf(current), now);
  switch (answer.status) {
    case "in_transit":
      return;
    case "unknown": {
      const sent = await sendTransfer(bank, transferOf(current));
      if (sent.status === "failed") await fail(db, current, sent, now, origin, report);
      return;
    }
    case "paid":
      if (await movePayout(db, current, { to: "paid" }, now, origin)) report.paid++;
      return;
    case "failed":
      await fail(db, current, answer, now, origin, report);
      return;
  }
}

async function fail(
  db: Db,
  payout: PayoutRow,
  answer: { code: PayoutFailureCode; message: string },
  now: number,
  origin: EventOrigin | null,
  report: PayoutReport,
): Promise<void> {
  if (await movePayout(db, payout, { to: "failed", code: answer.code, message: answer.message }, now, origin)) {
    report.failedPayouts++;
  }
}

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "unknown";
}

/**
 * Payout rules as plain data: which days a merchant's schedule pays out on, when a payout is
 * expected in the bank, the key of an automatic payout's run, and the bank failure codes edgepay
 * reports (Stripe's names). Pure: no I/O. See docs/payouts.md.
 */
import { DAY, dayOf } from "./fees";

/** A merchant's payout schedule (settlement_settings.payout_schedule). */
export type PayoutSchedule = "daily" | "weekly" | "manual";

/** The terms an automatic payout depends on. */
export interface PayoutTerms {
  payoutSchedule: PayoutSchedule;
  /** UTC weekday of weekly payouts (0 = Sunday … 6 = Saturday). */
  weeklyAnchor: number;
  /** The bank account's last 4 digits; null when none is set. */
  bankLast4: string | null;
}

/** Whether an automatic payout runs at a cut-off, or why not. */
export type PayoutDay =
  | { due: true }
  | { due: false; reason: "manual_schedule" | "not_anchor_day" | "no_bank_account" };

/** The UTC weekday (0 = Sunday) of the day holding `at` (unix seconds); 1970-01-01 was a Thursday. */
export function weekdayOf(at: number): number {
  return (((Math.floor(at / DAY) + 4) % 7) + 7) % 7;
}

/** Whether the merchant's terms make an automatic payout at cut-off `cutoff` (00:00 UTC). */
export function payoutDue(terms: PayoutTerms, cutoff: number): PayoutDay {
  if (terms.bankLast4 === null) return { due: false, reason: "no_bank_account" };
  switch (terms.payoutSchedule) {
    case "manual":
      return { due: false, reason: "manual_schedule" };
    case "weekly":
      return weekdayOf(cutoff) === terms.weeklyAnchor ? { due: true } : { due: false, reason: "not_anchor_day" };
    case "daily":
      return { due: true };
  }
}

/** The run key of an automatic payout (`<currency>:<yyyy-mm-dd>`): one payout per merchant, currency and day. */
export function payoutRunKey(currency: string, cutoff: number): string {
  return `${currency}:${dayOf(cutoff)}`;
}

/** When an automatic payout of cut-off `cutoff` is expected in the bank: the next 00:00 UTC (one business-free day). */
export function automaticArrival(cutoff: number): number {
  return Math.floor(cutoff / DAY) * DAY + DAY;
}

/** When a manual payout created at `created` is expected in the bank: the next 00:00 UTC. */
export function manualArrival(created: number): number {
  return Math.floor(created / DAY) * DAY + DAY;
}

/** The bank failure codes a payout may fail with (Stripe's `failure_code` values). */
export const PAYOUT_FAILURE_CODES = [
  "account_closed",
  "account_frozen",
  "bank_account_restricted",
  "could_not_process",
  "invalid_account_number",
  "invalid_currency",
  "no_account",
] as const;

/** One payout failure code. */
export type PayoutFailureCode = (typeof PAYOUT_FAILURE_CODES)[number];

/** The message shown with each failure code (Stripe's wording, shortened). */
export function failureMessage(code: PayoutFailureCode): string {
  switch (code) {
    case "account_closed":
      return "The bank account has been closed.";
    case "account_frozen":
      return "The bank account has been frozen.";
    case "bank_account_restricted":
      return "The bank account has restrictions on either the type or number of payouts allowed.";
    case "could_not_process":
      return "The bank could not process this payout.";
    case "invalid_account_number":
      return "The routing number seems correct, but the account number is invalid.";
    case "invalid_currency":
      return "The bank was unable to process this payout because of its currency.";
    case "no_account":
      return "The bank account details on file are probably incorrect. No bank account could be located with those details.";
  }
}

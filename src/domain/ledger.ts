/**
 * Double-entry posting rules. Every money movement is one ledger transaction: a set of postings to
 * a merchant's accounts in one currency whose amounts sum to zero. Pure: the storage layer writes
 * the postings in the same D1 batch as the state change they record, and enforces the sign of
 * every account (`accountSign`) with a CHECK on the running balances. See docs/ledger.md.
 *
 * Accounts (per merchant and currency; positive = held for or owed to the merchant):
 * - authorized_holds (≥ 0): funds authorized on cards and not yet captured or released;
 * - authorization_clearing (≤ 0): the contra account of holds (always −authorized_holds);
 * - pending_balance (≥ 0): captured funds, net of fees, not yet available;
 * - available_balance (either sign): funds the merchant can be paid out; refunds are taken from it
 *   at once, so it goes negative when they exceed what is available (as Stripe's balance does);
 * - refund_reserve (≥ 0): refunds created and not yet answered by the processor;
 * - processor (≤ 0): the counterparty; minus what the processor owes for captures net of refunds;
 * - gateway_fees (≥ 0): the fees the gateway has earned from the merchant's captures;
 * - payouts_in_transit (≥ 0): payouts sent to the bank and not yet paid or failed;
 * - paid_out (≥ 0): everything the bank has paid the merchant.
 */

/** The ledger accounts of a merchant in one currency. */
export type Account =
  | "authorized_holds"
  | "authorization_clearing"
  | "pending_balance"
  | "available_balance"
  | "refund_reserve"
  | "processor"
  | "gateway_fees"
  | "payouts_in_transit"
  | "paid_out";

/** Every account, in chart-of-accounts order. */
export const ACCOUNTS: readonly Account[] = [
  "authorized_holds",
  "authorization_clearing",
  "pending_balance",
  "available_balance",
  "refund_reserve",
  "processor",
  "gateway_fees",
  "payouts_in_transit",
  "paid_out",
];

/** The sign rule of an account: which side of zero its balance must stay on (`either`: no rule). */
export type SignRule = "non_negative" | "non_positive" | "either";

/** The sign rule of `account`; every account has exactly one. */
export function accountSign(account: Account): SignRule {
  switch (account) {
    case "authorized_holds":
    case "pending_balance":
    case "refund_reserve":
    case "gateway_fees":
    case "payouts_in_transit":
    case "paid_out":
      return "non_negative";
    case "authorization_clearing":
    case "processor":
      return "non_positive";
    case "available_balance":
      return "either";
  }
}

/** Accounts whose balance may never be negative. */
export const NON_NEGATIVE_ACCOUNTS: readonly Account[] = ACCOUNTS.filter((a) => accountSign(a) === "non_negative");

/** Accounts whose balance may never be positive. */
export const NON_POSITIVE_ACCOUNTS: readonly Account[] = ACCOUNTS.filter((a) => accountSign(a) === "non_positive");

/** Accounts whose balance may have either sign. */
export const UNSIGNED_ACCOUNTS: readonly Account[] = ACCOUNTS.filter((a) => accountSign(a) === "either");

/** One leg of a ledger transaction, in minor units. */
export interface Posting {
  account: Account;
  amount: number;
}

/** The kinds of money movement the payment flow records. */
export type Movement =
  | { kind: "authorize"; amount: number }
  | { kind: "release"; amount: number }
  | { kind: "capture"; authorized: number; captured: number }
  | { kind: "fee"; amount: number }
  | { kind: "refund_reserve"; amount: number }
  | { kind: "refund"; amount: number }
  | { kind: "refund_failure"; amount: number }
  | { kind: "fee_refund"; amount: number }
  | { kind: "fee_refund_reversal"; amount: number }
  | { kind: "settle"; amount: number }
  | { kind: "payout"; amount: number }
  | { kind: "payout_paid"; amount: number }
  | { kind: "payout_failure"; amount: number }
  | { kind: "payout_cancel"; amount: number };

/** The kind of a movement, as stored in ledger_entries.kind. */
export type MovementKind = Movement["kind"];

/** −x without a negative zero (0 − 0 is +0), so a zero posting reads as 0 everywhere. */
const neg = (x: number) => 0 - x;

/**
 * The balanced postings for a movement, each account at most once. Throws on a negative or
 * non-integer amount, or a capture above its authorization (a bug in the caller, not input).
 */
export function postingsFor(m: Movement): Posting[] {
  const amounts = m.kind === "capture" ? [m.authorized, m.captured] : [m.amount];
  for (const a of amounts) {
    if (!Number.isSafeInteger(a) || a < 0) throw new Error(`ledger: invalid amount in ${m.kind}`);
  }
  switch (m.kind) {
    case "authorize":
      return [
        { account: "authorized_holds", amount: m.amount },
        { account: "authorization_clearing", amount: neg(m.amount) },
      ];
    case "release":
      return [
        { account: "authorized_holds", amount: neg(m.amount) },
        { account: "authorization_clearing", amount: m.amount },
      ];
    case "capture":
      if (m.captured > m.authorized) throw new Error("ledger: capture exceeds authorization");
      return [
        // The whole hold is released; a partial capture gives the rest back to the cardholder.
        { account: "authorized_holds", amount: neg(m.authorized) },
        { account: "authorization_clearing", amount: m.authorized },
        { account: "pending_balance", amount: m.captured },
        { account: "processor", amount: neg(m.captured) },
      ];
    case "fee":
      // The gateway's fee on a capture, out of the funds the capture made pending.
      return [
        { account: "pending_balance", amount: neg(m.amount) },
        { account: "gateway_fees", amount: m.amount },
      ];
    case "refund_reserve":
      return [
        { account: "available_balance", amount: neg(m.amount) },
        { account: "refund_reserve", amount: m.amount },
      ];
    case "refund":
      return [
        { account: "refund_reserve", amount: neg(m.amount) },
        { account: "processor", amount: m.amount },
      ];
    case "refund_failure":
      return [
        { account: "refund_reserve", amount: neg(m.amount) },
        { account: "available_balance", amount: m.amount },
      ];
    case "fee_refund":
      // A refund returning its share of the charge's fee (only when the merchant's terms say so).
      return [
        { account: "gateway_fees", amount: neg(m.amount) },
        { account: "available_balance", amount: m.amount },
      ];
    case "fee_refund_reversal":
      return [
        { account: "available_balance", amount: neg(m.amount) },
        { account: "gateway_fees", amount: m.amount },
      ];
    case "settle":
      return [
        { account: "pending_balance", amount: neg(m.amount) },
        { account: "available_balance", amount: m.amount },
      ];
    case "payout":
      return [
        { account: "available_balance", amount: neg(m.amount) },
        { account: "payouts_in_transit", amount: m.amount },
      ];
    case "payout_paid":
      return [
        { account: "payouts_in_transit", amount: neg(m.amount) },
        { account: "paid_out", amount: m.amount },
      ];
    case "payout_failure":
    case "payout_cancel":
      // The bank returned the payout, or the merchant canceled it before it was sent.
      return [
        { account: "payouts_in_transit", amount: neg(m.amount) },
        { account: "available_balance", amount: m.amount },
      ];
  }
}

/** True when the postings sum to zero. */
export function isBalanced(postings: readonly Posting[]): boolean {
  return postings.reduce((sum, p) => sum + p.amount, 0) === 0;
}

/** Account balances of one merchant and currency; a missing account is 0. */
export type Balances = Partial<Record<Account, number>> | ReadonlyMap<Account, number>;

/** A balance on the wrong side of zero for its account. */
export interface Violation {
  account: Account;
  balance: number;
  rule: SignRule;
}

/** The accounts whose balance breaks their sign rule (empty when the ledger is sound). */
export function violations(balances: Balances): Violation[] {
  const out: Violation[] = [];
  for (const account of ACCOUNTS) {
    const balance = balanceOf(balances, account);
    const rule = accountSign(account);
    if ((rule === "non_negative" && balance < 0) || (rule === "non_positive" && balance > 0)) {
      out.push({ account, balance, rule });
    }
  }
  return out;
}

/** `balances` after the postings, as a new record with every account present. */
export function applyPostings(balances: Balances, postings: readonly Posting[]): Record<Account, number> {
  const next = zeroBalances();
  for (const a of ACCOUNTS) next[a] = balanceOf(balances, a);
  for (const p of postings) next[p.account] += p.amount;
  return next;
}

/** Every account at 0: the ledger of a merchant and currency before its first movement. */
export function zeroBalances(): Record<Account, number> {
  return Object.fromEntries(ACCOUNTS.map((a) => [a, 0])) as Record<Account, number>;
}

function balanceOf(balances: Balances, account: Account): number {
  const b = balances instanceof Map ? balances.get(account) : (balances as Partial<Record<Account, number>>)[account];
  return b ?? 0;
}

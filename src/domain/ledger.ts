/**
 * Double-entry posting rules. Every money movement is one ledger transaction: a set of postings to
 * a merchant's accounts in one currency whose amounts sum to zero. Pure: the storage layer writes
 * the postings in the same D1 batch as the state change they record.
 *
 * Accounts (per merchant and currency; positive = owed to or held for the merchant):
 * - authorized_holds: funds authorized on cards and not yet captured or released;
 * - authorization_clearing: the contra account of holds (always −authorized_holds);
 * - pending_balance: captured funds not yet settled (settlement moves them to available_balance);
 * - available_balance: settled funds (no movement reaches it before the settlement issue);
 * - processor: what the card networks owe (negative: the outside side of captures);
 * - refunds: total paid back to cardholders.
 */

/** The ledger accounts of a merchant in one currency. */
export type Account =
  | "authorized_holds"
  | "authorization_clearing"
  | "pending_balance"
  | "available_balance"
  | "processor"
  | "refunds";

/** Accounts whose balance may never be negative. */
export const NON_NEGATIVE_ACCOUNTS: readonly Account[] = [
  "authorized_holds",
  "pending_balance",
  "available_balance",
  "refunds",
];

/** One leg of a ledger transaction, in minor units. */
export interface Posting {
  account: Account;
  amount: number;
}

/** The kinds of money movement the payment flow records. */
export type Movement =
  | { kind: "authorize"; amount: number }
  | { kind: "capture"; authorized: number; captured: number }
  | { kind: "release"; amount: number }
  | { kind: "refund_reserve"; amount: number }
  | { kind: "refund"; amount: number }
  | { kind: "refund_failure"; amount: number };

/** The balanced postings for a movement. Throws on a non-positive or non-integer amount (a bug, not input). */
export function postingsFor(m: Movement): Posting[] {
  const amounts = m.kind === "capture" ? [m.authorized, m.captured] : [m.amount];
  for (const a of amounts) {
    if (!Number.isSafeInteger(a) || a < 0) throw new Error(`ledger: invalid amount in ${m.kind}`);
  }
  switch (m.kind) {
    case "authorize":
      return [
        { account: "authorized_holds", amount: m.amount },
        { account: "authorization_clearing", amount: -m.amount },
      ];
    case "release":
      return [
        { account: "authorized_holds", amount: -m.amount },
        { account: "authorization_clearing", amount: m.amount },
      ];
    case "capture":
      if (m.captured > m.authorized) throw new Error("ledger: capture exceeds authorization");
      return [
        // The whole hold is released; a partial capture gives the rest back to the cardholder.
        { account: "authorized_holds", amount: -m.authorized },
        { account: "authorization_clearing", amount: m.authorized },
        { account: "pending_balance", amount: m.captured },
        { account: "processor", amount: -m.captured },
      ];
    case "refund_reserve":
      return [
        { account: "pending_balance", amount: -m.amount },
        { account: "refunds", amount: m.amount },
      ];
    case "refund":
      return [];
    case "refund_failure":
      return [
        { account: "pending_balance", amount: m.amount },
        { account: "refunds", amount: -m.amount },
      ];
  }
}

/** True when the postings sum to zero. */
export function isBalanced(postings: readonly Posting[]): boolean {
  return postings.reduce((sum, p) => sum + p.amount, 0) === 0;
}

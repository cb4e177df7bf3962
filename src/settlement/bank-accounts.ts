/**
 * Bank accounts for payouts. edgepay keeps only an account's last 4 digits; the bank transfer
 * connector is a simulator, whose behaviour Stripe's test account numbers choose: 000111111116
 * fails with `no_account`, 000111111113 with `account_closed`, any other number is paid.
 */

/** How the simulated bank answers a payout to an account. */
export type BankBehaviour = "succeeds" | "no_account" | "account_closed";

/** The simulator's behaviour for an account number (Stripe's test numbers). */
export function bankBehaviourOf(accountNumber: string): BankBehaviour {
  switch (accountNumber) {
    case "000111111116":
      return "no_account";
    case "000111111113":
      return "account_closed";
    default:
      return "succeeds";
  }
}

/**
 * A merchant's settlement terms as pure rules: the fee on a capture, the share of it a refund
 * returns, and when a movement's funds become available. Integer minor units throughout. The
 * database computes the same numbers inside the batch of each movement (db/balance-transactions.ts,
 * from the merchant's settlement_settings row); test/db/balance-transactions.test.ts holds the two
 * equal. See docs/settlement.md.
 */

/** Seconds in a day; cut-offs are at 00:00 UTC. */
export const DAY = 86_400;

/** A merchant's terms: fee, whether refunds return it, and the settlement delay. */
export interface Terms {
  /** Percentage fee in basis points (0–10000). */
  feeBps: number;
  /** Fixed fee per capture, per lowercase currency, in that currency's minor units (absent = 0). */
  feeFixed: Readonly<Record<string, number>>;
  /** Whether a refund returns its share of the charge's fee. */
  refundFees: boolean;
  /** Whole days before funds become available (0–30). */
  delayDays: number;
}

/** The terms of a merchant the operator has not configured: no fee, funds available after 2 days. */
export const DEFAULT_TERMS: Terms = { feeBps: 0, feeFixed: {}, refundFees: false, delayDays: 2 };

/**
 * The fee on capturing `amount` (minor units of `currency`): `amount × bps / 10000` rounded half up
 * to the minor unit, plus the currency's fixed fee, never more than the amount itself (so a
 * capture's net is never negative).
 */
export function captureFee(amount: number, currency: string, terms: Terms): number {
  const percent = Math.floor((amount * terms.feeBps * 2 + 10_000) / 20_000);
  return Math.min(amount, percent + (terms.feeFixed[currency] ?? 0));
}

/**
 * The fee a refund of `refunded` out of a charge of `charged` (whose fee was `fee`) gives back:
 * nothing unless the terms say so, else the refund's proportional share rounded down (so the
 * refunds of one charge never return more than its fee).
 */
export function returnedFee(charge: { amount: number; fee: number }, refunded: number, terms: Terms): number {
  if (!terms.refundFees || charge.amount <= 0) return 0;
  return Math.floor((charge.fee * refunded) / charge.amount);
}

/** When funds moved at `created` become available: the first 00:00 UTC at or after `created + delay days`. */
export function availableOn(created: number, delayDays: number): number {
  return Math.ceil((created + delayDays * DAY) / DAY) * DAY;
}

/** The settlement date (`yyyy-mm-dd`) of a cut-off or any instant in its day. */
export function dayOf(at: number): string {
  return new Date(Math.floor(at / DAY) * DAY * 1000).toISOString().slice(0, 10);
}

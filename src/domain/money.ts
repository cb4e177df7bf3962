/**
 * Amount rules in integer minor units: charge minimum and maximum per currency, the three-decimal
 * rule (last digit 0), and bounds for captures and refunds. Pure: returns a tagged Result.
 */
import { type Currency, exponent } from "./currencies";

/** Largest amount of any single charge, capture or refund: Stripe's 8-digit limit, in minor units. */
export const MAX_AMOUNT = 99_999_999;

/** Why an amount was refused. */
export type AmountError =
  | { ok: false; code: "amount_too_small"; min: number }
  | { ok: false; code: "amount_too_large"; max: number }
  | { ok: false; code: "parameter_invalid"; reason: "three_decimal_last_digit" | "not_positive" };

/** A checked amount or the reason it was refused. */
export type AmountResult = { ok: true; amount: number } | AmountError;

/** The smallest charge: 0.50 in major units, rounded up to the currency's minor unit (50, 500 or 1). */
export function minimumCharge(currency: Currency): number {
  const e = exponent(currency);
  return e === 0 ? 1 : 5 * 10 ** (e - 1);
}

/** The smallest movable amount: one minor unit, or 10 for three-decimal currencies. */
export function smallestUnit(currency: Currency): number {
  return exponent(currency) === 3 ? 10 : 1;
}

/**
 * Checks an amount for `currency`. `charge` amounts must reach the charge minimum; `part` amounts
 * (captures and refunds of an existing charge) only need to be positive; both respect `max`.
 */
export function checkAmount(
  amount: number,
  currency: Currency,
  kind: "charge" | "part",
  max: number = MAX_AMOUNT,
): AmountResult {
  if (!Number.isSafeInteger(amount) || amount < 1) {
    return kind === "charge"
      ? { ok: false, code: "amount_too_small", min: minimumCharge(currency) }
      : { ok: false, code: "parameter_invalid", reason: "not_positive" };
  }
  if (kind === "charge" && amount < minimumCharge(currency)) {
    return { ok: false, code: "amount_too_small", min: minimumCharge(currency) };
  }
  if (amount > max) return { ok: false, code: "amount_too_large", max };
  if (exponent(currency) === 3 && amount % 10 !== 0) {
    return { ok: false, code: "parameter_invalid", reason: "three_decimal_last_digit" };
  }
  return { ok: true, amount };
}

/** Human-readable message for an amount refusal; never echoes anything but numbers and the code. */
export function amountMessage(err: AmountError, currency: string): string {
  switch (err.code) {
    case "amount_too_small":
      return `Amount must be at least ${err.min} (minor units of ${currency}).`;
    case "amount_too_large":
      return `Amount must be no more than ${err.max} (minor units of ${currency}).`;
    case "parameter_invalid":
      return err.reason === "not_positive"
        ? "Amount must be a positive integer."
        : `Amounts in ${currency} have three decimals and must end in 0.`;
  }
}

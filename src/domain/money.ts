/**
 * Amount rules in integer minor units: charge minimum and maximum per currency, the currency's
 * amount step (three-decimal amounts end in 0, isk moves in whole krónur), and bounds for captures
 * and refunds. Pure: returns a tagged Result.
 */
import { amountStep, type Currency, exponent } from "./currencies";

/** Largest amount of any single charge, capture or refund: Stripe's 8-digit limit, in minor units. */
export const MAX_AMOUNT = 99_999_999;

/** Why an amount was refused. */
export type AmountError =
  | { ok: false; code: "amount_too_small"; min: number }
  | { ok: false; code: "amount_too_large"; max: number }
  | { ok: false; code: "parameter_invalid"; reason: "not_positive" }
  | { ok: false; code: "parameter_invalid"; reason: "amount_step"; step: number };

/** A checked amount or the reason it was refused. */
export type AmountResult = { ok: true; amount: number } | AmountError;

/**
 * The smallest charge: 0.50 in major units, rounded up to the currency's minor unit and then to its
 * amount step (usd 50, jpy 1, kwd 500, isk 100).
 */
export function minimumCharge(currency: Currency): number {
  const e = exponent(currency);
  const half = e === 0 ? 1 : 5 * 10 ** (e - 1);
  const step = amountStep(currency);
  return Math.ceil(half / step) * step;
}

/**
 * Checks an amount for `currency`. `charge` amounts must reach the charge minimum; `part` amounts
 * (captures and refunds of an existing charge) only need to be positive; all respect `max` and the
 * currency's amount step.
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
  const step = amountStep(currency);
  if (amount % step !== 0) return { ok: false, code: "parameter_invalid", reason: "amount_step", step };
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
      switch (err.reason) {
        case "not_positive":
          return "Amount must be a positive integer.";
        case "amount_step":
          return `Amounts in ${currency} must be a multiple of ${err.step} (minor units).`;
      }
  }
}

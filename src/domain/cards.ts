/**
 * Card rules, pure: brand detection by IIN prefix, PAN lengths per brand, the Luhn check, expiry
 * and CVC rules, and one `validateCard` that returns a tagged Result with Stripe's error codes.
 * No I/O and no logging: callers decide what (never the PAN) to show.
 */

/** Card networks the gateway accepts. */
export type CardBrand = "visa" | "mastercard" | "amex" | "discover" | "jcb" | "diners" | "unionpay";

/** Every card brand, as connector accounts and routing rules name them. */
export const CARD_BRANDS = [
  "visa",
  "mastercard",
  "amex",
  "discover",
  "jcb",
  "diners",
  "unionpay",
] as const satisfies readonly CardBrand[];

/** Funding source, as Stripe reports it. */
export type CardFunding = "credit" | "debit" | "prepaid" | "unknown";

/** Stripe's card validation codes (402 `card_error`). */
export type CardErrorCode =
  | "incorrect_number"
  | "invalid_number"
  | "invalid_expiry_month"
  | "invalid_expiry_year"
  | "invalid_cvc";

/** Which card field a validation error is about (the route prefixes it: `card[number]`). */
export type CardField = "number" | "exp_month" | "exp_year" | "cvc";

/** A tagged result: the value, or a reason. */
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

/** A failed card check: Stripe's code, the field and a message that never contains card data. */
export interface CardError {
  code: CardErrorCode;
  field: CardField;
  message: string;
}

/** A card that passed every check, with the PAN normalized to digits only. */
export interface ValidCard {
  pan: string;
  brand: CardBrand;
  last4: string;
  expMonth: number;
  expYear: number;
  cvc: string | null;
  funding: CardFunding;
}

/** Raw card fields as they arrive on the wire (form strings or JSON numbers). */
export interface CardInput {
  number: string;
  exp_month: string | number;
  exp_year: string | number;
  cvc?: string | number | undefined;
}

interface BrandRule {
  brand: CardBrand;
  /** Inclusive IIN ranges, compared on as many leading digits as the bounds have. */
  ranges: ReadonlyArray<readonly [string, string]>;
  lengths: readonly number[];
}

const span = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

// Checked in order; ranges do not overlap, so order only matters for readability.
const BRAND_RULES: readonly BrandRule[] = [
  { brand: "visa", ranges: [["4", "4"]], lengths: [13, 16, 19] },
  {
    brand: "mastercard",
    ranges: [
      ["51", "55"],
      ["2221", "2720"],
    ],
    lengths: [16],
  },
  {
    brand: "amex",
    ranges: [
      ["34", "34"],
      ["37", "37"],
    ],
    lengths: [15],
  },
  {
    brand: "discover",
    ranges: [
      ["6011", "6011"],
      ["644", "649"],
      ["65", "65"],
    ],
    lengths: span(16, 19),
  },
  { brand: "jcb", ranges: [["3528", "3589"]], lengths: span(16, 19) },
  {
    brand: "diners",
    ranges: [
      ["300", "305"],
      ["3095", "3095"],
      ["36", "36"],
      ["38", "39"],
    ],
    lengths: span(14, 19),
  },
  { brand: "unionpay", ranges: [["62", "62"]], lengths: span(16, 19) },
];

/** Funding of the published test BINs that are not credit cards; everything else is `unknown` (no BIN table). */
const FUNDING_BY_PREFIX: ReadonlyArray<readonly [string, CardFunding]> = [
  ["400005", "debit"],
  ["520082", "debit"],
  ["510510", "prepaid"],
  ["424242", "credit"],
  ["400000", "credit"],
  ["410000", "credit"],
  ["555555", "credit"],
  ["378282", "credit"],
];

/** The Stripe display name of each brand, used by the legacy token `card` object. */
export const BRAND_DISPLAY_NAMES: Readonly<Record<CardBrand, string>> = {
  visa: "Visa",
  mastercard: "MasterCard",
  amex: "American Express",
  discover: "Discover",
  jcb: "JCB",
  diners: "Diners Club",
  unionpay: "UnionPay",
};

/** Strips the spaces and dashes people type inside card numbers; null unless 12–19 digits remain. */
export function normalizePan(input: string): string | null {
  const digits = input.replace(/[ -]/g, "");
  return /^\d{12,19}$/.test(digits) ? digits : null;
}

/** The Luhn (mod 10) check over a string of digits. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** The brand whose IIN ranges contain the number's prefix, or null for an unknown network. */
export function detectBrand(pan: string): CardBrand | null {
  for (const rule of BRAND_RULES) {
    for (const [low, high] of rule.ranges) {
      const prefix = pan.slice(0, low.length);
      if (prefix.length === low.length && prefix >= low && prefix <= high) return rule.brand;
    }
  }
  return null;
}

/** The PAN lengths a brand issues. */
export function panLengths(brand: CardBrand): readonly number[] {
  return BRAND_RULES.find((r) => r.brand === brand)?.lengths ?? [];
}

/** The CVC length of a brand: 4 digits for amex (the CID), 3 for every other brand. */
export function cvcLength(brand: CardBrand): 3 | 4 {
  return brand === "amex" ? 4 : 3;
}

/** Funding source of a PAN as far as the built-in test BIN list knows. */
export function fundingOf(pan: string): CardFunding {
  return FUNDING_BY_PREFIX.find(([prefix]) => pan.startsWith(prefix))?.[1] ?? "unknown";
}

/** Years ahead of today that an expiry may lie; beyond that the year is treated as a typo. */
export const MAX_EXPIRY_YEARS_AHEAD = 50;

function fail(code: CardErrorCode, field: CardField, message: string): { ok: false; error: CardError } {
  return { ok: false, error: { code, field, message } };
}

function parseSmallInt(value: string | number, pattern: RegExp): number | null {
  if (typeof value === "number") return Number.isInteger(value) && value >= 0 ? value : null;
  return pattern.test(value) ? Number(value) : null;
}

/**
 * Checks a card the way Stripe does, in field order: number (format, brand, length, Luhn), expiry
 * month, expiry year (two-digit years mean 20xx; a past month or year is rejected), then the CVC if
 * one was given. `now` is passed in so the rule stays pure.
 */
export function validateCard(input: CardInput, now: Date): Result<ValidCard, CardError> {
  const pan = normalizePan(input.number);
  const brand = pan === null ? null : detectBrand(pan);
  if (pan === null || brand === null || !panLengths(brand).includes(pan.length)) {
    return fail("invalid_number", "number", "The card number is not a valid credit card number.");
  }
  if (!luhnValid(pan)) return fail("incorrect_number", "number", "Your card number is incorrect.");

  const month = parseSmallInt(input.exp_month, /^\d{1,2}$/);
  if (month === null || month < 1 || month > 12) {
    return fail("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.");
  }
  const rawYear = parseSmallInt(input.exp_year, /^(\d{2}|\d{4})$/);
  const year = rawYear !== null && rawYear < 100 ? 2000 + rawYear : rawYear;
  const thisYear = now.getUTCFullYear();
  if (year === null || year < thisYear || year > thisYear + MAX_EXPIRY_YEARS_AHEAD) {
    return fail("invalid_expiry_year", "exp_year", "Your card's expiration year is invalid.");
  }
  if (year === thisYear && month < now.getUTCMonth() + 1) {
    return fail("invalid_expiry_month", "exp_month", "Your card's expiration month is invalid.");
  }

  let cvc: string | null = null;
  if (input.cvc !== undefined) {
    cvc = String(input.cvc);
    if (!/^\d+$/.test(cvc) || cvc.length !== cvcLength(brand)) {
      return fail("invalid_cvc", "cvc", "Your card's security code is invalid.");
    }
  }
  return {
    ok: true,
    value: { pan, brand, last4: pan.slice(-4), expMonth: month, expYear: year, cvc, funding: fundingOf(pan) },
  };
}

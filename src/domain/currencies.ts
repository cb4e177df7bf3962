/**
 * ISO 4217 currencies edgepay accepts, with the rule for writing their amounts: the minor-unit
 * exponent and the step every amount must be a multiple of. Codes are lowercase, as on the wire.
 * Fund codes (bov, clf, uyw, …) and metals (xau, …) are not payment currencies and are left out.
 * Where Stripe and ISO 4217 disagree, Stripe wins so the SDK's expectations hold (docs.stripe.com/currencies):
 * mga is zero-decimal, isk is two-decimal in whole units, and the three-decimal set is Stripe's five.
 * iqd and lyd (three decimals in ISO 4217) are refused: Stripe does not list them, so it has no rule for them.
 */

/** Stripe's zero-decimal currencies: the minor unit is the major unit (exponent 0). */
export const ZERO_DECIMAL = [
  "bif",
  "clp",
  "djf",
  "gnf",
  "jpy",
  "kmf",
  "krw",
  "mga",
  "pyg",
  "rwf",
  "ugx",
  "vnd",
  "vuv",
  "xaf",
  "xof",
  "xpf",
] as const;

/** Stripe's three-decimal currencies (exponent 3); amounts in them must end in 0 (step 10). */
export const THREE_DECIMAL = ["bhd", "jod", "kwd", "omr", "tnd"] as const;

/**
 * Stripe's special cases for charges: two-decimal on the wire, but only whole units are charged, so
 * amounts must be multiples of 100 (isk 500 is 5 krónur). huf and twd are special cases for payouts
 * only (whole units); their charges are ordinary two-decimal amounts, and edgepay has no payouts yet.
 */
export const WHOLE_UNITS = ["isk"] as const;

/** Every other accepted currency has two decimals and step 1. */
const TWO_DECIMAL = (
  "aed afn all amd aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd btn bwp byn bzd cad cdf chf " +
  "cny cop crc cup cve czk dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gtq gyd hkd hnl htg " +
  "huf idr ils inr irr jmd kes kgs khr kpw kyd kzt lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mru mur " +
  "mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sdg " +
  "sek sgd shp sle sos srd ssp stn svc syp szl thb tjs tmt top try ttd twd tzs uah usd uyu uzs ves " +
  "wst xcd xcg yer zar zmw zwg"
).split(" ");

/** How amounts in one currency are written: decimals of the minor unit, and the step amounts move by. */
type AmountRule = { readonly exponent: 0 | 2 | 3; readonly step: 1 | 10 | 100 };

const RULES: ReadonlyMap<string, AmountRule> = new Map<string, AmountRule>([
  ...TWO_DECIMAL.map((c) => [c, { exponent: 2, step: 1 }] as const),
  ...WHOLE_UNITS.map((c) => [c, { exponent: 2, step: 100 }] as const),
  ...ZERO_DECIMAL.map((c) => [c, { exponent: 0, step: 1 }] as const),
  ...THREE_DECIMAL.map((c) => [c, { exponent: 3, step: 10 }] as const),
]);

/** A lowercase ISO 4217 code edgepay accepts; only `isCurrency` should produce one. */
export type Currency = string & { readonly __currency: unique symbol };

/** Every accepted currency code, sorted. */
export const CURRENCIES: readonly Currency[] = [...RULES.keys()].filter(isCurrency).sort();

/** True when `code` is an accepted currency, exactly as written (lowercase). */
export function isCurrency(code: string): code is Currency {
  return RULES.has(code);
}

function ruleOf(currency: Currency): AmountRule {
  const rule = RULES.get(currency);
  // A Currency not in the table was cast from an unchecked string: a bug, never a default.
  if (rule === undefined)
    throw new Error(`Currency ${JSON.stringify(String(currency).slice(0, 8))} is not in the table`);
  return rule;
}

/** The number of decimals of the currency's minor unit (0, 2 or 3). */
export function exponent(currency: Currency): 0 | 2 | 3 {
  return ruleOf(currency).exponent;
}

/** The step, in minor units, that every charge, capture and refund in the currency must be a multiple of. */
export function amountStep(currency: Currency): 1 | 10 | 100 {
  return ruleOf(currency).step;
}

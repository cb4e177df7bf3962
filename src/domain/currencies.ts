/**
 * ISO 4217 currencies edgepay accepts, with their minor-unit exponent. Codes are lowercase, as on
 * the wire. Fund codes (bov, clf, uyw, …) and metals (xau, …) are not payment currencies and are left out.
 * Where Stripe and ISO 4217 disagree, Stripe wins so the SDK's expectations hold: mga is zero-decimal.
 */

/** Currencies whose minor unit is the major unit (exponent 0). */
export const ZERO_DECIMAL = [
  "bif",
  "clp",
  "djf",
  "gnf",
  "isk",
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

/** Currencies with three decimals (exponent 3); amounts in them must end in 0. */
export const THREE_DECIMAL = ["bhd", "iqd", "jod", "kwd", "lyd", "omr", "tnd"] as const;

/** Every other accepted currency has two decimals. */
const TWO_DECIMAL = (
  "aed afn all amd aoa ars aud awg azn bam bbd bdt bgn bmd bnd bob brl bsd btn bwp byn bzd cad cdf chf " +
  "cny cop crc cup cve czk dkk dop dzd egp ern etb eur fjd fkp gbp gel ghs gip gmd gtq gyd hkd hnl htg " +
  "huf idr ils inr irr jmd kes kgs khr kpw kyd kzt lak lbp lkr lrd lsl mad mdl mkd mmk mnt mop mru mur " +
  "mvr mwk mxn myr mzn nad ngn nio nok npr nzd pab pen pgk php pkr pln qar ron rsd rub sar sbd scr sdg " +
  "sek sgd shp sle sos srd ssp stn svc syp szl thb tjs tmt top try ttd twd tzs uah usd uyu uzs ves " +
  "wst xcd xcg yer zar zmw zwg"
).split(" ");

const EXPONENTS: ReadonlyMap<string, 0 | 2 | 3> = new Map<string, 0 | 2 | 3>([
  ...TWO_DECIMAL.map((c) => [c, 2] as const),
  ...ZERO_DECIMAL.map((c) => [c, 0] as const),
  ...THREE_DECIMAL.map((c) => [c, 3] as const),
]);

/** A lowercase ISO 4217 code edgepay accepts. */
export type Currency = string & { readonly __currency: unique symbol };

/** Every accepted currency code, sorted. */
export const CURRENCIES: readonly string[] = [...EXPONENTS.keys()].sort();

/** True when `code` is an accepted currency, exactly as written (lowercase). */
export function isCurrency(code: string): code is Currency {
  return EXPONENTS.has(code);
}

/** The number of decimals of the currency's minor unit (0, 2 or 3). */
export function exponent(currency: Currency): 0 | 2 | 3 {
  return EXPONENTS.get(currency) ?? 2;
}

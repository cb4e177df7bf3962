/**
 * The issuing country of a card from its leading digits, pure. edgepay has no BIN database; this
 * knows Stripe's international test cards, which carry the issuer's ISO 3166 numeric country code
 * in digits 7–9 (`4000000760000002` is Brazil, 076), and treats every other test card as issued
 * in the US, as Stripe's are. Live cards outside the table have no known country (null), and the
 * country signals stay silent for them.
 */

/** ISO 3166 numeric → alpha-2, for the countries of Stripe's international test cards. */
const NUMERIC_TO_ALPHA2: Readonly<Record<string, string>> = {
  "032": "AR",
  "036": "AU",
  "040": "AT",
  "056": "BE",
  "076": "BR",
  "124": "CA",
  "156": "CN",
  "208": "DK",
  "246": "FI",
  "250": "FR",
  "276": "DE",
  "300": "GR",
  "344": "HK",
  "356": "IN",
  "372": "IE",
  "380": "IT",
  "392": "JP",
  "442": "LU",
  "484": "MX",
  "528": "NL",
  "554": "NZ",
  "578": "NO",
  "620": "PT",
  "702": "SG",
  "724": "ES",
  "752": "SE",
  "756": "CH",
  "826": "GB",
  "840": "US",
};

/** The issuing country (alpha-2) of a PAN in test mode; null in live mode when unknown. */
export function issuingCountry(pan: string, live: boolean): string | null {
  const country = /^400000(\d{3})/.exec(pan)?.[1];
  const known = country === undefined ? undefined : NUMERIC_TO_ALPHA2[country];
  if (known) return known;
  return live ? null : "US";
}

/**
 * Stripe's Radar test cards and what they always do (test mode only), told by their BIN and last
 * four digits (the gateway keeps no more of a card in the clear): 4100000000000019 is always
 * blocked, 4000000000004954 scores `highest`, 4000000000009235 `elevated`.
 */
export function radarTestCard(bin: string | null, last4: string): "highest" | "elevated" | "blocked" | null {
  switch (`${bin}…${last4}`) {
    case "410000…0019":
      return "blocked";
    case "400000…4954":
      return "highest";
    case "400000…9235":
      return "elevated";
    default:
      return null;
  }
}

/**
 * The BINs of the public test card numbers every developer uses in test mode (Stripe's and
 * edgepay's). Counted across merchants, they would make every merchant's test payments look like
 * card testing, so in test mode their network-wide velocity is counted per merchant instead.
 */
const SHARED_TEST_BINS: ReadonlySet<string> = new Set([
  "424242",
  "400000",
  "400005",
  "410000",
  "555555",
  "378282",
  "601111",
  "356600",
  "620000",
]);

/** True when a card's BIN is one of the public test numbers' (see SHARED_TEST_BINS). */
export function isSharedTestBin(bin: string | null): boolean {
  return bin !== null && SHARED_TEST_BINS.has(bin);
}

/**
 * Stripe's test payment method and token ids (docs.stripe.com/testing), each mapped to the
 * simulator card number with the same behaviour (processor/test-cards.ts). Pure, closed table:
 * test mode only; the vault turns an id into a real sealed payment method of the merchant.
 */

/** Card numbers by behaviour, as in the README's test card table. */
const CARDS = {
  visa: "4242424242424242",
  visaDebit: "4000056655665556",
  mastercard: "5555555555554444",
  amex: "378282246310005",
  discover: "6011111111111117",
  jcb: "3566002020360505",
  unionpay: "6200000000000005",
  declined: "4000000000000002",
  insufficientFunds: "4000000000009995",
  lostCard: "4000000000009987",
  stolenCard: "4000000000009979",
  expiredCard: "4000000000000069",
  incorrectCvc: "4000000000000127",
  processingError: "4000000000000119",
  radarBlock: "4100000000000019",
} as const;

type Behaviour = keyof typeof CARDS;

/** The behaviours named in both id families, by the suffix Stripe gives them. */
const SUFFIXES: ReadonlyArray<readonly [string, Behaviour]> = [
  ["visa", "visa"],
  ["visa_debit", "visaDebit"],
  ["mastercard", "mastercard"],
  ["amex", "amex"],
  ["discover", "discover"],
  ["jcb", "jcb"],
  ["unionpay", "unionpay"],
  ["chargeDeclined", "declined"],
  ["chargeDeclinedInsufficientFunds", "insufficientFunds"],
  ["chargeDeclinedLostCard", "lostCard"],
  ["chargeDeclinedStolenCard", "stolenCard"],
  ["chargeDeclinedExpiredCard", "expiredCard"],
  ["chargeDeclinedIncorrectCvc", "incorrectCvc"],
  ["chargeDeclinedProcessingError", "processingError"],
  ["radarBlock", "radarBlock"],
];

/** Stripe also spells the visa declines `pm_card_visa_chargeDeclined…`. */
const VISA_DECLINES: ReadonlyArray<Behaviour> = ["declined", "insufficientFunds", "lostCard", "stolenCard"];

const TABLE: ReadonlyMap<string, string> = new Map([
  ...SUFFIXES.map(([s, b]) => [`pm_card_${s}`, CARDS[b]] as const),
  ...SUFFIXES.filter(([, b]) => VISA_DECLINES.includes(b)).map(([s, b]) => [`pm_card_visa_${s}`, CARDS[b]] as const),
  ...SUFFIXES.map(([s, b]) => [`tok_${s}`, CARDS[b]] as const),
]);

/** A test id resolved: the card number behind it, and whether it is a single-use token. */
export interface TestPaymentMethod {
  number: string;
  singleUse: boolean;
}

/** The card behind a Stripe test id (`pm_card_visa`, `tok_visa`, …), or undefined for any other id. */
export function testPaymentMethod(id: string): TestPaymentMethod | undefined {
  const number = TABLE.get(id);
  return number === undefined ? undefined : { number, singleUse: id.startsWith("tok_") };
}

/** Every test id the table knows (for tests and documentation). */
export const TEST_PAYMENT_METHOD_IDS: readonly string[] = [...TABLE.keys()];

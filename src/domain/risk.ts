/**
 * The risk score of one authorization, pure: explainable signals in, a score 0–100, its level and
 * every signal's contribution out. The counts come from the velocity counters (attempts, declines,
 * distinct cards and small authorizations per key and window, *before* this attempt); the
 * thresholds and the reasons for them are documented in docs/fraud.md. Each signal adds points
 * within its own cap, so no single noisy signal can reach `highest` alone except the ones that
 * mean card testing or a known test card.
 */
import { type Currency, exponent } from "./currencies";

/** Stripe's risk levels. */
export type RiskLevel = "normal" | "elevated" | "highest";

/** Scores at or above this are `elevated` (default rule: review). */
export const ELEVATED_AT = 65;
/** Scores at or above this are `highest` (default rule: block). */
export const HIGHEST_AT = 75;

/** What the counters saw for one key in one window, before this attempt. */
export interface Counts {
  attempts: number;
  declines: number;
  /** Attempts the processor approved (one still waiting for its answer is not approved). */
  approvals: number;
  /** Distinct cards (fingerprints) seen with this key. */
  cards: number;
  /** Attempts of a small amount (see `isSmallAmount`). */
  small: number;
}

/** Counts for one key in the last hour and the last day; null when the key is unknown (no IP, no email). */
export type Window = { hour: Counts; day: Counts } | null;

/** Everything the score is computed from. */
export interface RiskInput {
  amount: number;
  currency: Currency;
  /** The card across every merchant of the network (the vault's internal fingerprint). */
  network: Window;
  /** The card at this merchant (merchant-scoped fingerprint). */
  card: Window;
  ip: Window;
  email: Window;
  customer: Window;
  /** ISO 3166 alpha-2 of the card's issuer (from its BIN), and of the request's origin. */
  cardCountry: string | null;
  ipCountry: string | null;
  /** Stripe's Radar test cards (test mode only): the level they always score at. */
  testCard: "highest" | "elevated" | null;
}

/** The closed set of signals a score is explained by. */
export type RiskSignal =
  | "base"
  | "network_declines"
  | "card_declines"
  | "card_attempts"
  | "ip_card_testing"
  | "ip_decline_ratio"
  | "small_amount_burst"
  | "email_cards"
  | "customer_cards"
  | "country_mismatch"
  | "test_card";

/** One signal's part of a score: the points it added and the count (or flag) it saw. */
export interface Contribution {
  signal: RiskSignal;
  points: number;
  observed: number;
}

/** A score with its level and its explanation (contributions sum to the score before clamping). */
export interface RiskAssessment {
  score: number;
  level: RiskLevel;
  contributions: Contribution[];
}

/** Points every authorization starts with (nothing is risk-free). */
export const BASE_POINTS = 5;

/** `points` per unit of `observed` beyond `free`, capped. */
function steps(observed: number, free: number, points: number, cap: number): number {
  return Math.min(cap, Math.max(0, observed - free) * points);
}

/**
 * The size card testers probe with: below 2 units of a currency with minor units (200 cents, 2,000
 * fils), below 200 of a zero-decimal one (yen, won).
 */
export function isSmallAmount(amount: number, currency: Currency): boolean {
  const e = exponent(currency);
  return amount < 2 * (e === 0 ? 100 : 10 ** e);
}

/** The level of a score. */
export function riskLevel(score: number): RiskLevel {
  if (score >= HIGHEST_AT) return "highest";
  if (score >= ELEVATED_AT) return "elevated";
  return "normal";
}

/** Scores one authorization. */
export function assessRisk(input: RiskInput): RiskAssessment {
  const out: Contribution[] = [{ signal: "base", points: BASE_POINTS, observed: 1 }];
  const add = (signal: RiskSignal, points: number, observed: number) => {
    if (points > 0) out.push({ signal, points, observed });
  };
  const { network, card, ip, email, customer } = input;
  // A card declined anywhere on the network today: the strongest single sign of a bad card.
  if (network) add("network_declines", steps(network.day.declines, 0, 10, 40), network.day.declines);
  // Declined here within the hour: someone is retrying a card that does not work.
  if (card) add("card_declines", steps(card.hour.declines, 0, 8, 24), card.hour.declines);
  // A card tried more than three times an hour across the network.
  if (network) add("card_attempts", steps(network.hour.attempts, 3, 4, 20), network.hour.attempts);
  if (ip) {
    // Many distinct cards from one address: the signature of card testing.
    add("ip_card_testing", steps(ip.hour.cards, 2, 10, 50), ip.hour.cards);
    // Most of an address's recent attempts not approved: declined, blocked, or still waiting for
    // their answer (a parallel burst is suspicious before any of it is answered).
    const unapproved = ip.hour.attempts - ip.hour.approvals;
    const ratio = ip.hour.attempts >= 4 && unapproved * 2 >= ip.hour.attempts;
    add("ip_decline_ratio", ratio ? 25 : 0, unapproved);
    // Small probing amounts in a burst.
    if (isSmallAmount(input.amount, input.currency)) {
      add("small_amount_burst", steps(ip.hour.small, 2, 5, 20), ip.hour.small);
    }
  }
  if (email) add("email_cards", steps(email.day.cards, 2, 10, 30), email.day.cards);
  if (customer) add("customer_cards", steps(customer.day.cards, 2, 10, 30), customer.day.cards);
  const { cardCountry, ipCountry } = input;
  if (cardCountry && ipCountry && cardCountry !== ipCountry) add("country_mismatch", 15, 1);
  let score = out.reduce((sum, c) => sum + c.points, 0);
  if (input.testCard) {
    // Test cards score as Stripe documents them, whatever else was seen.
    const floor = input.testCard === "highest" ? 85 : 70;
    const ceiling = input.testCard === "highest" ? 100 : HIGHEST_AT - 1;
    const target = Math.min(ceiling, Math.max(floor, score));
    if (target !== score) out.push({ signal: "test_card", points: target - score, observed: 1 });
    score = target;
  }
  score = Math.min(100, Math.max(0, score));
  return { score, level: riskLevel(score), contributions: out };
}

/** The risk score: each signal moves it as docs/fraud.md says, contributions explain it, levels and test cards. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Currency } from "../../src/domain/currencies";
import {
  assessRisk,
  BASE_POINTS,
  type Counts,
  isSmallAmount,
  type RiskInput,
  riskLevel,
  type Window,
} from "../../src/domain/risk";

const usd = "usd" as Currency;
const zero: Counts = { attempts: 0, declines: 0, approvals: 0, cards: 0, small: 0 };
const w = (hour: Partial<Counts> = {}, day: Partial<Counts> = {}): Window => ({
  hour: { ...zero, ...hour },
  day: { ...zero, ...day },
});

function input(over: Partial<RiskInput> = {}): RiskInput {
  return {
    amount: 5000,
    currency: usd,
    network: w(),
    card: w(),
    ip: w(),
    email: w(),
    customer: w(),
    cardCountry: "US",
    ipCountry: "US",
    testCard: null,
    ...over,
  };
}

const points = (i: RiskInput, signal: string) =>
  assessRisk(i).contributions.find((c) => c.signal === signal)?.points ?? 0;

describe("assessRisk", () => {
  it("a clean first attempt scores the base and is normal", () => {
    expect(assessRisk(input())).toEqual({
      score: BASE_POINTS,
      level: "normal",
      contributions: [{ signal: "base", points: BASE_POINTS, observed: 1 }],
    });
  });

  it("each signal moves the score by its documented points, within its cap", () => {
    expect(points(input({ network: w({}, { declines: 2 }) }), "network_declines")).toBe(20);
    expect(points(input({ network: w({}, { declines: 9 }) }), "network_declines")).toBe(40);
    expect(points(input({ card: w({ declines: 1 }) }), "card_declines")).toBe(8);
    expect(points(input({ card: w({ declines: 5 }) }), "card_declines")).toBe(24);
    expect(points(input({ network: w({ attempts: 3 }) }), "card_attempts")).toBe(0);
    expect(points(input({ network: w({ attempts: 5 }) }), "card_attempts")).toBe(8);
    expect(points(input({ ip: w({ cards: 2 }) }), "ip_card_testing")).toBe(0);
    expect(points(input({ ip: w({ cards: 4 }) }), "ip_card_testing")).toBe(20);
    expect(points(input({ ip: w({ cards: 40 }) }), "ip_card_testing")).toBe(50);
    expect(points(input({ ip: w({ attempts: 4, declines: 2, approvals: 2 }) }), "ip_decline_ratio")).toBe(25);
    expect(points(input({ ip: w({ attempts: 4, declines: 1, approvals: 3 }) }), "ip_decline_ratio")).toBe(0);
    expect(points(input({ ip: w({ attempts: 3, declines: 3 }) }), "ip_decline_ratio")).toBe(0);
    // Attempts still waiting for their answer are not approved: a parallel burst counts at once.
    expect(points(input({ ip: w({ attempts: 4 }) }), "ip_decline_ratio")).toBe(25);
    expect(points(input({ ip: w({ attempts: 5, approvals: 3 }) }), "ip_decline_ratio")).toBe(0);
    expect(points(input({ amount: 100, ip: w({ small: 4 }) }), "small_amount_burst")).toBe(10);
    expect(points(input({ amount: 5000, ip: w({ small: 4 }) }), "small_amount_burst")).toBe(0);
    expect(points(input({ email: w({}, { cards: 4 }) }), "email_cards")).toBe(20);
    expect(points(input({ customer: w({}, { cards: 3 }) }), "customer_cards")).toBe(10);
    expect(points(input({ cardCountry: "BR", ipCountry: "US" }), "country_mismatch")).toBe(15);
    expect(points(input({ cardCountry: null, ipCountry: "US" }), "country_mismatch")).toBe(0);
  });

  it("unknown keys (no IP, no email) contribute nothing", () => {
    const i = input({ network: null, card: null, ip: null, email: null, customer: null, ipCountry: null });
    expect(assessRisk(i).score).toBe(BASE_POINTS);
  });

  it("a burst of declines with different cards from one IP reaches highest before the 8th attempt", () => {
    const levels = Array.from(
      { length: 20 },
      (_, k) => assessRisk(input({ ip: w({ attempts: k, declines: k, cards: k }) })).level,
    );
    const firstHighest = levels.indexOf("highest");
    expect(firstHighest).toBeGreaterThan(0);
    expect(firstHighest).toBeLessThan(8);
    expect(levels.slice(firstHighest).every((l) => l === "highest")).toBe(true);
  });

  it("Radar's test cards score at their documented level whatever else is seen", () => {
    expect(assessRisk(input({ testCard: "highest" }))).toMatchObject({ score: 85, level: "highest" });
    expect(assessRisk(input({ testCard: "elevated" }))).toMatchObject({ score: 70, level: "elevated" });
    const busy = input({ testCard: "elevated", network: w({}, { declines: 9 }), ip: w({ cards: 9 }) });
    expect(assessRisk(busy)).toMatchObject({ score: 74, level: "elevated" });
  });

  it("levels: normal below 65, elevated 65–74, highest from 75", () => {
    expect([64, 65, 74, 75].map(riskLevel)).toEqual(["normal", "elevated", "elevated", "highest"]);
  });

  it("small amounts by currency exponent", () => {
    expect(isSmallAmount(199, usd)).toBe(true);
    expect(isSmallAmount(200, usd)).toBe(false);
    expect(isSmallAmount(199, "jpy" as Currency)).toBe(true);
    expect(isSmallAmount(1999, "kwd" as Currency)).toBe(true);
  });

  it("the score is 0–100, its level matches it, and its contributions explain it", () => {
    const counts = fc.record({
      attempts: fc.nat(60),
      declines: fc.nat(60),
      approvals: fc.nat(60),
      cards: fc.nat(60),
      small: fc.nat(60),
    });
    const win = fc.option(fc.record({ hour: counts, day: counts }), { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          amount: fc.integer({ min: 1, max: 99_999_999 }),
          network: win,
          card: win,
          ip: win,
          email: win,
          customer: win,
          cardCountry: fc.constantFrom(null, "US", "FR"),
          ipCountry: fc.constantFrom(null, "US", "FR"),
          testCard: fc.constantFrom(null, "highest" as const, "elevated" as const),
        }),
        (r) => {
          const a = assessRisk({ ...r, currency: usd });
          expect(a.score).toBeGreaterThanOrEqual(0);
          expect(a.score).toBeLessThanOrEqual(100);
          expect(a.level).toBe(riskLevel(a.score));
          const sum = a.contributions.reduce((s, c) => s + c.points, 0);
          expect(Math.min(100, sum)).toBe(a.score);
        },
      ),
    );
  });
});

/**
 * The verdict: default rules block highest and review elevated, merchant rules in Radar's order, test
 * cards; and which verdict a run gets from its pin, whether it retries, and what it could read.
 */
import { describe, expect, it } from "vitest";
import { type FraudVerdict, fraudVerdict, screenVerdict, verdictOutcome } from "../../src/domain/fraud-verdict";
import { type ParsedRule, parsePredicate } from "../../src/domain/radar-rules";
import { assessRisk, riskLevel } from "../../src/domain/risk";

const rule = (id: string, action: ParsedRule["action"], source: string): ParsedRule => {
  const r = parsePredicate(source);
  if (!r.ok) throw new Error(r.error.message);
  return { id, action, predicate: r.predicate };
};
const defaults = [
  rule("rule_default_block_highest", "block", ":risk_level: = 'highest'"),
  rule("rule_default_review_elevated", "review", ":risk_level: = 'elevated'"),
];
const at = (score: number) => ({ score, level: riskLevel(score), contributions: [] });
const none = () => false;

describe("fraudVerdict", () => {
  it("authorizes normal risk, reviews elevated, blocks highest, with Radar's reasons", () => {
    expect(fraudVerdict(at(10), defaults, {}, none)).toMatchObject({ action: "authorize", rule: null, reason: null });
    expect(fraudVerdict(at(70), defaults, {}, none)).toMatchObject({
      action: "review",
      rule: { id: "rule_default_review_elevated", action: "review" },
      reason: "elevated_risk_level",
    });
    expect(fraudVerdict(at(90), defaults, {}, none)).toMatchObject({
      action: "block",
      reason: "highest_risk_level",
    });
  });

  it("a merchant allow rule wins over the default block; list membership blocks", () => {
    const rules = [
      ...defaults,
      rule("rule_vip", "allow", ":email: in @vip"),
      rule("rule_bad", "block", ":email: in @bad"),
    ];
    const lists = (alias: string, v: unknown) =>
      (alias === "vip" && v === "ceo@x.com") || (alias === "bad" && v === "evil@x.com");
    expect(fraudVerdict(at(95), rules, { email: "ceo@x.com" }, lists)).toMatchObject({
      action: "authorize",
      reason: "rule",
    });
    expect(fraudVerdict(at(5), rules, { email: "evil@x.com" }, lists)).toMatchObject({
      action: "block",
      rule: { id: "rule_bad" },
      reason: "rule",
    });
  });

  it("Radar's always-blocked test card is blocked whatever the rules say", () => {
    const allowAll = [rule("rule_all", "allow", ":amount: > 0")];
    expect(fraudVerdict(at(5), allowAll, { amount: 100 }, none, true)).toMatchObject({
      action: "block",
      reason: "test_mode_blocked",
    });
  });

  it("renders Stripe's outcome fields", () => {
    const v = fraudVerdict(
      assessRisk({
        amount: 100,
        currency: "usd" as never,
        network: null,
        card: null,
        ip: null,
        email: null,
        customer: null,
        cardCountry: null,
        ipCountry: null,
        testCard: "highest",
      }),
      defaults,
      {},
      none,
    );
    expect(verdictOutcome(v)).toMatchObject({ type: "blocked", risk_level: "highest", risk_score: 85 });
  });
});

describe("screenVerdict", () => {
  const verdict = (action: FraudVerdict["action"], score: number): FraudVerdict => ({
    ...at(score),
    action,
    rule: null,
    reason: null,
  });
  const risk = at(40);

  it("a pinned verdict stands, even when the rules could not be read", () => {
    const pinned = verdict("review", 70);
    expect(screenVerdict({ pinned, retry: true, risk, fresh: null })).toBe(pinned);
    expect(screenVerdict({ pinned, retry: true, risk, fresh: verdict("authorize", 5) })).toBe(pinned);
  });

  it("a retry with nothing pinned is held for review, never blocked nor captured", () => {
    for (const fresh of [verdict("block", 90), verdict("authorize", 5), null]) {
      expect(screenVerdict({ pinned: null, retry: true, risk, fresh })).toMatchObject({ action: "review" });
    }
    // Its score is this run's, from the rules' verdict or else the risk alone.
    expect(screenVerdict({ pinned: null, retry: true, risk, fresh: null })).toMatchObject({ score: 40 });
  });

  it("a first run gets its fresh verdict, and none (fail open) when the rules could not be read", () => {
    const fresh = verdict("block", 90);
    expect(screenVerdict({ pinned: null, retry: false, risk, fresh })).toBe(fresh);
    expect(screenVerdict({ pinned: null, retry: false, risk, fresh: null })).toBeNull();
  });
});

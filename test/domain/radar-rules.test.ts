/** The rule language: parsing, useful syntax errors, evaluation and the allow → block → review order. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluate,
  firstFiring,
  listRefs,
  type ParsedRule,
  type Predicate,
  parsePredicate,
  type RuleFacts,
} from "../../src/domain/radar-rules";

function parsed(source: string): Predicate {
  const r = parsePredicate(source);
  if (!r.ok) throw new Error(`${source}: ${r.error.message} at ${r.error.position}`);
  return r.predicate;
}

const none = () => false;

function holds(source: string, facts: RuleFacts, lists: Record<string, string[]> = {}): boolean {
  return evaluate(parsed(source), facts, (alias, v) => (lists[alias] ?? []).includes(String(v)));
}

describe("parsing and evaluating predicates", () => {
  it("compares attributes with values and with each other", () => {
    expect(holds(":risk_level: = 'highest'", { risk_level: "highest" })).toBe(true);
    expect(holds(":risk_level: = 'highest'", { risk_level: "normal" })).toBe(false);
    expect(holds(":risk_score: >= 75", { risk_score: 75 })).toBe(true);
    expect(holds(":risk_score: > 75", { risk_score: 75 })).toBe(false);
    expect(holds(':amount: < 100 and :currency: = "usd"', { amount: 99, currency: "usd" })).toBe(true);
    expect(holds(":card_country: != :ip_country:", { card_country: "US", ip_country: "FR" })).toBe(true);
    expect(holds(":card_country: != :ip_country:", { card_country: "US", ip_country: "US" })).toBe(false);
    expect(holds("500 < :amount:", { amount: 501 })).toBe(true);
  });

  it("and binds tighter than or; not and parentheses work", () => {
    const facts = { amount: 10, currency: "eur", risk_score: 10 };
    expect(holds(":amount: > 5 or :currency: = 'usd' and :risk_score: > 50", facts)).toBe(true);
    expect(holds("(:amount: > 5 or :currency: = 'usd') and :risk_score: > 50", facts)).toBe(false);
    expect(holds("not :currency: = 'usd'", facts)).toBe(true);
    expect(holds("NOT (:currency: = 'eur') OR :amount: = 10", facts)).toBe(true);
  });

  it("a missing fact makes a comparison false; is_missing tests for it", () => {
    expect(holds(":email: = 'a@b.c'", {})).toBe(false);
    expect(holds(":email: != 'a@b.c'", {})).toBe(false);
    expect(holds(":ip_country: in ('US')", { ip_country: null })).toBe(false);
    expect(holds(":ip_country: not in ('US')", { ip_country: null })).toBe(false);
    expect(holds("is_missing(:email:)", {})).toBe(true);
    expect(holds("is_missing(:email:)", { email: "a@b.c" })).toBe(false);
  });

  it("looks values up in lists and in literal sets", () => {
    const lists = { blocked_cards: ["fp_1"] };
    expect(holds(":card_fingerprint: in @blocked_cards", { card_fingerprint: "fp_1" }, lists)).toBe(true);
    expect(holds(":card_fingerprint: in @blocked_cards", { card_fingerprint: "fp_2" }, lists)).toBe(false);
    expect(holds(":card_fingerprint: not in @blocked_cards", { card_fingerprint: "fp_2" }, lists)).toBe(true);
    expect(holds(":ip_country: in ('KP', 'IR')", { ip_country: "IR" })).toBe(true);
    expect(listRefs(parsed(":email: in @a or (:ip_address: in @b and :email: in @a)"))).toEqual([
      { attribute: "email", list: "a" },
      { attribute: "ip_address", list: "b" },
    ]);
  });
});

describe("syntax errors point at the offending token", () => {
  const cases: [string, string, number][] = [
    [":risk_levle: = 'highest'", ":risk_levle:", 0],
    [":risk_score: = 'high'", "'high'", 15],
    [":risk_level: > 'a'", ">", 13],
    [":amount: > 1.5", "1.5", 11],
    [":amount: > ", "", 11],
    [":amount: 5", "5", 9],
    ["(:amount: > 5", "", 13],
    [":amount: > 5 :currency: = 'usd'", ":currency:", 13],
    [":currency: = usd", "usd", 13],
    [":currency: = 'usd", "'usd", 13],
    ["'a' = 'b'", "'a'", 0],
    [":email: in @Bad", "@Bad", 11],
    [":email: not = 'x'", "=", 12],
    [":amount: in ('a')", "'a'", 13],
    ["", "", 0],
  ];
  it.each(cases)("%s", (source, token, position) => {
    const r = parsePredicate(source);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect({ token: r.error.token, position: r.error.position }).toEqual({ token, position });
    expect(r.error.message.length).toBeGreaterThan(5);
  });

  it("refuses long and deeply nested rules without throwing", () => {
    expect(parsePredicate(`${"(".repeat(50)}:amount: > 1${")".repeat(50)}`).ok).toBe(false);
    expect(parsePredicate(`${"not ".repeat(50)}:amount: > 1`).ok).toBe(false);
    expect(parsePredicate(`:amount: > 1${" or :amount: > 1".repeat(100)}`).ok).toBe(false);
  });

  it("never throws on arbitrary input", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (s) => {
        const r = parsePredicate(s);
        if (r.ok) evaluate(r.predicate, {}, none);
      }),
    );
  });
});

describe("rule order", () => {
  const rule = (id: string, action: ParsedRule["action"], source: string): ParsedRule => ({
    id,
    action,
    predicate: parsed(source),
  });
  const rules = [
    rule("review_big", "review", ":amount: > 1000"),
    rule("block_high", "block", ":risk_score: >= 75"),
    rule("allow_vip", "allow", ":email: in @vip"),
  ];
  const vip = (alias: string, v: unknown) => alias === "vip" && v === "ceo@example.com";

  it("takes allow, then block, then review, whatever order the rules were written in", () => {
    expect(firstFiring(rules, { amount: 5000, risk_score: 90, email: "ceo@example.com" }, vip)?.id).toBe("allow_vip");
    expect(firstFiring(rules, { amount: 5000, risk_score: 90, email: "x@example.com" }, vip)?.id).toBe("block_high");
    expect(firstFiring(rules, { amount: 5000, risk_score: 10 }, vip)?.id).toBe("review_big");
    expect(firstFiring(rules, { amount: 10, risk_score: 10 }, vip)).toBeNull();
  });
});

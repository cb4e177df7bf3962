/** Payment routing: each condition, first match wins, split order and weights, the default, dedupe, accepts() and seeds. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { sha256Hex } from "../../src/crypto/digest";
import {
  type AccountTerms,
  accepts,
  candidates,
  type RoutingConditions,
  type RoutingConfig,
  type RoutingFacts,
  type RoutingRule,
  seedOf,
} from "../../src/domain/routing";

const FACTS: RoutingFacts = {
  amount: 1000,
  currency: "usd",
  brand: "visa",
  country: "US",
  bin: "424242",
  metadata: {},
};
const facts = (over: Partial<RoutingFacts> = {}): RoutingFacts => ({ ...FACTS, ...over });
const to = (id: string, conditions: RoutingConditions, connector = `mca_${id}`): RoutingRule => ({
  id,
  conditions,
  action: { type: "connector", connector },
});
const config = (rules: RoutingRule[], fallback: string | null = null): RoutingConfig => ({
  version: 1,
  rules,
  default_connector: fallback,
});
/** The connectors routing proposes for `f` under `rules`, default `mca_default`. */
const route = (rules: RoutingRule[], f: RoutingFacts, seed = 0) =>
  candidates(config(rules, "mca_default"), f, seed).map((c) => c.connector);
/** True when the single rule `conditions` routes `f` to its connector (before the default). */
const hits = (conditions: RoutingConditions, f: RoutingFacts) => route([to("r", conditions)], f)[0] === "mca_r";

describe("conditions", () => {
  it("currency: the payment's currency must be listed", () => {
    expect(hits({ currencies: ["eur", "usd"] }, facts())).toBe(true);
    expect(hits({ currencies: ["eur"] }, facts())).toBe(false);
  });

  it("amount: both bounds are inclusive", () => {
    const band = { amount_gte: 100, amount_lte: 200 };
    expect([99, 100, 150, 200, 201].map((amount) => hits(band, facts({ amount })))).toEqual([
      false,
      true,
      true,
      true,
      false,
    ]);
    expect(hits({ amount_gte: 1000 }, facts())).toBe(true);
    expect(hits({ amount_lte: 999 }, facts())).toBe(false);
  });

  it("brand: must be listed, and an unknown brand never matches", () => {
    expect(hits({ brands: ["visa"] }, facts())).toBe(true);
    expect(hits({ brands: ["amex"] }, facts())).toBe(false);
    expect(hits({ brands: ["visa"] }, facts({ brand: null }))).toBe(false);
    expect(hits({}, facts({ brand: null }))).toBe(true);
  });

  it("country: must be listed, and an unknown country never matches", () => {
    expect(hits({ countries: ["GB", "US"] }, facts())).toBe(true);
    expect(hits({ countries: ["GB"] }, facts())).toBe(false);
    expect(hits({ countries: ["US"] }, facts({ country: null }))).toBe(false);
  });

  it("BIN ranges: inclusive, compared on the range's length of leading digits", () => {
    const six = { bin_ranges: [{ from: "424000", to: "424242" }] };
    expect(hits(six, facts({ bin: "424242" }))).toBe(true);
    expect(hits(six, facts({ bin: "42400099" }))).toBe(true);
    expect(hits(six, facts({ bin: "42424299" }))).toBe(true);
    expect(hits(six, facts({ bin: "423999" }))).toBe(false);
    expect(hits(six, facts({ bin: "424243" }))).toBe(false);
    expect(hits(six, facts({ bin: null }))).toBe(false);
    // An 8-digit range needs an 8-digit BIN.
    const eight = { bin_ranges: [{ from: "42424200", to: "42424299" }] };
    expect(hits(eight, facts({ bin: "42424250" }))).toBe(true);
    expect(hits(eight, facts({ bin: "424242" }))).toBe(false);
    // Any one range of several.
    const two = { bin_ranges: [{ from: "510000", to: "559999" }, ...six.bin_ranges] };
    expect(hits(two, facts({ bin: "555555" }))).toBe(true);
    expect(hits(two, facts({ bin: "600000" }))).toBe(false);
  });

  it("metadata: every pair must equal, a missing key never matches (nor an inherited one)", () => {
    const cond = { metadata: { tier: "gold", region: "eu" } };
    expect(hits(cond, facts({ metadata: { tier: "gold", region: "eu", other: "x" } }))).toBe(true);
    expect(hits(cond, facts({ metadata: { tier: "gold" } }))).toBe(false);
    expect(hits(cond, facts({ metadata: { tier: "gold", region: "us" } }))).toBe(false);
    expect(hits({ metadata: { toString: "x" } }, facts())).toBe(false);
  });

  it("all conditions of a rule must hold", () => {
    const cond = { currencies: ["usd"], brands: ["visa"], countries: ["US"], amount_lte: 5000 };
    expect(hits(cond, facts())).toBe(true);
    expect(hits(cond, facts({ country: "FR" }))).toBe(false);
    expect(hits(cond, facts({ amount: 5001 }))).toBe(false);
    expect(hits(cond, facts({ currency: "eur" }))).toBe(false);
  });
});

describe("candidates", () => {
  it("the first matching rule wins, then the default", () => {
    const rules = [to("eur", { currencies: ["eur"] }), to("visa", { brands: ["visa"] }), to("any", {})];
    expect(candidates(config(rules, "mca_default"), facts(), 0)).toEqual([
      { connector: "mca_visa", rule: "visa" },
      { connector: "mca_default", rule: null },
    ]);
    expect(route(rules, facts({ currency: "eur" }))).toEqual(["mca_eur", "mca_default"]);
    expect(route(rules, facts({ brand: "amex" }))).toEqual(["mca_any", "mca_default"]);
  });

  it("no matching rule: the default alone, or nothing", () => {
    const rules = [to("eur", { currencies: ["eur"] })];
    expect(candidates(config(rules, "mca_d"), facts(), 0)).toEqual([{ connector: "mca_d", rule: null }]);
    expect(candidates(config(rules), facts(), 0)).toEqual([]);
    expect(candidates(null, facts(), 0)).toEqual([]);
  });

  it("a split puts the seeded member first, then the others in declared order, then the default", () => {
    const split: RoutingRule = {
      id: "s",
      conditions: {},
      action: {
        type: "split",
        split: [
          { connector: "a", weight: 1 },
          { connector: "b", weight: 1 },
          { connector: "c", weight: 2 },
        ],
      },
    };
    const order = (seed: number) => candidates(config([split], "d"), facts(), seed).map((c) => c.connector);
    expect(order(0)).toEqual(["a", "b", "c", "d"]);
    expect(order(1)).toEqual(["b", "a", "c", "d"]);
    expect(order(2)).toEqual(["c", "a", "b", "d"]);
    expect(order(3)).toEqual(["c", "a", "b", "d"]);
    expect(order(4)).toEqual(["a", "b", "c", "d"]);
    expect(order(0xffffffff)).toEqual(["c", "a", "b", "d"]);
    expect(candidates(config([split], "d"), facts(), 1).map((c) => c.rule)).toEqual(["s", "s", "s", null]);
  });

  it("deduplicates, keeping the first: a default that the rule already chose is not repeated", () => {
    expect(candidates(config([to("r", {}, "x")], "x"), facts(), 0)).toEqual([{ connector: "x", rule: "r" }]);
    const split: RoutingRule = {
      id: "s",
      conditions: {},
      action: {
        type: "split",
        split: [
          { connector: "x", weight: 1 },
          { connector: "y", weight: 1 },
        ],
      },
    };
    expect(candidates(config([split], "y"), facts(), 0)).toEqual([
      { connector: "x", rule: "s" },
      { connector: "y", rule: "s" },
    ]);
  });

  it("a split always proposes each member once, the seeded one first, whatever the weights and seed", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 10_000 }), { minLength: 2, maxLength: 10 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (weights, seed) => {
          const split = weights.map((weight, i) => ({ connector: `m${i}`, weight }));
          const got = candidates(
            config([{ id: "s", conditions: {}, action: { type: "split", split } }]),
            facts(),
            seed,
          );
          const names = got.map((c) => c.connector);
          expect([...names].sort()).toEqual(split.map((m) => m.connector).sort());
          // The first is the member whose cumulative weight band holds seed % total.
          const point = seed % weights.reduce((a, b) => a + b, 0);
          const ends = weights.map((_, i) => weights.slice(0, i + 1).reduce((a, b) => a + b, 0));
          const first = ends.findIndex((end) => end > point);
          expect(names[0]).toBe(`m${first}`);
          expect(names.slice(1)).toEqual(split.filter((_, i) => i !== first).map((m) => m.connector));
        },
      ),
    );
  });

  it("a weighted split converges to its weights over 10,000 intents (±2 percentage points)", async () => {
    const split = [
      { connector: "a", weight: 70 },
      { connector: "b", weight: 20 },
      { connector: "c", weight: 10 },
    ];
    const cfg = config([{ id: "s", conditions: {}, action: { type: "split", split } }]);
    const counts = new Map<string, number>();
    const N = 10_000;
    for (let i = 0; i < N; i++) {
      const seed = seedOf(await sha256Hex(`pi_${i.toString(36).padStart(24, "0")}`));
      const first = candidates(cfg, facts(), seed)[0]?.connector as string;
      counts.set(first, (counts.get(first) ?? 0) + 1);
    }
    for (const m of split) expect(Math.abs(((counts.get(m.connector) ?? 0) / N) * 100 - m.weight)).toBeLessThan(2);
  });
});

describe("accepts", () => {
  const account = (over: Partial<AccountTerms> = {}): AccountTerms => ({
    status: "active",
    mode: "test",
    currencies: [],
    brands: [],
    ...over,
  });

  it("takes an active account of the deployment's mode whose empty lists accept everything", () => {
    expect(accepts(account(), facts(), "test")).toBe(true);
    expect(accepts(account(), facts({ brand: null }), "test")).toBe(true);
    expect(accepts(account({ status: "disabled" }), facts(), "test")).toBe(false);
    expect(accepts(account(), facts(), "live")).toBe(false);
    expect(accepts(account({ mode: "live" }), facts(), "live")).toBe(true);
  });

  it("restricted lists: the currency and brand must be listed; an unknown brand is refused", () => {
    expect(accepts(account({ currencies: ["usd", "eur"] }), facts(), "test")).toBe(true);
    expect(accepts(account({ currencies: ["eur"] }), facts(), "test")).toBe(false);
    expect(accepts(account({ brands: ["visa"] }), facts(), "test")).toBe(true);
    expect(accepts(account({ brands: ["amex"] }), facts(), "test")).toBe(false);
    expect(accepts(account({ brands: ["visa"] }), facts({ brand: null }), "test")).toBe(false);
  });
});

describe("seedOf", () => {
  it("reads the first 8 hex digits as a uint32, and refuses what is not a hex digest", async () => {
    expect(seedOf("00000001ffff")).toBe(1);
    expect(seedOf("ffffffff")).toBe(0xffffffff);
    expect(seedOf("FFFFFFFE00")).toBe(0xfffffffe);
    const seed = seedOf(await sha256Hex("pi_123"));
    expect(Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff).toBe(true);
    expect(seedOf(await sha256Hex("pi_123"))).toBe(seed);
    expect(() => seedOf("1234567")).toThrow();
    expect(() => seedOf("xyz12345")).toThrow();
  });
});

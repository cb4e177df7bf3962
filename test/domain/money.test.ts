/** Currency table and amount rules: Stripe's decimal lists, amount steps (isk, three-decimal), minimums, bounds. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  amountStep,
  CURRENCIES,
  type Currency,
  exponent,
  isCurrency,
  THREE_DECIMAL,
  WHOLE_UNITS,
  ZERO_DECIMAL,
} from "../../src/domain/currencies";
import { amountMessage, checkAmount, MAX_AMOUNT, minimumCharge } from "../../src/domain/money";

const cur = (c: string) => {
  if (!isCurrency(c)) throw new Error(c);
  return c;
};

describe("currencies", () => {
  it("has exactly Stripe's zero-decimal, three-decimal and whole-unit lists", () => {
    const zero = "bif clp djf gnf jpy kmf krw mga pyg rwf ugx vnd vuv xaf xof xpf".split(" ");
    expect([...ZERO_DECIMAL]).toEqual(zero);
    expect([...THREE_DECIMAL]).toEqual(["bhd", "jod", "kwd", "omr", "tnd"]);
    expect([...WHOLE_UNITS]).toEqual(["isk"]);
    expect(CURRENCIES.filter((c) => exponent(c) === 0)).toEqual(zero);
    expect(CURRENCIES.filter((c) => exponent(c) === 3)).toEqual([...THREE_DECIMAL]);
    expect(CURRENCIES.filter((c) => amountStep(c) === 100)).toEqual(["isk"]);
  });

  it("gives each currency its exponent and amount step", () => {
    expect([exponent(cur("jpy")), amountStep(cur("jpy"))]).toEqual([0, 1]);
    expect([exponent(cur("isk")), amountStep(cur("isk"))]).toEqual([2, 100]);
    expect([exponent(cur("kwd")), amountStep(cur("kwd"))]).toEqual([3, 10]);
    expect([exponent(cur("usd")), amountStep(cur("usd"))]).toEqual([2, 1]);
    // huf and twd are special cases for payouts only: ordinary two-decimal charges.
    for (const c of ["huf", "twd", "eur"]) expect([exponent(cur(c)), amountStep(cur(c))]).toEqual([2, 1]);
  });

  it("accepts only lowercase codes it lists, and lists each once", () => {
    for (const c of ["USD", "xau", "usdd", "iqd", "lyd", ""]) expect(isCurrency(c)).toBe(false);
    expect(new Set(CURRENCIES).size).toBe(CURRENCIES.length);
    expect(CURRENCIES.length).toBeGreaterThan(140);
    for (const c of [...ZERO_DECIMAL, ...THREE_DECIMAL, ...WHOLE_UNITS]) expect(CURRENCIES).toContain(c);
    for (const c of CURRENCIES) expect(c).toMatch(/^[a-z]{3}$/);
  });

  it("throws, never defaults, for a code that was cast past isCurrency", () => {
    const forged = "iqd" as Currency;
    expect(() => exponent(forged)).toThrow(/not in the table/);
    expect(() => amountStep(forged)).toThrow(/not in the table/);
    expect(() => checkAmount(1000, forged, "charge")).toThrow(/not in the table/);
  });
});

describe("checkAmount", () => {
  const usd = cur("usd");
  const jpy = cur("jpy");
  const kwd = cur("kwd");
  const isk = cur("isk");

  it("applies the charge minimum per currency, on the currency's step", () => {
    expect([minimumCharge(usd), minimumCharge(jpy), minimumCharge(kwd), minimumCharge(isk)]).toEqual([50, 1, 500, 100]);
    expect(checkAmount(49, usd, "charge")).toMatchObject({ ok: false, code: "amount_too_small", min: 50 });
    expect(checkAmount(50, usd, "charge")).toEqual({ ok: true, amount: 50 });
    expect(checkAmount(1, jpy, "charge")).toEqual({ ok: true, amount: 1 });
    expect(checkAmount(0, jpy, "charge")).toMatchObject({ ok: false, code: "amount_too_small" });
  });

  it("takes isk as two-decimal whole krónur: multiples of 100 only, charges and parts alike", () => {
    expect(checkAmount(100, isk, "charge")).toEqual({ ok: true, amount: 100 });
    expect(checkAmount(150, isk, "charge")).toEqual({
      ok: false,
      code: "parameter_invalid",
      reason: "amount_step",
      step: 100,
    });
    expect(checkAmount(99, isk, "charge")).toMatchObject({ ok: false, code: "amount_too_small", min: 100 });
    expect(checkAmount(1, isk, "charge")).toMatchObject({ ok: false, code: "amount_too_small", min: 100 });
    expect(checkAmount(50, isk, "part")).toMatchObject({ ok: false, reason: "amount_step", step: 100 });
    expect(checkAmount(200, isk, "part", 300)).toEqual({ ok: true, amount: 200 });
    expect(checkAmount(MAX_AMOUNT, isk, "charge")).toMatchObject({ ok: false, reason: "amount_step" });
  });

  it("keeps jpy zero-decimal: every positive integer is a whole yen", () => {
    expect(checkAmount(1, jpy, "part")).toEqual({ ok: true, amount: 1 });
    expect(checkAmount(150, jpy, "charge")).toEqual({ ok: true, amount: 150 });
  });

  it("requires three-decimal amounts to end in 0 (step 10)", () => {
    expect(checkAmount(1005, kwd, "charge")).toMatchObject({ ok: false, reason: "amount_step", step: 10 });
    expect(checkAmount(1010, kwd, "charge")).toEqual({ ok: true, amount: 1010 });
    expect(checkAmount(15, kwd, "part")).toMatchObject({ ok: false, reason: "amount_step", step: 10 });
    expect(checkAmount(10, kwd, "part")).toEqual({ ok: true, amount: 10 });
  });

  it("caps amounts at the 8-digit maximum or the given bound", () => {
    expect(checkAmount(MAX_AMOUNT, usd, "charge").ok).toBe(true);
    expect(checkAmount(MAX_AMOUNT + 1, usd, "charge")).toMatchObject({ ok: false, code: "amount_too_large" });
    expect(checkAmount(101, usd, "part", 100)).toMatchObject({ ok: false, code: "amount_too_large", max: 100 });
    expect(checkAmount(1, usd, "part", 100)).toEqual({ ok: true, amount: 1 });
  });

  it("refuses non-positive and non-integer parts", () => {
    expect(checkAmount(0, usd, "part")).toMatchObject({ ok: false, reason: "not_positive" });
    expect(checkAmount(1.5, usd, "part")).toMatchObject({ ok: false, reason: "not_positive" });
  });

  it("explains a step refusal with the step", () => {
    const refused = checkAmount(150, isk, "charge");
    if (refused.ok) throw new Error("accepted");
    expect(amountMessage(refused, "isk")).toBe("Amounts in isk must be a multiple of 100 (minor units).");
    const odd = checkAmount(1005, kwd, "charge");
    if (odd.ok) throw new Error("accepted");
    expect(amountMessage(odd, "kwd")).toBe("Amounts in kwd must be a multiple of 10 (minor units).");
  });

  it("accepts, for every currency, exactly the step multiples within bounds (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CURRENCIES),
        fc.constantFrom<"charge" | "part">("charge", "part"),
        fc.oneof(fc.integer({ min: -10, max: 100_000 }), fc.integer({ min: 1, max: MAX_AMOUNT + 100 })),
        (c, kind, amount) => {
          const step = amountStep(c);
          const min = minimumCharge(c);
          expect(min % step).toBe(0);
          const r = checkAmount(amount, c, kind);
          const lowest = kind === "charge" ? min : 1;
          const expected = amount >= lowest && amount <= MAX_AMOUNT && amount % step === 0;
          expect(r.ok).toBe(expected);
          if (r.ok) expect(r.amount).toBe(amount);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("accepts each currency's minimum charge and every step above it, and nothing just below (all currencies)", () => {
    for (const c of CURRENCIES) {
      const min = minimumCharge(c);
      expect(checkAmount(min - 1, c, "charge").ok).toBe(false);
      fc.assert(
        fc.property(fc.integer({ min: 0, max: 10_000 }), (k) => {
          const amount = min + k * amountStep(c);
          expect(checkAmount(amount, c, "charge")).toEqual({ ok: true, amount });
          expect(checkAmount(amount, c, "part")).toEqual({ ok: true, amount });
        }),
        { numRuns: 20, examples: [[0]] },
      );
    }
  });
});

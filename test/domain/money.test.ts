import { describe, expect, it } from "vitest";
import {
  CURRENCIES,
  type Currency,
  exponent,
  isCurrency,
  THREE_DECIMAL,
  ZERO_DECIMAL,
} from "../../src/domain/currencies";
import { checkAmount, MAX_AMOUNT, minimumCharge, smallestUnit } from "../../src/domain/money";

const cur = (c: string) => {
  if (!isCurrency(c)) throw new Error(c);
  return c;
};

describe("currencies", () => {
  it("knows every Stripe zero- and three-decimal currency with its exponent", () => {
    for (const c of [
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
    ]) {
      expect(exponent(cur(c))).toBe(0);
    }
    for (const c of ["bhd", "jod", "kwd", "omr", "tnd"]) expect(exponent(cur(c))).toBe(3);
    expect(exponent(cur("usd"))).toBe(2);
    expect(exponent(cur("eur"))).toBe(2);
  });

  it("accepts only lowercase ISO codes it lists, and lists each once", () => {
    expect(isCurrency("USD")).toBe(false);
    expect(isCurrency("xau")).toBe(false);
    expect(isCurrency("usdd")).toBe(false);
    expect(new Set(CURRENCIES).size).toBe(CURRENCIES.length);
    expect(CURRENCIES.length).toBeGreaterThan(140);
    for (const c of [...ZERO_DECIMAL, ...THREE_DECIMAL]) expect(CURRENCIES).toContain(c);
    for (const c of CURRENCIES) expect(c).toMatch(/^[a-z]{3}$/);
  });
});

describe("checkAmount", () => {
  const usd = cur("usd");
  const jpy = cur("jpy");
  const kwd = cur("kwd");

  it("applies the charge minimum per exponent", () => {
    expect([minimumCharge(usd), minimumCharge(jpy), minimumCharge(kwd)]).toEqual([50, 1, 500]);
    expect(checkAmount(49, usd, "charge")).toMatchObject({ ok: false, code: "amount_too_small", min: 50 });
    expect(checkAmount(50, usd, "charge")).toEqual({ ok: true, amount: 50 });
    expect(checkAmount(1, jpy, "charge")).toEqual({ ok: true, amount: 1 });
    expect(checkAmount(0, jpy, "charge")).toMatchObject({ ok: false, code: "amount_too_small" });
  });

  it("caps amounts at the 8-digit maximum or the given bound", () => {
    expect(checkAmount(MAX_AMOUNT, usd, "charge").ok).toBe(true);
    expect(checkAmount(MAX_AMOUNT + 1, usd, "charge")).toMatchObject({ ok: false, code: "amount_too_large" });
    expect(checkAmount(101, usd, "part", 100)).toMatchObject({ ok: false, code: "amount_too_large", max: 100 });
    expect(checkAmount(1, usd, "part", 100)).toEqual({ ok: true, amount: 1 });
  });

  it("requires three-decimal amounts to end in 0", () => {
    expect(checkAmount(1005, kwd, "charge")).toMatchObject({ ok: false, reason: "three_decimal_last_digit" });
    expect(checkAmount(1010, kwd, "charge")).toEqual({ ok: true, amount: 1010 });
    expect(checkAmount(15, kwd, "part")).toMatchObject({ ok: false, reason: "three_decimal_last_digit" });
    expect(smallestUnit(kwd)).toBe(10);
    expect(smallestUnit(jpy as Currency)).toBe(1);
  });

  it("refuses non-positive and non-integer parts", () => {
    expect(checkAmount(0, usd, "part")).toMatchObject({ ok: false, reason: "not_positive" });
    expect(checkAmount(1.5, usd, "part")).toMatchObject({ ok: false, reason: "not_positive" });
  });
});

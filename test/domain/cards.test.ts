/** Card rules: every brand, every validation code, Luhn properties. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type CardBrand,
  type CardInput,
  cvcLength,
  detectBrand,
  luhnValid,
  normalizePan,
  panLengths,
  validateCard,
} from "../../src/domain/cards";

const NOW = new Date(Date.UTC(2026, 10, 24)); // 24 Nov 2026

/** Published test numbers per brand (Stripe's list plus Luhn-valid range edges). */
const BRAND_CARDS: Array<[CardBrand, string]> = [
  ["visa", "4242424242424242"],
  ["visa", "4000056655665556"],
  ["visa", "4222222222222"], // 13 digits
  ["visa", "4000000000000000006"], // 19 digits
  ["mastercard", "5555555555554444"],
  ["mastercard", "5105105105105100"],
  ["mastercard", "2223003122003222"], // 2-series
  ["mastercard", "2720990000000007"], // top of the 2-series
  ["amex", "378282246310005"],
  ["amex", "371449635398431"],
  ["amex", "340000000000009"],
  ["discover", "6011111111111117"],
  ["discover", "6011000990139424"],
  ["discover", "6445644564456445"],
  ["discover", "6500000000000002"],
  ["jcb", "3566002020360505"],
  ["jcb", "3528000000000007"],
  ["diners", "3056930009020004"],
  ["diners", "36227206271667"], // 14 digits
  ["diners", "38000000000006"],
  ["unionpay", "6200000000000005"],
  ["unionpay", "6205500000000000004"], // 19 digits
];

function card(overrides: Partial<CardInput> = {}): CardInput {
  return { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123", ...overrides };
}

function errorOf(input: CardInput) {
  const r = validateCard(input, NOW);
  return r.ok ? null : r.error;
}

describe("detectBrand", () => {
  for (const [brand, pan] of BRAND_CARDS) {
    it(`${pan.slice(0, 6)}… (${pan.length} digits) is ${brand} and valid`, () => {
      expect(detectBrand(pan)).toBe(brand);
      expect(panLengths(brand)).toContain(pan.length);
      expect(luhnValid(pan)).toBe(true);
      const r = validateCard(card({ number: pan, cvc: brand === "amex" ? "1234" : "123" }), NOW);
      expect(r).toMatchObject({ ok: true, value: { brand, last4: pan.slice(-4), pan } });
    });
  }

  it("knows the edges of the mastercard 2-series and rejects just outside it", () => {
    expect(detectBrand("2221000000000000")).toBe("mastercard");
    expect(detectBrand("2720000000000000")).toBe("mastercard");
    expect(detectBrand("2220990000000000")).toBeNull();
    expect(detectBrand("2721000000000000")).toBeNull();
    expect(detectBrand("5000000000000000")).toBeNull();
    expect(detectBrand("5600000000000000")).toBeNull();
  });

  it("returns null for networks it does not accept", () => {
    for (const pan of [
      "1234567890123456",
      "9000000000000000",
      "3100000",
      "7000000000000000",
      "3300",
      "3527",
      "3590",
      "6010",
      "6400",
      "6600",
    ]) {
      expect(detectBrand(pan.padEnd(16, "0"))).toBeNull();
    }
  });
});

describe("luhnValid", () => {
  it("accepts a number and rejects it with any single digit changed", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 9 }), (pos, delta) => {
        const pan = "4242424242424242";
        const d = (Number(pan[pos]) + delta) % 10;
        const changed = pan.slice(0, pos) + d + pan.slice(pos + 1);
        return luhnValid(pan) && !luhnValid(changed);
      }),
    );
  });
  it("rejects non-digits", () => {
    expect(luhnValid("4242x42424242424")).toBe(false);
  });
});

/** Appends the Luhn check digit to a partial number. */
function withCheckDigit(body: string): string {
  for (let d = 0; d <= 9; d++) if (luhnValid(body + d)) return body + d;
  throw new Error("unreachable");
}

describe("validateCard properties", () => {
  const prefixes: Array<[CardBrand, string[]]> = [
    ["visa", ["4"]],
    ["mastercard", ["51", "55", "2221", "2500", "2720"]],
    ["amex", ["34", "37"]],
    ["discover", ["6011", "644", "649", "65"]],
    ["jcb", ["3528", "3589"]],
    ["diners", ["300", "305", "3095", "36", "38", "39"]],
    ["unionpay", ["62"]],
  ];
  it("accepts any Luhn-valid number with a brand's prefix and length, and rejects it with one digit changed", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc.nat(),
        fc.nat(),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 19, maxLength: 19 }),
        fc.nat(),
        ([brand, starts], pickStart, pickLength, digits, pickPos) => {
          const start = starts[pickStart % starts.length] as string;
          const lengths = panLengths(brand);
          const length = lengths[pickLength % lengths.length] as number;
          const pan = withCheckDigit(start + digits.slice(0, length - start.length - 1).join(""));
          const ok = validateCard(card({ number: pan, cvc: brand === "amex" ? "1234" : "123" }), NOW);
          if (!ok.ok || ok.value.brand !== brand || ok.value.pan !== pan) return false;
          const pos = pickPos % length;
          const changed = pan.slice(0, pos) + ((Number(pan[pos]) + 5) % 10) + pan.slice(pos + 1);
          const bad = validateCard(card({ number: changed, cvc: "1234" }), NOW);
          return !bad.ok && (bad.error.code === "incorrect_number" || bad.error.code === "invalid_number");
        },
      ),
    );
  });
});

describe("validateCard errors", () => {
  const cases: Array<[string, Partial<CardInput>, string, string]> = [
    ["Luhn failure", { number: "4242424242424241" }, "incorrect_number", "number"],
    ["letters", { number: "4242abcd42424242" }, "invalid_number", "number"],
    ["too short", { number: "42424242424" }, "invalid_number", "number"],
    ["too long", { number: "42424242424242424242" }, "invalid_number", "number"],
    ["unknown network", { number: "9999999999999995" }, "invalid_number", "number"],
    ["visa with 15 digits", { number: "424242424242426" }, "invalid_number", "number"],
    ["amex with 16 digits", { number: "3782822463100055" }, "invalid_number", "number"],
    ["mastercard with 19 digits", { number: "5555555555554444000" }, "invalid_number", "number"],
    ["empty number", { number: "" }, "invalid_number", "number"],
    ["month 0", { exp_month: 0 }, "invalid_expiry_month", "exp_month"],
    ["month 13", { exp_month: "13" }, "invalid_expiry_month", "exp_month"],
    ["month text", { exp_month: "ab" }, "invalid_expiry_month", "exp_month"],
    ["month fraction", { exp_month: 1.5 }, "invalid_expiry_month", "exp_month"],
    ["past month this year", { exp_month: 10, exp_year: 2026 }, "invalid_expiry_month", "exp_month"],
    ["past year", { exp_year: 2025 }, "invalid_expiry_year", "exp_year"],
    ["past two-digit year", { exp_year: "25" }, "invalid_expiry_year", "exp_year"],
    ["three-digit year", { exp_year: "203" }, "invalid_expiry_year", "exp_year"],
    ["year text", { exp_year: "20x0" }, "invalid_expiry_year", "exp_year"],
    ["year far ahead", { exp_year: 2100 }, "invalid_expiry_year", "exp_year"],
    ["CVC too short", { cvc: "12" }, "invalid_cvc", "cvc"],
    ["CVC too long for visa", { cvc: "1234" }, "invalid_cvc", "cvc"],
    ["CVC letters", { cvc: "12a" }, "invalid_cvc", "cvc"],
    ["amex CVC of 3", { number: "378282246310005", cvc: "123" }, "invalid_cvc", "cvc"],
    ["empty CVC", { cvc: "" }, "invalid_cvc", "cvc"],
  ];
  for (const [name, overrides, code, field] of cases) {
    it(`${name} → ${code} on ${field}`, () => {
      const error = errorOf(card(overrides));
      expect(error).toMatchObject({ code, field });
      // Messages never carry card data.
      expect(error?.message).not.toMatch(/\d{4}/);
    });
  }

  it("checks fields in Stripe's order: number before expiry before CVC", () => {
    expect(errorOf(card({ number: "1", exp_month: 13, cvc: "1" }))?.code).toBe("invalid_number");
    expect(errorOf(card({ exp_month: 13, exp_year: 1999, cvc: "1" }))?.code).toBe("invalid_expiry_month");
    expect(errorOf(card({ exp_year: 1999, cvc: "1" }))?.code).toBe("invalid_expiry_year");
  });
});

describe("validateCard success", () => {
  it("normalizes spaces and dashes, two-digit years and string months", () => {
    const r = validateCard(card({ number: "4242 4242-4242 4242", exp_month: "03", exp_year: "31" }), NOW);
    expect(r).toEqual({
      ok: true,
      value: {
        pan: "4242424242424242",
        brand: "visa",
        last4: "4242",
        expMonth: 3,
        expYear: 2031,
        cvc: "123",
        funding: "credit",
      },
    });
  });
  it("accepts the current month and a missing CVC", () => {
    const r = validateCard({ number: "5555555555554444", exp_month: 11, exp_year: 2026 }, NOW);
    expect(r).toMatchObject({ ok: true, value: { expMonth: 11, expYear: 2026, cvc: null } });
  });
  it("reports debit and prepaid test BINs", () => {
    expect(validateCard(card({ number: "4000056655665556" }), NOW)).toMatchObject({ value: { funding: "debit" } });
    expect(validateCard(card({ number: "5105105105105100" }), NOW)).toMatchObject({ value: { funding: "prepaid" } });
    expect(validateCard(card({ number: "6011111111111117" }), NOW)).toMatchObject({ value: { funding: "unknown" } });
  });
  it("CVC length is 4 for amex and 3 elsewhere", () => {
    expect(cvcLength("amex")).toBe(4);
    for (const b of ["visa", "mastercard", "discover", "jcb", "diners", "unionpay"] as const)
      expect(cvcLength(b)).toBe(3);
  });
  it("normalizePan rejects anything but 12–19 digits after stripping separators", () => {
    expect(normalizePan("4242 4242 4242 4242")).toBe("4242424242424242");
    expect(normalizePan("4242.4242.4242.4242")).toBeNull();
    expect(normalizePan("12345678901")).toBeNull();
  });
});

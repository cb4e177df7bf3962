/** The settlement terms' pure rules: fee rounding and cap, returned fees, and the availability cut-off. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { availableOn, captureFee, DAY, dayOf, returnedFee, type Terms } from "../../src/domain/fees";

const terms = (feeBps: number, fixed = 0, refundFees = false): Terms => ({
  feeBps,
  feeFixed: { usd: fixed },
  refundFees,
  delayDays: 2,
});

describe("captureFee", () => {
  it("rounds the percentage half up to the minor unit, then adds the fixed fee", () => {
    expect(captureFee(500, "usd", terms(290))).toBe(15); // 14.5
    expect(captureFee(499, "usd", terms(290))).toBe(14); // 14.471
    expect(captureFee(1000, "usd", terms(290, 30))).toBe(59);
    expect(captureFee(1000, "eur", terms(290, 30))).toBe(29); // no fixed fee in eur
    expect(captureFee(1, "usd", terms(10_000))).toBe(1);
  });

  it("is the exact rational rounded half up, never more than the amount (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.nat(10_000),
        (a, bps, fixed) => {
          const fee = captureFee(a, "usd", terms(bps, fixed));
          expect(Number.isSafeInteger(fee)).toBe(true);
          expect(fee).toBeLessThanOrEqual(a);
          expect(fee).toBeGreaterThanOrEqual(0);
          // percent p satisfies p − 1/2 ≤ a·bps/10000 < p + 1/2, in integers.
          const p = Math.min(a, captureFee(a, "usd", terms(bps, 0)));
          if (p < a) {
            expect(2 * p * 10_000 - 10_000).toBeLessThanOrEqual(2 * a * bps);
            expect(2 * a * bps).toBeLessThan(2 * p * 10_000 + 10_000);
          }
        },
      ),
    );
  });
});

describe("returnedFee", () => {
  it("returns nothing unless the terms say so", () => {
    expect(returnedFee({ amount: 1000, fee: 59 }, 1000, terms(290, 30, false))).toBe(0);
    expect(returnedFee({ amount: 1000, fee: 59 }, 1000, terms(290, 30, true))).toBe(59);
    expect(returnedFee({ amount: 1000, fee: 59 }, 333, terms(290, 30, true))).toBe(19);
  });

  it("the refunds of one charge never return more than its fee (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.nat(), { maxLength: 10 }), (amount, cuts) => {
        const fee = captureFee(amount, "usd", terms(290, 30));
        let left = amount;
        let back = 0;
        for (const c of cuts) {
          const r = left === 0 ? 0 : c % (left + 1);
          left -= r;
          back += returnedFee({ amount, fee }, r, terms(290, 30, true));
        }
        expect(back).toBeLessThanOrEqual(fee);
      }),
    );
  });
});

describe("availableOn", () => {
  it("is the first 00:00 UTC at or after the movement plus the delay", () => {
    const midnight = Date.UTC(2026, 11, 1) / 1000;
    expect(availableOn(midnight + 10 * 3600, 2)).toBe(midnight + 3 * DAY);
    expect(availableOn(midnight, 2)).toBe(midnight + 2 * DAY);
    expect(availableOn(midnight + 1, 0)).toBe(midnight + DAY);
    expect(dayOf(midnight + 3 * DAY - 1)).toBe("2026-12-03");
  });
});

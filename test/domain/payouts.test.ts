/** Payout rules: schedules (daily, weekly on its anchor day, manual never), no bank account, arrival dates and run keys. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DAY } from "../../src/domain/fees";
import {
  automaticArrival,
  failureMessage,
  manualArrival,
  PAYOUT_FAILURE_CODES,
  payoutDue,
  payoutRunKey,
  weekdayOf,
} from "../../src/domain/payouts";

const MONDAY = Date.UTC(2026, 10, 30) / 1000; // 2026-11-30

describe("payout rules", () => {
  it("weekdayOf agrees with Date#getUTCDay for any instant", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_000_000_000 }), (t) => {
        expect(weekdayOf(t)).toBe(new Date(t * 1000).getUTCDay());
      }),
    );
  });

  it("daily pays every day, weekly only on its anchor, manual never, and nothing without a bank account", () => {
    const bank = { bankLast4: "6789" };
    for (let d = 0; d < 7; d++) {
      const cutoff = MONDAY + d * DAY;
      expect(payoutDue({ ...bank, payoutSchedule: "daily", weeklyAnchor: 1 }, cutoff)).toEqual({ due: true });
      expect(payoutDue({ ...bank, payoutSchedule: "weekly", weeklyAnchor: 3 }, cutoff).due).toBe(d === 2);
      expect(payoutDue({ ...bank, payoutSchedule: "manual", weeklyAnchor: 1 }, cutoff)).toEqual({
        due: false,
        reason: "manual_schedule",
      });
      expect(payoutDue({ bankLast4: null, payoutSchedule: "daily", weeklyAnchor: 1 }, cutoff)).toEqual({
        due: false,
        reason: "no_bank_account",
      });
    }
  });

  it("arrival is the next 00:00 UTC; run keys name currency and day", () => {
    expect(automaticArrival(MONDAY)).toBe(MONDAY + DAY);
    expect(manualArrival(MONDAY + 3600)).toBe(MONDAY + DAY);
    expect(manualArrival(MONDAY)).toBe(MONDAY + DAY);
    expect(payoutRunKey("usd", MONDAY + 10)).toBe("usd:2026-11-30");
  });

  it("every failure code has a message", () => {
    for (const code of PAYOUT_FAILURE_CODES) expect(failureMessage(code).length).toBeGreaterThan(10);
  });
});

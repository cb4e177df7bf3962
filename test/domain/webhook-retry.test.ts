/** The webhook retry schedule: bounds, jitter, Retry-After, and status outcomes. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  afterFailure,
  LIVE_SCHEDULE,
  MAX_DELAY_SECONDS,
  outcomeOfStatus,
  parseRetryAfter,
  scheduleFor,
  TEST_SCHEDULE,
} from "../../src/domain/webhook-retry";

describe("schedules", () => {
  it("live retries for about three days, test mode for minutes, no delay over 12 h", () => {
    const total = (s: readonly number[]) => s.reduce((a, b) => a + b, 0);
    expect(total(LIVE_SCHEDULE) / 3600).toBeGreaterThan(60);
    expect(total(LIVE_SCHEDULE) / 3600).toBeLessThanOrEqual(72);
    expect(total(TEST_SCHEDULE)).toBeLessThan(15 * 60);
    for (const d of [...LIVE_SCHEDULE, ...TEST_SCHEDULE]) expect(d).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
    expect(scheduleFor("live")).toBe(LIVE_SCHEDULE);
    expect(scheduleFor("test")).toBe(TEST_SCHEDULE);
  });

  it("gives up after the last scheduled retry", () => {
    expect(afterFailure(TEST_SCHEDULE, TEST_SCHEDULE.length, null, 0)).toMatchObject({ kind: "retry" });
    expect(afterFailure(TEST_SCHEDULE, TEST_SCHEDULE.length + 1, null, 0)).toEqual({ kind: "dead" });
    expect(afterFailure(LIVE_SCHEDULE, 11, null, 0)).toEqual({ kind: "dead" });
  });

  it("never shortens a delay, jitters by at most 10 %, honours Retry-After up to 12 h", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: LIVE_SCHEDULE.length }),
        fc.option(fc.integer({ min: 0, max: 10 * MAX_DELAY_SECONDS })),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (attempt, retryAfter, random) => {
          const base = LIVE_SCHEDULE[attempt - 1] as number;
          const d = afterFailure(LIVE_SCHEDULE, attempt, retryAfter, random);
          if (d.kind !== "retry") throw new Error("expected a retry");
          expect(d.delaySeconds).toBeGreaterThanOrEqual(base);
          expect(d.delaySeconds).toBeLessThanOrEqual(MAX_DELAY_SECONDS);
          expect(Number.isInteger(d.delaySeconds)).toBe(true);
          if (retryAfter === null) expect(d.delaySeconds).toBeLessThanOrEqual(Math.ceil(base * 1.1));
          else expect(d.delaySeconds).toBeGreaterThanOrEqual(Math.min(retryAfter, MAX_DELAY_SECONDS));
        },
      ),
    );
  });
});

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-12-01T10:00:00Z");
  it("reads seconds and HTTP dates", () => {
    expect(parseRetryAfter("120", now)).toBe(120);
    expect(parseRetryAfter(" 7 ", now)).toBe(7);
    expect(parseRetryAfter("Tue, 01 Dec 2026 10:05:00 GMT", now)).toBe(300);
    expect(parseRetryAfter("Tue, 01 Dec 2026 09:00:00 GMT", now)).toBe(0);
  });
  it("ignores what it cannot read", () => {
    expect(parseRetryAfter(null, now)).toBeNull();
    expect(parseRetryAfter("-5", now)).toBeNull();
    expect(parseRetryAfter("soon", now)).toBeNull();
    expect(parseRetryAfter("1.5", now)).toBeNull();
  });
});

describe("outcomeOfStatus", () => {
  it("counts only 2xx as success, 410 as gone, redirects as failures", () => {
    expect(outcomeOfStatus(200)).toBe("succeeded");
    expect(outcomeOfStatus(204)).toBe("succeeded");
    expect(outcomeOfStatus(299)).toBe("succeeded");
    expect(outcomeOfStatus(302)).toBe("failed");
    expect(outcomeOfStatus(304)).toBe("failed");
    expect(outcomeOfStatus(410)).toBe("gone");
    expect(outcomeOfStatus(404)).toBe("failed");
    expect(outcomeOfStatus(500)).toBe("failed");
  });
});

/**
 * The alert rules: each at, just below and just above its threshold, each volume guard at and
 * below its minimum, the transitions, and (fast-check) that the integer comparison agrees with the
 * rounded value it reports.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ALERT_RULES,
  DEFAULT_THRESHOLDS,
  evaluateRule,
  evaluateRules,
  isAlertRule,
  stateAfter,
  transitionOf,
} from "../../src/domain/alerts";
import { stats } from "../helpers/metrics";

const quiet = stats();

describe("authorization_rate_drop", () => {
  // Baseline: 90 of 100 succeed (90%).
  const baseline = stats({ requests: 100, succeeded: 90, declined: 10 });
  const drop = (succeeded: number, declined: number, base = baseline) =>
    evaluateRule("authorization_rate_drop", stats({ requests: 100, succeeded, declined }), base);

  it("is ok exactly 20 points below the baseline (70% of 20), fires above", () => {
    expect(drop(14, 6)).toEqual({
      rule: "authorization_rate_drop",
      state: "ok",
      value: 20,
      threshold: 20,
      enough_volume: true,
    });
    // 13 of 20: 65%, 25 points below.
    expect(drop(13, 7)).toMatchObject({ state: "firing", value: 25 });
    // 29 of 40: 72.5%, 17.5 points below.
    expect(drop(29, 11)).toMatchObject({ state: "ok", value: 17.5 });
  });

  it("fires just above the threshold (69 of 100: 21 points)", () => {
    expect(drop(69, 31)).toMatchObject({ state: "firing", value: 21 });
    expect(drop(70, 30)).toMatchObject({ state: "ok", value: 20 });
  });

  it("needs 20 decided attempts in the 5 minutes and 20 in the baseline", () => {
    // 19 decided now, 0% success: stays ok.
    expect(drop(0, 19)).toMatchObject({ state: "ok", value: 90, enough_volume: false });
    expect(drop(0, 20)).toMatchObject({ state: "firing", value: 90, enough_volume: true });
    const thinBaseline = stats({ requests: 19, succeeded: 19 });
    expect(drop(0, 40, thinBaseline)).toMatchObject({ state: "ok", value: 100, enough_volume: false });
    const justEnough = stats({ requests: 20, succeeded: 20 });
    expect(drop(0, 40, justEnough)).toMatchObject({ state: "firing", value: 100 });
  });

  it("does not count attempts waiting for 3-D Secure as decided", () => {
    const now = stats({ requests: 100, succeeded: 5, declined: 14, requiresAction: 50 });
    expect(evaluateRule("authorization_rate_drop", now, baseline)).toMatchObject({ state: "ok", enough_volume: false });
  });

  it("reports no value when a window has no decided attempt", () => {
    expect(evaluateRule("authorization_rate_drop", quiet, baseline)).toMatchObject({ state: "ok", value: null });
    expect(evaluateRule("authorization_rate_drop", baseline, quiet)).toMatchObject({ state: "ok", value: null });
  });

  it("never fires when the rate rises", () => {
    const worse = stats({ requests: 100, succeeded: 50, declined: 50 });
    const better = stats({ requests: 100, succeeded: 100 });
    expect(evaluateRule("authorization_rate_drop", better, worse)).toMatchObject({ state: "ok", value: -50 });
  });

  it("agrees with the value it reports, at every rate (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 500 }),
        fc.integer({ min: 20, max: 500 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (cd, bd, cr, br) => {
          const cs = Math.floor(cd * cr);
          const bs = Math.floor(bd * br);
          const r = evaluateRule(
            "authorization_rate_drop",
            stats({ requests: cd, succeeded: cs, declined: cd - cs }),
            stats({ requests: bd, succeeded: bs, declined: bd - bs }),
          );
          const exact = (bs / bd - cs / cd) * 100;
          if (Math.abs(exact - 20) > 1e-9) expect(r.state).toBe(exact > 20 ? "firing" : "ok");
        },
      ),
    );
  });
});

describe("error_rate_5xx", () => {
  const rate = (requests: number, s5xx: number) =>
    evaluateRule("error_rate_5xx", stats({ requests, s5xx, s4xx: 10 }), quiet);

  it("is ok at exactly 2%, fires above it", () => {
    expect(rate(100, 2)).toEqual({ rule: "error_rate_5xx", state: "ok", value: 2, threshold: 2, enough_volume: true });
    expect(rate(100, 3)).toMatchObject({ state: "firing", value: 3 });
    expect(rate(100, 1)).toMatchObject({ state: "ok", value: 1 });
    // 21 of 1,000 (2.1%) fires; 20 of 1,000 does not.
    expect(rate(1000, 21)).toMatchObject({ state: "firing", value: 2.1 });
    expect(rate(1000, 20)).toMatchObject({ state: "ok", value: 2 });
  });

  it("needs 50 requests", () => {
    expect(rate(49, 49)).toMatchObject({ state: "ok", value: 100, enough_volume: false });
    expect(rate(50, 2)).toMatchObject({ state: "firing", value: 4, enough_volume: true });
    expect(rate(50, 1)).toMatchObject({ state: "ok", value: 2 });
  });

  it("counts 5xx only, never 4xx", () => {
    expect(evaluateRule("error_rate_5xx", stats({ requests: 100, s4xx: 90 }), quiet)).toMatchObject({
      state: "ok",
      value: 0,
    });
  });

  it("reports no value without requests", () => {
    expect(evaluateRule("error_rate_5xx", quiet, quiet)).toMatchObject({ state: "ok", value: null });
  });
});

describe("latency_p99", () => {
  const p99 = (requests: number, ms: number | null) => evaluateRule("latency_p99", stats({ requests, p99: ms }), quiet);

  it("is ok at exactly 2000 ms, fires above it", () => {
    expect(p99(100, 2000)).toEqual({
      rule: "latency_p99",
      state: "ok",
      value: 2000,
      threshold: 2000,
      enough_volume: true,
    });
    expect(p99(100, 2000.5)).toMatchObject({ state: "firing", value: 2000.5 });
    expect(p99(100, 1999)).toMatchObject({ state: "ok" });
  });

  it("needs 50 requests", () => {
    expect(p99(49, 9000)).toMatchObject({ state: "ok", value: 9000, enough_volume: false });
    expect(p99(50, 9000)).toMatchObject({ state: "firing" });
  });

  it("is ok with no latency measured", () => {
    expect(p99(100, null)).toMatchObject({ state: "ok", value: null });
  });
});

describe("thresholds", () => {
  it("can be lowered for a test or a small deployment", () => {
    const t = { ...DEFAULT_THRESHOLDS, minRequests: 5, error5xxPercent: 10 };
    expect(evaluateRule("error_rate_5xx", stats({ requests: 10, s5xx: 2 }), quiet, t)).toMatchObject({
      state: "firing",
      value: 20,
      threshold: 10,
    });
  });

  it("evaluates every rule in order", () => {
    expect(evaluateRules(quiet, quiet).map((r) => [r.rule, r.state])).toEqual(ALERT_RULES.map((r) => [r, "ok"]));
  });
});

describe("transitions", () => {
  it("announce a change of state, and nothing otherwise", () => {
    expect(transitionOf("ok", "firing")).toBe("alert.firing");
    expect(transitionOf("firing", "ok")).toBe("alert.resolved");
    expect(transitionOf("ok", "ok")).toBeNull();
    expect(transitionOf("firing", "firing")).toBeNull();
    expect(stateAfter("alert.firing")).toBe("firing");
    expect(stateAfter("alert.resolved")).toBe("ok");
  });

  it("know the rule names", () => {
    for (const rule of ALERT_RULES) expect(isAlertRule(rule)).toBe(true);
    expect(isAlertRule("cpu")).toBe(false);
  });
});

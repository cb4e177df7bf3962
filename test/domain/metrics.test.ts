/** The metrics domain: histogram error bound, folding series, and the report built from them. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketEdge,
  bucketOf,
  buildReport,
  fold,
  type Histogram,
  type Point,
  percentiles,
  seriesOf,
  topMerchants,
} from "../../src/domain/metrics";

/** The nearest-rank percentile of exact values. */
function exact(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1] as number;
}

function histogramOf(values: number[]): Histogram {
  const h: Histogram = {};
  for (const v of values) h[bucketOf(v)] = (h[bucketOf(v)] ?? 0) + 1;
  return h;
}

const point = (over: Partial<Point> = {}): Point => ({
  at: 1_700_000_000_000,
  merchant: "mer_a",
  route: "POST /v1/payment_intents",
  status: 200,
  latencyMs: 10,
  processorMs: null,
  authorization: null,
  ...over,
});

describe("latency histogram", () => {
  it("puts every value in the bucket whose edges hold it", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 600_000, noNaN: true }), (v) => {
        const i = bucketOf(v);
        expect(v).toBeLessThanOrEqual(bucketEdge(i));
        if (i > 0) expect(v).toBeGreaterThan(1.1 ** (i - 1) - 1e-9);
      }),
    );
  });

  it("reads each percentile within its documented error: never below, at most 10% + 0.1 ms above", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 1, maxLength: 400 }), (values) => {
        const got = percentiles(histogramOf(values));
        expect(got.count).toBe(values.length);
        for (const [p, read] of [
          [50, got.p50],
          [95, got.p95],
          [99, got.p99],
        ] as const) {
          const truth = exact(values, p);
          expect(read).not.toBeNull();
          expect(read as number).toBeGreaterThanOrEqual(truth);
          expect(read as number).toBeLessThanOrEqual(Math.max(1, truth * 1.1 + 0.1));
        }
      }),
    );
  });

  it("has no percentile without observations", () => {
    expect(percentiles({})).toEqual({ count: 0, p50: null, p95: null, p99: null });
  });
});

describe("report", () => {
  const window = { from: 1_700_000_000 - (1_700_000_000 % 60), to: 0, interval: 60, merchant: null };
  window.to = window.from + 180;

  it("counts a known sequence exactly, per interval and in total", () => {
    const t0 = window.from * 1000;
    const points: Point[] = [
      point({
        at: t0,
        latencyMs: 5,
        processorMs: 2,
        authorization: { outcome: "succeeded", declineCode: null, amount: 700, currency: "usd" },
      }),
      point({
        at: t0 + 1000,
        latencyMs: 7,
        processorMs: 3,
        authorization: { outcome: "declined", declineCode: "insufficient_funds", amount: 900, currency: "usd" },
      }),
      point({
        at: t0 + 61_000,
        status: 402,
        authorization: { outcome: "blocked", declineCode: null, amount: 50, currency: "eur" },
      }),
      point({ at: t0 + 62_000, status: 500, merchant: "mer_b", route: "GET /v1/balance" }),
      point({ at: t0 + 125_000, status: 404, route: "unmatched" }),
    ];
    const series = fold(points.map(seriesOf));
    const merchants = new Map<string, { merchant: string; requests: number; errors_4xx: number; errors_5xx: number }>();
    for (const p of points) {
      const t = merchants.get(p.merchant) ?? { merchant: p.merchant, requests: 0, errors_4xx: 0, errors_5xx: 0 };
      t.requests++;
      if (p.status >= 500) t.errors_5xx++;
      else if (p.status >= 400) t.errors_4xx++;
      merchants.set(p.merchant, t);
    }
    const report = buildReport(window, series, [...merchants.values()]);
    expect(report.intervals.map((i) => [i.start, i.requests])).toEqual([
      [window.from, 2],
      [window.from + 60, 2],
      [window.from + 120, 1],
    ]);
    expect(report.totals.status).toEqual({ "2xx": 2, "3xx": 0, "4xx": 2, "5xx": 1 });
    expect(report.totals.error_rate).toEqual({ "4xx": 0.4, "5xx": 0.2 });
    expect(report.totals.authorizations).toEqual({
      attempted: 3,
      succeeded: 1,
      declined: 1,
      blocked: 1,
      requires_action: 0,
      failed: 0,
      unknown: 0,
      success_rate: 1 / 3,
    });
    expect(report.totals.declines).toEqual({ insufficient_funds: 1 });
    expect(report.totals.blocked_by_fraud).toBe(1);
    expect(report.totals.volume).toEqual({ usd: 700 });
    expect(report.totals.processor_latency_ms.count).toBe(2);
    expect(Object.keys(report.totals.latency_by_route_ms)).toEqual([
      "GET /v1/balance",
      "POST /v1/payment_intents",
      "unmatched",
    ]);
    expect(report.top_merchants).toEqual([
      { merchant: "mer_a", requests: 4, errors_4xx: 2, errors_5xx: 0 },
      { merchant: "mer_b", requests: 1, errors_4xx: 0, errors_5xx: 1 },
    ]);
  });

  it("drops series outside the window and keeps a merchant's view free of other merchants", () => {
    const outside = seriesOf(point({ at: (window.to + 60) * 1000 }));
    const report = buildReport({ ...window, merchant: "mer_a" }, [outside], []);
    expect(report.totals.requests).toBe(0);
    expect(report.top_merchants).toEqual([]);
  });

  it("lists at most 10 merchants with errors, most errors first", () => {
    const totals = Array.from({ length: 15 }, (_, i) => ({
      merchant: `mer_${i}`,
      requests: 100,
      errors_4xx: i,
      errors_5xx: 0,
    }));
    const top = topMerchants(totals);
    expect(top).toHaveLength(10);
    expect(top[0]?.merchant).toBe("mer_14");
    expect(top.some((t) => t.errors_4xx === 0)).toBe(false);
  });
});

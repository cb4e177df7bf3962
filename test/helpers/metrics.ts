/** Builders of metrics windows and reports (src/domain/metrics-report.ts) for the alert tests. */
import type { MetricsReport, MetricsWindow, WindowStats } from "../../src/domain/metrics-report";

/** What a test says about a window; everything else is zero. */
export interface StatsSpec {
  requests?: number;
  s5xx?: number;
  s4xx?: number;
  succeeded?: number;
  declined?: number;
  requiresAction?: number;
  p99?: number | null;
}

/** A window with the given counts, consistent with each other (2xx = requests - 4xx - 5xx). */
export function stats(spec: StatsSpec = {}): WindowStats {
  const requests = spec.requests ?? 0;
  const s5xx = spec.s5xx ?? 0;
  const s4xx = spec.s4xx ?? 0;
  const succeeded = spec.succeeded ?? 0;
  const declined = spec.declined ?? 0;
  const requiresAction = spec.requiresAction ?? 0;
  const decided = succeeded + declined;
  const p99 = spec.p99 === undefined ? (requests > 0 ? 50 : null) : spec.p99;
  return {
    requests,
    status: { "2xx": requests - s4xx - s5xx, "3xx": 0, "4xx": s4xx, "5xx": s5xx },
    error_rate: { "4xx": requests > 0 ? s4xx / requests : 0, "5xx": requests > 0 ? s5xx / requests : 0 },
    authorizations: {
      attempted: decided + requiresAction,
      succeeded,
      declined,
      blocked: 0,
      requires_action: requiresAction,
      failed: 0,
      unknown: 0,
      success_rate: decided > 0 ? succeeded / decided : null,
    },
    declines: declined > 0 ? { card_declined: declined } : {},
    blocked_by_fraud: 0,
    latency_ms: { count: requests, p50: p99, p95: p99, p99 },
    latency_by_route_ms: {},
    processor_latency_ms: { count: 0, p50: null, p95: null, p99: null },
    volume: {},
  };
}

/** A report whose totals are `totals`, for `window` (one interval holding everything). */
export function report(window: MetricsWindow, totals: WindowStats): MetricsReport {
  return {
    object: "metrics",
    ...window,
    intervals: [{ start: window.from, ...totals }],
    totals,
    top_merchants: [],
  };
}

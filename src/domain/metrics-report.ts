/**
 * The shape of a metrics report (`GET /admin/v1/metrics`, `GET /v1/metrics`): what the gateway
 * measured over a window, per interval and in total. Built by domain/metrics.ts from the rollups
 * (durable/metrics-rollup.ts); read by the operator dashboard and the alert rules.
 */

/** Latency percentiles in milliseconds of `count` observations; null when there are none. */
export interface Percentiles {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

/** Requests by HTTP status class. */
export interface StatusCounts {
  "2xx": number;
  "3xx": number;
  "4xx": number;
  "5xx": number;
}

/**
 * Authorization attempts by outcome: one per request that ran an authorization (a payment that
 * waits for 3-D Secure counts once as `requires_action`, then once more when its challenge ends).
 * `unknown`: the processor gave no answer (a timeout, an outage); the sweep settles the payment
 * later. `success_rate` is succeeded / (succeeded + declined + blocked + failed + unknown), null
 * when that is 0: attempts waiting for 3-D Secure have no outcome yet.
 */
export interface AuthorizationCounts {
  attempted: number;
  succeeded: number;
  declined: number;
  blocked: number;
  requires_action: number;
  failed: number;
  unknown: number;
  success_rate: number | null;
}

/** What one interval (or the whole window) measured. */
export interface WindowStats {
  requests: number;
  status: StatusCounts;
  /** Share of requests answered 4xx and 5xx (0 to 1; 0 when there were no requests). */
  error_rate: { "4xx": number; "5xx": number };
  authorizations: AuthorizationCounts;
  /** Declined authorizations by `decline_code`. */
  declines: Record<string, number>;
  /** Authorizations the fraud screen blocked (also counted in `authorizations.blocked`). */
  blocked_by_fraud: number;
  /** Every request's latency. */
  latency_ms: Percentiles;
  /** Latency per route pattern (`POST /v1/payment_intents/:id/confirm`). */
  latency_by_route_ms: Record<string, Percentiles>;
  /** Time spent waiting for processors, per request that called one. */
  processor_latency_ms: Percentiles;
  /** Amount authorized per currency (lowercase ISO 4217), in minor units. */
  volume: Record<string, number>;
}

/** One interval of a report, starting at `start` (unix seconds). */
export interface IntervalStats extends WindowStats {
  start: number;
}

/** The merchants with the most errors in the window (operator view only). */
export interface MerchantErrors {
  merchant: string;
  requests: number;
  errors_4xx: number;
  errors_5xx: number;
}

/** A metrics report over [from, to) in steps of `interval` seconds. */
export interface MetricsReport {
  object: "metrics";
  from: number;
  to: number;
  interval: number;
  /** The merchant the report is about, or null for every merchant. */
  merchant: string | null;
  /** Every interval in [from, to), oldest first; intervals with no requests are zeros. */
  intervals: IntervalStats[];
  totals: WindowStats;
  /** Up to 10 merchants, most errors (4xx + 5xx) first; empty in a merchant's own view. */
  top_merchants: MerchantErrors[];
}

/** A report's window: unix seconds, `interval` divides nothing in particular (the last interval may be short). */
export interface MetricsWindow {
  from: number;
  to: number;
  interval: number;
  merchant: string | null;
}

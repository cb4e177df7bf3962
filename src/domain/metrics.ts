/**
 * Request metrics, pure: what one request contributes (a `Point`), the per-minute series the rollup
 * objects keep (`Series`), the latency histogram, and the report built from series
 * (domain/metrics-report.ts). No I/O.
 *
 * Histogram: bucket 0 holds latencies up to 1 ms; bucket i ≥ 1 holds (1.1^(i-1), 1.1^i] ms. A
 * percentile is the nearest-rank value's bucket upper edge, rounded up to 0.1 ms: it is never below
 * the true (nearest-rank) value and at most 10% (+0.1 ms) above it; values up to 1 ms read as 1.
 * 60 s is bucket 115, so a histogram holds at most ~120 buckets whatever the traffic.
 */
import type {
  AuthorizationCounts,
  IntervalStats,
  MerchantErrors,
  MetricsReport,
  MetricsWindow,
  Percentiles,
  StatusCounts,
  WindowStats,
} from "./metrics-report";

/** How an authorization a request ran ended. */
export type AuthOutcome = "succeeded" | "declined" | "blocked" | "requires_action" | "failed" | "unknown";

/** An HTTP status class. */
export type StatusClass = keyof StatusCounts;

/** What one request contributes to the metrics. */
export interface Point {
  /** When the request arrived, unix milliseconds. */
  at: number;
  /** The authenticated merchant, or "" (operator routes, unauthenticated requests). */
  merchant: string;
  /** Method and route pattern (`POST /v1/payment_intents/:id/confirm`), or `unmatched`. */
  route: string;
  status: number;
  latencyMs: number;
  /** Time spent waiting for processors, or null when none was called. */
  processorMs: number | null;
  /** The authorization this request ran to an outcome, if any. */
  authorization: { outcome: AuthOutcome; declineCode: string | null; amount: number; currency: string } | null;
}

/** Sparse histogram: bucket index → count. */
export type Histogram = Record<number, number>;

/** The dimensions of a series; "" where a dimension does not apply. */
export interface SeriesKey {
  /** Unix seconds of the minute (or, in a query's answer, of the interval). */
  minute: number;
  merchant: string;
  route: string;
  status: StatusClass;
  outcome: AuthOutcome | "";
  decline: string;
  currency: string;
}

/** One series: what the requests of one key measured. */
export interface Series extends SeriesKey {
  count: number;
  latency: Histogram;
  processorCount: number;
  processor: Histogram;
  /** Minor units authorized (succeeded authorizations only). */
  amount: number;
}

const GROWTH = 1.1;
const LOG_GROWTH = Math.log(GROWTH);

/** The histogram bucket of a latency in milliseconds. */
export function bucketOf(ms: number): number {
  if (!(ms > 1)) return 0;
  return Math.ceil(Math.log(ms) / LOG_GROWTH - 1e-9);
}

/** The upper edge of bucket `i` in milliseconds, rounded up to 0.1 ms. */
export function bucketEdge(i: number): number {
  return i === 0 ? 1 : Math.ceil(GROWTH ** i * 10 - 1e-6) / 10;
}

/** Adds `n` observations of bucket `i` to `h` (mutates). */
function addBucket(h: Histogram, i: number, n: number): void {
  h[i] = (h[i] ?? 0) + n;
}

/** Adds every bucket of `from` into `into` (mutates `into`). */
export function mergeHistogram(into: Histogram, from: Histogram): void {
  for (const [i, n] of Object.entries(from)) addBucket(into, Number(i), n);
}

/** The p50/p95/p99 of a histogram (nearest rank, bucket upper edge). */
export function percentiles(h: Histogram): Percentiles {
  const buckets = Object.entries(h)
    .map(([i, n]) => [Number(i), n] as const)
    .sort((a, b) => a[0] - b[0]);
  const count = buckets.reduce((sum, [, n]) => sum + n, 0);
  const at = (p: number): number | null => {
    if (count === 0) return null;
    const rank = Math.ceil((p / 100) * count);
    let seen = 0;
    for (const [i, n] of buckets) {
      seen += n;
      if (seen >= rank) return bucketEdge(i);
    }
    return null;
  };
  return { count, p50: at(50), p95: at(95), p99: at(99) };
}

/** The status class of an HTTP status. */
export function statusClass(status: number): StatusClass {
  if (status >= 500) return "5xx";
  if (status >= 400) return "4xx";
  if (status >= 300) return "3xx";
  return "2xx";
}

/** The key a series is stored under (its dimensions joined). */
export function seriesId(k: SeriesKey): string {
  return [k.minute, k.merchant, k.route, k.status, k.outcome, k.decline, k.currency].join("|");
}

/** The one-request series of a point. */
export function seriesOf(p: Point): Series {
  const auth = p.authorization;
  const latency: Histogram = {};
  addBucket(latency, bucketOf(p.latencyMs), 1);
  const processor: Histogram = {};
  if (p.processorMs !== null) addBucket(processor, bucketOf(p.processorMs), 1);
  return {
    minute: Math.floor(p.at / 60_000) * 60,
    merchant: p.merchant,
    route: p.route,
    status: statusClass(p.status),
    outcome: auth?.outcome ?? "",
    decline: auth?.declineCode ?? "",
    currency: auth?.currency ?? "",
    count: 1,
    latency,
    processorCount: p.processorMs === null ? 0 : 1,
    processor,
    amount: auth?.outcome === "succeeded" ? auth.amount : 0,
  };
}

/** Adds `from`'s measurements into `into` (same key; mutates `into`). */
export function mergeSeries(into: Series, from: Series): void {
  into.count += from.count;
  into.processorCount += from.processorCount;
  into.amount += from.amount;
  mergeHistogram(into.latency, from.latency);
  mergeHistogram(into.processor, from.processor);
}

/** A copy of `s` (histograms included) under another key. */
export function rekey(s: Series, key: Partial<SeriesKey>): Series {
  return { ...s, ...key, latency: { ...s.latency }, processor: { ...s.processor } };
}

/** Folds series with equal keys into one (the inputs are not mutated). */
export function fold(series: Iterable<Series>): Series[] {
  const byId = new Map<string, Series>();
  for (const s of series) {
    const id = seriesId(s);
    const found = byId.get(id);
    if (found) mergeSeries(found, s);
    else byId.set(id, rekey(s, {}));
  }
  return [...byId.values()];
}

/** The start of the interval of `window` that `minute` falls in. */
export function intervalStart(window: Pick<MetricsWindow, "from" | "interval">, minute: number): number {
  return window.from + Math.floor((minute - window.from) / window.interval) * window.interval;
}

function emptyStats(): WindowStats & {
  latencyHist: Histogram;
  processorHist: Histogram;
  routes: Map<string, Histogram>;
} {
  return {
    requests: 0,
    status: { "2xx": 0, "3xx": 0, "4xx": 0, "5xx": 0 },
    error_rate: { "4xx": 0, "5xx": 0 },
    authorizations: {
      attempted: 0,
      succeeded: 0,
      declined: 0,
      blocked: 0,
      requires_action: 0,
      failed: 0,
      unknown: 0,
      success_rate: null,
    },
    declines: {},
    blocked_by_fraud: 0,
    latency_ms: percentiles({}),
    latency_by_route_ms: {},
    processor_latency_ms: percentiles({}),
    volume: {},
    latencyHist: {},
    processorHist: {},
    routes: new Map(),
  };
}

type Building = ReturnType<typeof emptyStats>;

function add(b: Building, s: Series): void {
  b.requests += s.count;
  b.status[s.status] += s.count;
  mergeHistogram(b.latencyHist, s.latency);
  mergeHistogram(b.processorHist, s.processor);
  const route = b.routes.get(s.route) ?? {};
  mergeHistogram(route, s.latency);
  b.routes.set(s.route, route);
  if (s.outcome === "") return;
  const a: AuthorizationCounts = b.authorizations;
  a.attempted += s.count;
  a[s.outcome] += s.count;
  switch (s.outcome) {
    case "succeeded":
      if (s.currency !== "") b.volume[s.currency] = (b.volume[s.currency] ?? 0) + s.amount;
      break;
    case "declined":
      if (s.decline !== "") b.declines[s.decline] = (b.declines[s.decline] ?? 0) + s.count;
      break;
    case "blocked":
      b.blocked_by_fraud += s.count;
      break;
    case "requires_action":
    case "failed":
    case "unknown":
      break;
    default: {
      const never: never = s.outcome;
      throw new Error(`unknown outcome ${String(never)}`);
    }
  }
}

function finish(b: Building): WindowStats {
  const a = b.authorizations;
  const decided = decidedAuthorizations(a);
  const share = (n: number, of: number) => (of === 0 ? 0 : n / of);
  const byRoute: Record<string, Percentiles> = {};
  for (const route of [...b.routes.keys()].sort()) byRoute[route] = percentiles(b.routes.get(route) ?? {});
  return {
    requests: b.requests,
    status: b.status,
    error_rate: { "4xx": share(b.status["4xx"], b.requests), "5xx": share(b.status["5xx"], b.requests) },
    authorizations: { ...a, success_rate: decided === 0 ? null : a.succeeded / decided },
    declines: b.declines,
    blocked_by_fraud: b.blocked_by_fraud,
    latency_ms: percentiles(b.latencyHist),
    latency_by_route_ms: byRoute,
    processor_latency_ms: percentiles(b.processorHist),
    volume: b.volume,
  };
}

/** The denominator of the success rate: every attempt but those waiting for 3-D Secure. */
export function decidedAuthorizations(a: Omit<AuthorizationCounts, "success_rate">): number {
  return a.succeeded + a.declined + a.blocked + a.failed + a.unknown;
}

/** Most merchants a report lists in `top_merchants`. */
export const TOP_MERCHANTS = 10;

/** Per merchant: requests and errors in a window. */
export type MerchantTotals = MerchantErrors;

/** Adds `t` into per-merchant totals (mutates `into`). */
export function mergeMerchantTotals(into: Map<string, MerchantTotals>, t: MerchantTotals): void {
  const found = into.get(t.merchant);
  if (!found) into.set(t.merchant, { ...t });
  else {
    found.requests += t.requests;
    found.errors_4xx += t.errors_4xx;
    found.errors_5xx += t.errors_5xx;
  }
}

/** Adds one series into per-merchant totals (mutates `into`); series without a merchant are skipped. */
export function addMerchantTotals(into: Map<string, MerchantTotals>, s: Series): void {
  if (s.merchant === "") return;
  mergeMerchantTotals(into, {
    merchant: s.merchant,
    requests: s.count,
    errors_4xx: s.status === "4xx" ? s.count : 0,
    errors_5xx: s.status === "5xx" ? s.count : 0,
  });
}

/** The merchant (and route) of series a rollup folded past its bounds (durable/metrics-rollup.ts). */
export const OVERFLOW_MERCHANT = "_other";

/** The merchants with the most errors (4xx + 5xx, then most 5xx, then most requests), at most TOP_MERCHANTS. */
export function topMerchants(totals: Iterable<MerchantTotals>): MerchantTotals[] {
  return [...totals]
    .filter((t) => t.merchant !== OVERFLOW_MERCHANT && t.errors_4xx + t.errors_5xx > 0)
    .sort(
      (a, b) =>
        b.errors_4xx + b.errors_5xx - (a.errors_4xx + a.errors_5xx) ||
        b.errors_5xx - a.errors_5xx ||
        b.requests - a.requests ||
        a.merchant.localeCompare(b.merchant),
    )
    .slice(0, TOP_MERCHANTS);
}

/**
 * The report of `window` from series keyed by interval start (`intervalStart`), and the per-merchant
 * totals (empty for a merchant's own view).
 */
export function buildReport(window: MetricsWindow, series: Series[], merchants: MerchantTotals[]): MetricsReport {
  const slots = new Map<number, Building>();
  for (let start = window.from; start < window.to; start += window.interval) slots.set(start, emptyStats());
  const total = emptyStats();
  for (const s of series) {
    const slot = slots.get(intervalStart(window, s.minute));
    if (!slot) continue;
    add(slot, s);
    add(total, s);
  }
  const intervals: IntervalStats[] = [...slots.entries()].map(([start, b]) => ({ start, ...finish(b) }));
  return {
    object: "metrics",
    from: window.from,
    to: window.to,
    interval: window.interval,
    merchant: window.merchant,
    intervals,
    totals: finish(total),
    top_merchants: window.merchant === null ? topMerchants(merchants) : [],
  };
}

/**
 * Where each request's metrics go after its answer: one Analytics Engine data point (production's
 * store, queried with its SQL API; `METRICS` unbound locally does nothing), and this isolate's buffer
 * of series (domain/metrics.ts), flushed to its rollup object (durable/metrics-rollup.ts).
 *
 * The buffer folds every request of the same minute, merchant, route, status class and outcome into
 * one series, so an isolate sends at most one RPC per `METRICS_FLUSH_MS` (wrangler.toml, default
 * DEFAULT_FLUSH_MS) however busy it is: the first point into an empty buffer schedules the flush in
 * that request's waitUntil, after the answer. Nothing on the request's path waits for it. If the
 * isolate is evicted before a flush, the rollups lose those points (at most one delay's worth of one
 * isolate's traffic); Analytics Engine has them. A delay of 0 flushes after every answer.
 */
import { mergeSeries, type Point, type Series, seriesId, seriesOf, statusClass } from "../domain/metrics";
import { METRICS_ROLLUP_OBJECTS, rollupName } from "../durable/metrics-rollup";
import { log } from "../lib/log";

/** How long the first point waits in the buffer before the flush, in milliseconds, unless METRICS_FLUSH_MS says. */
export const DEFAULT_FLUSH_MS = 250;
/** The longest METRICS_FLUSH_MS honoured (waitUntil work must end within 30 s of the answer). */
export const MAX_FLUSH_MS = 10_000;
/** Series in the buffer that trigger a flush at once. */
export const MAX_BUFFERED_SERIES = 500;

/** The rollup object this isolate writes to. */
const rollup = rollupName(Math.floor(Math.random() * METRICS_ROLLUP_OBJECTS));

let buffer = new Map<string, Series>();
let scheduled = false;
/** Flushes of this isolate sent and not yet answered. */
let sending = 0;

/** How long `settledMetrics` waits for this isolate's flushes in flight, at most, in milliseconds. */
export const SETTLE_WAIT_MS = 2_000;

/** Writes `point`'s Analytics Engine data point (schema: docs/monitoring.md). */
function writeDataPoint(env: Env, p: Point): void {
  const auth = p.authorization;
  env.METRICS?.writeDataPoint({
    indexes: [p.merchant || "none"],
    blobs: [
      p.route,
      statusClass(p.status),
      p.merchant,
      auth?.currency ?? "",
      auth?.outcome ?? "",
      auth?.declineCode ?? "",
    ],
    doubles: [p.latencyMs, auth?.outcome === "succeeded" ? auth.amount : 0, p.processorMs ?? -1, p.status],
  });
}

/**
 * Records one request's point: its data point now (a non-blocking write), its series into the
 * buffer, and schedules the flush with `defer` (the request's waitUntil) when the buffer was empty.
 */
export function collect(env: Env, p: Point, defer: (work: Promise<unknown>) => void): void {
  try {
    writeDataPoint(env, p);
  } catch (err) {
    log("warn", "metrics_write_failed", { error: err instanceof Error ? err.name : "unknown" });
  }
  const s = seriesOf(p);
  const id = seriesId(s);
  const found = buffer.get(id);
  if (found) mergeSeries(found, s);
  else buffer.set(id, s);
  if (buffer.size >= MAX_BUFFERED_SERIES) defer(flushMetrics(env));
  else if (!scheduled) {
    scheduled = true;
    const delay = flushDelay(env);
    defer(
      delay === 0
        ? flushMetrics(env)
        : new Promise((resolve) => setTimeout(resolve, delay)).then(() => flushMetrics(env)),
    );
  }
}

/** The flush delay `METRICS_FLUSH_MS` sets (an integer from 0 to MAX_FLUSH_MS), else DEFAULT_FLUSH_MS. */
export function flushDelay(env: Pick<Env, "METRICS_FLUSH_MS">): number {
  const ms = /^\d{1,5}$/.test(env.METRICS_FLUSH_MS ?? "") ? Number(env.METRICS_FLUSH_MS) : Number.NaN;
  return Number.isInteger(ms) && ms <= MAX_FLUSH_MS ? ms : DEFAULT_FLUSH_MS;
}

/** Sends this isolate's buffered series to its rollup object now (a no-op when empty). */
export async function flushMetrics(env: Env): Promise<void> {
  const batch = [...buffer.values()];
  buffer = new Map();
  scheduled = false;
  if (batch.length === 0) return;
  sending++;
  try {
    await env.METRICS_ROLLUP.getByName(rollup).record(batch);
  } catch (err) {
    log("warn", "metrics_flush_failed", {
      series: batch.length,
      error: err instanceof Error ? err.name : "unknown",
    });
  } finally {
    sending--;
  }
}

/**
 * Flushes this isolate's buffer, then waits (up to SETTLE_WAIT_MS) until the flushes other requests
 * of this isolate sent have been answered, so a report read next includes every point this isolate
 * served. It polls a counter instead of awaiting those requests' promises: a request must not wait
 * on another request's I/O.
 */
export async function settledMetrics(env: Env): Promise<void> {
  await flushMetrics(env);
  for (let waited = 0; sending > 0 && waited < SETTLE_WAIT_MS; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

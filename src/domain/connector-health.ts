/**
 * Health of one connector account (`mca_…` or the built-in `builtin`), from the results of its
 * authorization attempts: a sliding window of 10-second buckets over the last WINDOW_SECONDS, and a
 * cool-down while the connector is skipped. Pure: the clock is passed in (integer milliseconds) and
 * stored counts are integers.
 *
 * What counts as an error is the caller's decision: a timeout, an unreachable connector, a
 * `processing_error`, anything that says the connector itself failed. An issuer's decline is a
 * success of the connector (it answered), and so is any other definite answer.
 *
 * Trip rule: when a record leaves the window holding at least MIN_SAMPLES calls with an error rate of
 * at least ERROR_RATE_TRIP, the connector is unhealthy for COOL_DOWN_MS. Records during the cool-down
 * are ignored (attempts already in flight, or callers with a stale view). When the cool-down ends
 * the connector is healthy again with the window cleared (half-open): it trips again only once new
 * failures re-accumulate MIN_SAMPLES calls. The rule is evaluated when a result is recorded, not as
 * old buckets age out: a window that crosses the threshold only by ageing trips on its next record.
 */
import { BUILTIN_CONNECTOR } from "./payment-state";

/** The length of the window, in seconds. */
export const WINDOW_SECONDS = 300;
/** The width of one bucket of the window, in milliseconds. */
export const BUCKET_MS = 10_000;
/** Calls the window must hold before the error rate can trip it. */
export const MIN_SAMPLES = 20;
/** The error rate (errors / calls in the window) at or above which the connector trips. */
export const ERROR_RATE_TRIP = 0.5;
/** How long a tripped connector is skipped, in milliseconds. */
export const COOL_DOWN_MS = 60_000;

const WINDOW_MS = WINDOW_SECONDS * 1000;

/** True when `id` names a connector: `builtin` or a connector account id (`mca_…`). */
export function isConnectorId(id: string): boolean {
  return id === BUILTIN_CONNECTOR || /^mca_[0-9A-Za-z]{1,64}$/.test(id);
}

/** The calls of one 10-second slot: `start` is a multiple of BUCKET_MS (unix ms). */
export interface HealthBucket {
  start: number;
  successes: number;
  errors: number;
}

/** The stored health of one connector. */
export interface HealthState {
  /** Buckets in ascending `start`, none older than the window at the last record. */
  buckets: HealthBucket[];
  /** Unix ms until which the connector is cooling down; null when it is not. */
  coolUntil: number | null;
  /** How many times it has tripped (for operators). */
  trips: number;
}

/** What the payment flow and operators are told about one connector. */
export interface HealthStatus {
  /** False while cooling down: skip the connector. */
  healthy: boolean;
  /** Unix ms the cool-down ends, while cooling down; else null. */
  coolUntil: number | null;
  /** Calls in the window (after a cool-down, only those since it ended). */
  successes: number;
  errors: number;
  /** errors / (successes + errors), 0 with no calls. */
  errorRate: number;
  /** How many times it has tripped. */
  trips: number;
}

/** The state of a connector with no recorded call. */
export function emptyHealth(): HealthState {
  return { buckets: [], coolUntil: null, trips: 0 };
}

/** The start of the bucket holding `nowMs`. */
function bucketStart(nowMs: number): number {
  return nowMs - (nowMs % BUCKET_MS);
}

/** The state at `nowMs`: a cool-down that has ended is closed (window cleared), buckets out of the window dropped. */
export function settle(state: HealthState, nowMs: number): HealthState {
  if (state.coolUntil !== null && nowMs >= state.coolUntil) {
    return { buckets: [], coolUntil: null, trips: state.trips };
  }
  const oldest = bucketStart(nowMs) - WINDOW_MS;
  const buckets = state.buckets.filter((b) => b.start > oldest);
  return buckets.length === state.buckets.length ? state : { ...state, buckets };
}

function totals(buckets: readonly HealthBucket[]): { successes: number; errors: number } {
  let successes = 0;
  let errors = 0;
  for (const b of buckets) {
    successes += b.successes;
    errors += b.errors;
  }
  return { successes, errors };
}

function cooling(state: HealthState, nowMs: number): boolean {
  return state.coolUntil !== null && nowMs < state.coolUntil;
}

/** Records one call's result at `nowMs` (`ok`: the connector answered); trips the connector when the rule says so. */
export function record(state: HealthState, ok: boolean, nowMs: number): HealthState {
  const now = settle(state, nowMs);
  if (cooling(now, nowMs)) return now;
  const start = bucketStart(nowMs);
  const add = (b: HealthBucket): HealthBucket => ({
    start: b.start,
    successes: b.successes + (ok ? 1 : 0),
    errors: b.errors + (ok ? 0 : 1),
  });
  const existing = now.buckets.find((b) => b.start === start);
  const buckets = existing
    ? now.buckets.map((b) => (b === existing ? add(b) : b))
    : [...now.buckets, add({ start, successes: 0, errors: 0 })].sort((a, b) => a.start - b.start);
  const { successes, errors } = totals(buckets);
  const calls = successes + errors;
  if (calls >= MIN_SAMPLES && errors >= ERROR_RATE_TRIP * calls) {
    return { buckets, coolUntil: nowMs + COOL_DOWN_MS, trips: now.trips + 1 };
  }
  return { buckets, coolUntil: null, trips: now.trips };
}

/** The connector's health at `nowMs`. */
export function statusOf(state: HealthState, nowMs: number): HealthStatus {
  const now = settle(state, nowMs);
  const { successes, errors } = totals(now.buckets);
  const calls = successes + errors;
  const cool = cooling(now, nowMs);
  return {
    healthy: !cool,
    coolUntil: cool ? now.coolUntil : null,
    successes,
    errors,
    errorRate: calls === 0 ? 0 : errors / calls,
    trips: now.trips,
  };
}

/**
 * When nothing in `state` matters any more, so it can be forgotten: the end of its cool-down (which
 * clears the window), else when its newest bucket leaves the window; null when it holds nothing.
 */
export function idleAt(state: HealthState): number | null {
  if (state.coolUntil !== null) return state.coolUntil;
  const newest = state.buckets.at(-1);
  return newest ? newest.start + WINDOW_MS : null;
}

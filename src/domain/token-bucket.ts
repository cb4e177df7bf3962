/**
 * Token-bucket arithmetic for rate limits, in integers and with the clock passed in, so the exact
 * behaviour is unit-testable without timers.
 *
 * A policy allows `quota` requests per `windowSec` seconds: the bucket holds at most `quota`
 * tokens and refills continuously at `quota / windowSec` tokens per second. To stay in integers,
 * one token is `windowSec * 1000` units and the bucket gains `quota` units per millisecond. With
 * the clock frozen, exactly `quota` requests pass and the next is refused; every `windowSec / quota`
 * seconds of elapsed time adds exactly one more.
 */

/** A named limit: `quota` requests per `windowSec` seconds (the IETF `q` and `w`). */
export interface Policy {
  name: string;
  quota: number;
  windowSec: number;
}

/** Stored state of one bucket: its level in units and the millisecond timestamp it was computed at. */
export interface BucketState {
  level: number;
  at: number;
}

/** What a caller may tell the client about one bucket (IETF `r` and `t`). */
export interface BucketView {
  policy: Policy;
  /** Whole requests left now. */
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSec: number;
}

/** Outcome of trying to take one token from every bucket of a request. */
export type TakeResult =
  | { ok: true; states: BucketState[]; views: BucketView[] }
  | { ok: false; states: BucketState[]; views: BucketView[]; retryAfterSec: number; limitedBy: Policy };

/** Units one request costs under `policy`. */
function cost(policy: Policy): number {
  return policy.windowSec * 1000;
}

/** Units a full bucket holds. */
function capacity(policy: Policy): number {
  return policy.quota * cost(policy);
}

/** Throws when a policy cannot be represented exactly; policies are built in code, so this is a bug. */
export function assertPolicy(policy: Policy): void {
  const ok = Number.isSafeInteger(policy.quota) && policy.quota >= 1 && Number.isSafeInteger(policy.windowSec);
  if (!ok || policy.windowSec < 1 || !Number.isSafeInteger(capacity(policy))) {
    throw new Error(`token bucket: invalid policy ${policy.name}`);
  }
}

/** The bucket at `now`: a missing bucket is full; a clock that went backwards refills nothing. */
export function refill(policy: Policy, state: BucketState | undefined, now: number): BucketState {
  if (!state) return { level: capacity(policy), at: now };
  const elapsed = Math.max(0, now - state.at);
  const level = Math.min(capacity(policy), Math.max(0, state.level) + elapsed * policy.quota);
  return { level, at: Math.max(now, state.at) };
}

/** The client-facing view of a refilled bucket. */
export function view(policy: Policy, state: BucketState): BucketView {
  const missing = capacity(policy) - state.level;
  return {
    policy,
    remaining: Math.floor(state.level / cost(policy)),
    resetSec: Math.ceil(missing / policy.quota / 1000),
  };
}

/** Seconds until one whole token is available, at least 1 (the `Retry-After` value). */
function secondsToToken(policy: Policy, state: BucketState): number {
  const missing = Math.max(0, cost(policy) - state.level);
  return Math.max(1, Math.ceil(Math.ceil(missing / policy.quota) / 1000));
}

/**
 * Takes one token from each bucket, all or nothing: if any bucket is short, none is charged and the
 * result says which policy refused and when to retry.
 */
export function takeAll(policies: Policy[], states: (BucketState | undefined)[], now: number): TakeResult {
  const current = policies.map((p, i) => refill(p, states[i], now));
  const short = policies.findIndex((p, i) => (current[i] as BucketState).level < cost(p));
  if (short >= 0) {
    const policy = policies[short] as Policy;
    return {
      ok: false,
      states: current,
      views: policies.map((p, i) => view(p, current[i] as BucketState)),
      retryAfterSec: secondsToToken(policy, current[short] as BucketState),
      limitedBy: policy,
    };
  }
  const taken = current.map((s, i) => ({ level: s.level - cost(policies[i] as Policy), at: s.at }));
  return { ok: true, states: taken, views: policies.map((p, i) => view(p, taken[i] as BucketState)) };
}

/** Gives one token back (a request that turned out not to count), never above capacity. */
export function giveBack(policy: Policy, state: BucketState | undefined, now: number): BucketState {
  const current = refill(policy, state, now);
  return { level: Math.min(capacity(policy), current.level + cost(policy)), at: current.at };
}

/**
 * What happens after a webhook delivery attempt: the closed set of attempt outcomes, and the retry
 * schedule. Pure: the consumer (src/webhooks/deliver.ts) passes the attempt number, the response
 * and a random draw, and gets back a decision.
 *
 * Schedules (delays before attempts 2, 3, …): live ≈ 2.7 days in all, like Stripe's "up to three
 * days"; test minutes, so a developer sees retries happen. Each delay gets up to +10 % jitter (so
 * many endpoints failing together do not come back together) and is never shortened: a receiver's
 * `Retry-After` can only lengthen it. Queues caps a delay at 12 hours.
 */

/** The longest delay Cloudflare Queues accepts for a retry (`delaySeconds`). */
export const MAX_DELAY_SECONDS = 12 * 60 * 60;

/** Live mode: 1 m, 5 m, 30 m, 2 h, 5 h, 10 h, then 12 h four times (11 attempts over ≈ 66 h). */
export const LIVE_SCHEDULE: readonly number[] = [60, 300, 1800, 7200, 18000, 36000, 43200, 43200, 43200, 43200];

/** Test mode: 1 s, 5 s, 30 s, 2 m, 10 m (6 attempts over ≈ 13 minutes). */
export const TEST_SCHEDULE: readonly number[] = [1, 5, 30, 120, 600];

/** The schedule of a deployment mode (`EDGEPAY_MODE`). */
export function scheduleFor(mode: string): readonly number[] {
  return mode === "live" ? LIVE_SCHEDULE : TEST_SCHEDULE;
}

/**
 * How a delivery attempt ended: succeeded (2xx); gone (410: the endpoint is disabled); failed
 * (anything else; retried); dead (failed, and the schedule is exhausted).
 */
export type AttemptOutcome = "succeeded" | "failed" | "dead" | "gone";

/** After a failed attempt: retry after `delaySeconds`, or give up. */
export type RetryDecision = { kind: "retry"; delaySeconds: number } | { kind: "dead" };

/**
 * The decision after failed attempt number `attempt` (1-based) under `schedule`. `retryAfter` is
 * the receiver's Retry-After in seconds (or null); `random` a draw in [0, 1) for the jitter.
 */
export function afterFailure(
  schedule: readonly number[],
  attempt: number,
  retryAfter: number | null,
  random: number,
): RetryDecision {
  const base = schedule[attempt - 1];
  if (base === undefined) return { kind: "dead" };
  const jittered = Math.min(MAX_DELAY_SECONDS, Math.max(base, Math.round(base * (1 + 0.1 * random))));
  const asked = retryAfter === null ? 0 : Math.min(MAX_DELAY_SECONDS, retryAfter);
  return { kind: "retry", delaySeconds: Math.max(jittered, asked) };
}

/**
 * A `Retry-After` header in seconds from `nowMs`: delta-seconds or an HTTP date (RFC 9110 §10.2.3).
 * Null when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfter(header: string | null, nowMs: number): number | null {
  if (header === null) return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const at = Date.parse(text);
  if (Number.isNaN(at) || !/[A-Za-z]/.test(text)) return null;
  return Math.max(0, Math.ceil((at - nowMs) / 1000));
}

/** The outcome of an HTTP status: 2xx succeeded, 410 gone, anything else (3xx included) failed. */
export function outcomeOfStatus(status: number): "succeeded" | "gone" | "failed" {
  if (status >= 200 && status < 300) return "succeeded";
  if (status === 410) return "gone";
  return "failed";
}

/**
 * The alert rules: pure functions from two metrics windows (the last 5 minutes and the hour before
 * them, src/domain/metrics-report.ts `WindowStats`) to each rule's state, and the transition a
 * change of state announces. Comparisons are made on integer counts (cross-multiplied), so a value
 * exactly at its threshold never fires by a floating-point rounding. See docs/monitoring.md.
 */
import { decidedAuthorizations } from "./metrics";
import type { WindowStats } from "./metrics-report";

/** Every alert rule, a closed set: adding one makes the compiler ask for its evaluation. */
export const ALERT_RULES = ["authorization_rate_drop", "error_rate_5xx", "latency_p99"] as const;

/** One alert rule's name. */
export type AlertRule = (typeof ALERT_RULES)[number];

/** Whether a rule's condition holds. */
export type AlertState = "ok" | "firing";

/** The thresholds of every rule (DEFAULT_THRESHOLDS unless a caller passes others). */
export interface AlertThresholds {
  /** Percentage points the 5-minute success rate may fall below the baseline hour's. */
  authorizationDropPoints: number;
  /** Decided authorizations (succeeded, declined, blocked, failed) needed in each window. */
  authorizationMinDecided: number;
  /** Percent of requests answered 5xx. */
  error5xxPercent: number;
  /** Requests needed in the 5 minutes for the 5xx and latency rules. */
  minRequests: number;
  /** Milliseconds of p99 latency over every request. */
  latencyP99Ms: number;
}

/** The documented defaults (docs/monitoring.md says why these numbers). */
export const DEFAULT_THRESHOLDS: AlertThresholds = {
  authorizationDropPoints: 20,
  authorizationMinDecided: 20,
  error5xxPercent: 2,
  minRequests: 50,
  latencyP99Ms: 2000,
};

/** One rule's verdict: its state, what was measured (null when nothing could be) and the threshold. */
export interface RuleResult {
  rule: AlertRule;
  state: AlertState;
  /** In the rule's unit: percentage points, percent or milliseconds; rounded to 2 decimals. */
  value: number | null;
  threshold: number;
  /** False when the volume guard kept the rule `ok` whatever the value. */
  enough_volume: boolean;
}

/** The webhook type a change of state announces, or null when the state did not change. */
export type AlertTransition = "alert.firing" | "alert.resolved" | null;

const round2 = (n: number) => Math.round(n * 100) / 100;

/** Decided authorizations: the denominator of the success rate (requires_action is undecided). */
function decided(stats: WindowStats): number {
  return decidedAuthorizations(stats.authorizations);
}

function authorizationRateDrop(current: WindowStats, baseline: WindowStats, t: AlertThresholds): RuleResult {
  const cd = decided(current);
  const bd = decided(baseline);
  const cs = current.authorizations.succeeded;
  const bs = baseline.authorizations.succeeded;
  const value = cd > 0 && bd > 0 ? round2((bs / bd - cs / cd) * 100) : null;
  const enough = cd >= t.authorizationMinDecided && bd >= t.authorizationMinDecided && cd > 0 && bd > 0;
  // (bs/bd - cs/cd) * 100 > points, multiplied out by bd * cd (both positive).
  const firing = enough && 100 * (bs * cd - cs * bd) > t.authorizationDropPoints * bd * cd;
  return result("authorization_rate_drop", firing, value, t.authorizationDropPoints, enough);
}

function errorRate5xx(current: WindowStats, t: AlertThresholds): RuleResult {
  const n = current.requests;
  const errors = current.status["5xx"];
  const value = n > 0 ? round2((errors / n) * 100) : null;
  const enough = n >= t.minRequests && n > 0;
  const firing = enough && 100 * errors > t.error5xxPercent * n;
  return result("error_rate_5xx", firing, value, t.error5xxPercent, enough);
}

function latencyP99(current: WindowStats, t: AlertThresholds): RuleResult {
  const p99 = current.latency_ms.p99;
  const enough = current.requests >= t.minRequests;
  const firing = enough && p99 !== null && p99 > t.latencyP99Ms;
  return result("latency_p99", firing, p99 === null ? null : round2(p99), t.latencyP99Ms, enough);
}

function result(rule: AlertRule, firing: boolean, value: number | null, threshold: number, enough: boolean) {
  return { rule, state: firing ? "firing" : "ok", value, threshold, enough_volume: enough } satisfies RuleResult;
}

/** Evaluates one rule over the last 5 minutes (`current`) and the hour before them (`baseline`). */
export function evaluateRule(
  rule: AlertRule,
  current: WindowStats,
  baseline: WindowStats,
  thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
): RuleResult {
  switch (rule) {
    case "authorization_rate_drop":
      return authorizationRateDrop(current, baseline, thresholds);
    case "error_rate_5xx":
      return errorRate5xx(current, thresholds);
    case "latency_p99":
      return latencyP99(current, thresholds);
  }
}

/** Evaluates every rule, in ALERT_RULES order. */
export function evaluateRules(
  current: WindowStats,
  baseline: WindowStats,
  thresholds: AlertThresholds = DEFAULT_THRESHOLDS,
): RuleResult[] {
  return ALERT_RULES.map((rule) => evaluateRule(rule, current, baseline, thresholds));
}

/** What going from the stored state `from` to the evaluated state `to` announces. */
export function transitionOf(from: AlertState, to: AlertState): AlertTransition {
  switch (from) {
    case "ok":
      return to === "firing" ? "alert.firing" : null;
    case "firing":
      return to === "ok" ? "alert.resolved" : null;
  }
}

/** The state a transition leads to. */
export function stateAfter(transition: Exclude<AlertTransition, null>): AlertState {
  switch (transition) {
    case "alert.firing":
      return "firing";
    case "alert.resolved":
      return "ok";
  }
}

/** True for a name of ALERT_RULES (a stored value read back, a query parameter). */
export function isAlertRule(name: string): name is AlertRule {
  return (ALERT_RULES as readonly string[]).includes(name);
}

/** How a rule is described to operators: its threshold, the unit of its value and its volume guard. */
export interface RuleSpec {
  threshold: number;
  unit: "percentage_points" | "percent" | "ms";
  /** Decided authorizations (in each window) or requests (in the 5 minutes) needed to fire. */
  minimum_volume: number;
}

/** The spec of `rule` under `thresholds`. */
export function ruleSpec(rule: AlertRule, thresholds: AlertThresholds = DEFAULT_THRESHOLDS): RuleSpec {
  switch (rule) {
    case "authorization_rate_drop":
      return {
        threshold: thresholds.authorizationDropPoints,
        unit: "percentage_points",
        minimum_volume: thresholds.authorizationMinDecided,
      };
    case "error_rate_5xx":
      return { threshold: thresholds.error5xxPercent, unit: "percent", minimum_volume: thresholds.minRequests };
    case "latency_p99":
      return { threshold: thresholds.latencyP99Ms, unit: "ms", minimum_volume: thresholds.minRequests };
  }
}

/**
 * Alert evaluation, run by the minute cron (src/scheduled.ts): the metrics of the last 5 full
 * minutes and of the hour before them, each rule of domain/alerts.ts evaluated over them and
 * compared with its stored state (db/alerts.ts). Only a change of state is announced, once, to the
 * operator's alert hook (webhooks/alert-hook.ts): the rule is leased while its alert is delivered,
 * the new state stored after a 2xx, and a failed delivery leaves the state as it was, so the next
 * minute's run evaluates again and retries. With no hook (or a disabled one) states still change,
 * silently. See docs/monitoring.md.
 */

import {
  type AlertStateRow,
  alertStateRows,
  claimTransition,
  finishTransition,
  getAlertHook,
  releaseClaim,
} from "../db/alerts";
import { controlDb } from "../db/client";
import {
  type AlertThresholds,
  type AlertTransition,
  DEFAULT_THRESHOLDS,
  evaluateRules,
  type RuleResult,
  stateAfter,
  transitionOf,
} from "../domain/alerts";
import type { MetricsReport, MetricsWindow } from "../domain/metrics-report";
import { log } from "../lib/log";
import { isLive } from "../payments/serialize";
import { type AlertHookRow, sendAlert } from "../webhooks/alert-hook";
import { dohResolver, type Resolver } from "../webhooks/url-safety";
import { queryMetrics } from "./query";

/** Seconds of the window the rules watch. */
export const ALERT_WINDOW_SECONDS = 300;
/** Seconds of the baseline before it. */
export const BASELINE_SECONDS = 3600;
/** Milliseconds the hook has to answer. */
export const ALERT_TIMEOUT_MS = 5000;
/** Seconds a run holds a rule while it delivers its transition (well over the timeout). */
export const ALERT_LEASE_SECONDS = 60;

/** Reads a metrics report: `queryMetrics` in production, canned windows in tests. */
export type MetricsSource = (env: Env, window: MetricsWindow) => Promise<MetricsReport>;

/** What a caller (a test) may change about a run. */
export interface AlertRunOptions {
  /** Unix seconds of the run. */
  now?: number;
  metrics?: MetricsSource;
  thresholds?: AlertThresholds;
  timeoutMs?: number;
  resolve?: Resolver;
}

/** What a run did about one rule. */
export interface RuleOutcome extends RuleResult {
  transition: AlertTransition;
  /** `sent`: delivered; `failed`: to retry next run; `silent`: no enabled hook; `held`: another run holds it. */
  delivery: "none" | "sent" | "failed" | "silent" | "held";
}

/** The windows a run at `now` evaluates: the last 5 full minutes, and the hour before them. */
export function alertWindows(now: number): { current: MetricsWindow; baseline: MetricsWindow } {
  const to = Math.floor(now / 60) * 60;
  const from = to - ALERT_WINDOW_SECONDS;
  return {
    current: { from, to, interval: ALERT_WINDOW_SECONDS, merchant: null },
    baseline: { from: from - BASELINE_SECONDS, to: from, interval: BASELINE_SECONDS, merchant: null },
  };
}

/** The `webhook-id` of one transition: the same on every retry, distinct for each episode. */
export function alertMessageId(rule: string, since: number, transition: Exclude<AlertTransition, null>): string {
  return `msg_alert_${rule}_${since}_${transition === "alert.firing" ? "firing" : "resolved"}`;
}

/** One evaluation: every rule decided, each transition announced once. */
export async function runAlerts(env: Env, options: AlertRunOptions = {}): Promise<RuleOutcome[]> {
  const now = options.now ?? Math.floor(Date.now() / 1000);
  const metrics = options.metrics ?? queryMetrics;
  const { current, baseline } = alertWindows(now);
  const db = controlDb(env);
  const [currentReport, baselineReport, rows, hook] = await Promise.all([
    metrics(env, current),
    metrics(env, baseline),
    alertStateRows(db),
    getAlertHook(db),
  ]);
  const stored = new Map<string, AlertStateRow>(rows.map((r) => [r.rule, r]));
  const results = evaluateRules(currentReport.totals, baselineReport.totals, options.thresholds ?? DEFAULT_THRESHOLDS);
  const run = { env, now, window: { from: current.from, to: current.to }, hook, options };
  return Promise.all(results.map((r) => settle(run, r, stored.get(r.rule)?.state ?? "ok")));
}

/** What one rule's settlement needs from its run. */
interface Run {
  env: Env;
  now: number;
  window: { from: number; to: number };
  hook: AlertHookRow | undefined;
  options: AlertRunOptions;
}

/** Announces and stores one rule's change of state, if it changed. */
async function settle(run: Run, result: RuleResult, from: "ok" | "firing"): Promise<RuleOutcome> {
  const transition = transitionOf(from, result.state);
  if (transition === null) return { ...result, transition, delivery: "none" };
  const db = controlDb(run.env);
  const claimed = await claimTransition(db, result.rule, from, run.now, ALERT_LEASE_SECONDS);
  if (!claimed) return { ...result, transition, delivery: "held" };
  const to = stateAfter(transition);
  if (!run.hook?.enabled) {
    await finishTransition(db, claimed, to, run.now, false);
    log("warn", "alert_transition_unsent", { rule: result.rule, type: transition });
    return { ...result, transition, delivery: "silent" };
  }
  const delivery = await sendAlert(
    run.env,
    run.hook,
    alertMessageId(result.rule, claimed.since, transition),
    {
      type: transition,
      rule: result.rule,
      value: result.value,
      threshold: result.threshold,
      window: run.window,
      fired_at: run.now,
    },
    {
      timeoutMs: run.options.timeoutMs ?? ALERT_TIMEOUT_MS,
      resolve: run.options.resolve ?? dohResolver(),
      mode: isLive(run.env) ? "live" : "test",
    },
  ).catch((err: unknown) => ({
    ok: false as const,
    reason: err instanceof Error ? err.name : "unknown",
    status: null,
  }));
  if (delivery.ok) {
    await finishTransition(db, claimed, to, run.now, true);
    log("info", "alert_sent", { rule: result.rule, type: transition, value: result.value });
    return { ...result, transition, delivery: "sent" };
  }
  await releaseClaim(db, claimed);
  // Never the URL or the secret: the rule, the transition and why.
  log("error", "alert_delivery_failed", {
    rule: result.rule,
    type: transition,
    reason: delivery.reason,
    status: delivery.status,
  });
  return { ...result, transition, delivery: "failed" };
}

/**
 * Reads a metrics report: this isolate's buffered points are flushed first, and its flushes in flight
 * answered (so a report read right after traffic includes it, as the dashboard and tests expect),
 * then every rollup object is asked for the window in parallel and their answers merged
 * (domain/metrics.ts).
 */
import { buildReport, fold, type MerchantTotals, mergeMerchantTotals } from "../domain/metrics";
import type { MetricsReport, MetricsWindow } from "../domain/metrics-report";
import { METRICS_ROLLUP_OBJECTS, rollupName } from "../durable/metrics-rollup";
import { settledMetrics } from "./flush";

/** The metrics report of `window`; `top_merchants` is filled only when `window.merchant` is null. */
export async function queryMetrics(env: Env, window: MetricsWindow): Promise<MetricsReport> {
  await settledMetrics(env);
  const answers = await Promise.all(
    Array.from({ length: METRICS_ROLLUP_OBJECTS }, (_, i) => env.METRICS_ROLLUP.getByName(rollupName(i)).query(window)),
  );
  const merchants = new Map<string, MerchantTotals>();
  for (const answer of answers) for (const t of answer.merchants) mergeMerchantTotals(merchants, t);
  return buildReport(window, fold(answers.flatMap((a) => a.series)), [...merchants.values()]);
}

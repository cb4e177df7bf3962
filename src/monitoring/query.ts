/**
 * Reads a metrics report: this isolate's unflushed points are flushed first, then every rollup
 * object is asked for the window and their answers merged (domain/metrics.ts).
 */
import type { MetricsReport, MetricsWindow } from "../domain/metrics-report";

/** The metrics report of `window`; `top_merchants` is filled only when `window.merchant` is null. */
export async function queryMetrics(_env: Env, _window: MetricsWindow): Promise<MetricsReport> {
  throw new Error("not built yet");
}

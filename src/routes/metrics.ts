/**
 * Request metrics (src/monitoring): `GET /admin/v1/metrics` (operator: every merchant or one, with
 * the merchants with the most errors) and `GET /v1/metrics` (a merchant's own, scope
 * `metrics:read`). Both answer a MetricsReport (domain/metrics-report.ts) over [from, to) in steps
 * of `interval` seconds, from the per-minute rollups kept for 3 days.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import type { MetricsWindow } from "../domain/metrics-report";
import { RETENTION_SECONDS } from "../durable/metrics-rollup";
import { ApiError } from "../errors";
import { errorResponses, OPERATOR_ROUTE } from "../lib/openapi";
import { intParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { queryMetrics } from "../monitoring/query";
import type { App } from "../types";
import { merchantOr404 } from "./operator-shard";

/** Most intervals one report holds. */
export const MAX_INTERVALS = 1440;
/** The window when `from` is not given: the hour before `to`. */
export const DEFAULT_WINDOW_SECONDS = 3600;

const Percentiles = z
  .object({ count: z.int(), p50: z.number().nullable(), p95: z.number().nullable(), p99: z.number().nullable() })
  .openapi("LatencyPercentiles", {
    description: "Milliseconds; at most 10% (+0.1 ms) above the true value, never below (docs/monitoring.md).",
  });
const Counts = z.record(z.string(), z.int());
const Stats = {
  requests: z.int(),
  status: z.object({ "2xx": z.int(), "3xx": z.int(), "4xx": z.int(), "5xx": z.int() }),
  error_rate: z.object({ "4xx": z.number(), "5xx": z.number() }),
  authorizations: z.object({
    attempted: z.int(),
    succeeded: z.int(),
    declined: z.int(),
    blocked: z.int(),
    requires_action: z.int(),
    failed: z.int(),
    unknown: z.int(),
    success_rate: z.number().nullable(),
  }),
  declines: Counts.openapi({ description: "Declined authorizations by decline_code." }),
  blocked_by_fraud: z.int(),
  latency_ms: Percentiles,
  latency_by_route_ms: z.record(z.string(), Percentiles),
  processor_latency_ms: Percentiles,
  volume: Counts.openapi({ description: "Amount authorized per currency, in minor units." }),
};
const WindowStats = z.object(Stats).openapi("MetricsWindowStats");
const MetricsSchema = z
  .object({
    object: z.literal("metrics"),
    from: z.int(),
    to: z.int(),
    interval: z.int(),
    merchant: z.string().nullable(),
    intervals: z.array(z.object({ start: z.int(), ...Stats })),
    totals: WindowStats,
    top_merchants: z.array(
      z.object({ merchant: z.string(), requests: z.int(), errors_4xx: z.int(), errors_5xx: z.int() }),
    ),
  })
  .openapi("Metrics");

const seconds = intParam().pipe(z.int().min(0));
const Window = {
  from: seconds.optional().openapi({ description: "Unix seconds, rounded down to the minute; default `to` − 1 hour." }),
  to: seconds.optional().openapi({ description: "Unix seconds (exclusive), rounded up to the minute; default now." }),
  interval: intParam()
    .pipe(z.int().min(60).max(86_400).multipleOf(60))
    .optional()
    .openapi({ description: "Seconds per interval, a multiple of 60 (default 60)." }),
};
const OperatorQuery = z.strictObject({ ...Window, merchant: z.string().max(64).optional() });
const MerchantQuery = z.strictObject(Window);

const ok = { description: "The metrics of the window", content: { "application/json": { schema: MetricsSchema } } };

const operatorRoute = createRoute({
  method: "get",
  path: "/admin/v1/metrics",
  ...OPERATOR_ROUTE,
  summary: "Request metrics of every merchant, or of one",
  request: { query: OperatorQuery },
  responses: { 200: ok, ...errorResponses(400, 401, 404, 429) },
});

const merchantRoute = createRoute({
  method: "get",
  path: "/v1/metrics",
  tags: ["Metrics"],
  summary: "Request metrics of the authenticated merchant",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("metrics:read")] as const,
  request: { query: MerchantQuery },
  responses: { 200: ok, ...errorResponses(400, 401, 403) },
});

/** The window a query names, checked: minute-aligned, `from` before `to`, within the retention, at most MAX_INTERVALS. */
export function windowOf(
  q: { from?: number; to?: number; interval?: number },
  merchant: string | null,
  nowSeconds: number,
): MetricsWindow {
  const to = Math.ceil((q.to ?? nowSeconds) / 60) * 60;
  const from = Math.floor((q.from ?? to - DEFAULT_WINDOW_SECONDS) / 60) * 60;
  const interval = q.interval ?? 60;
  if (from >= to) throw new ApiError("parameter_invalid", "from must be before to.", { param: "from" });
  if (to - from > RETENTION_SECONDS + 60) {
    throw new ApiError("parameter_invalid", "The window may span at most 3 days (the rollups' retention).", {
      param: "from",
    });
  }
  if (Math.ceil((to - from) / interval) > MAX_INTERVALS) {
    throw new ApiError(
      "parameter_invalid",
      `The window holds more than ${MAX_INTERVALS} intervals; use a longer interval.`,
      {
        param: "interval",
      },
    );
  }
  return { from, to, interval, merchant };
}

/** Registers both metrics routes. */
export function registerMetrics(app: App): void {
  app.openapi(operatorRoute, async (c) => {
    const q = c.req.valid("query");
    const merchant =
      q.merchant === undefined ? null : (await merchantOr404(controlDb(c.env), q.merchant, "merchant")).id;
    const report = await queryMetrics(c.env, windowOf(q, merchant, Math.floor(Date.now() / 1000)));
    c.header("Cache-Control", "no-store");
    return c.json(report, 200);
  });
  app.openapi(merchantRoute, async (c) => {
    const q = c.req.valid("query");
    const report = await queryMetrics(c.env, windowOf(q, c.var.auth.merchantId, Math.floor(Date.now() / 1000)));
    c.header("Cache-Control", "no-store");
    return c.json(report, 200);
  });
}

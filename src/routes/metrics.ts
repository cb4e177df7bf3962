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
import { errorResponses, OPERATOR_ROUTE, registerComponents } from "../lib/openapi";
import { intParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { queryMetrics } from "../monitoring/query";
import type { App } from "../types";
import { merchantOr404 } from "./operator-shard";

/** Most intervals one report holds. */
export const MAX_INTERVALS = 1440;
/** The window when `from` is not given: the hour before `to`. */
export const DEFAULT_WINDOW_SECONDS = 3600;

const percentile = (p: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `The ${p} percentile, in milliseconds; null when \`count\` is 0.` });
const Percentiles = z
  .object({
    count: z.int().openapi({ description: "How many observations.", example: 120 }),
    p50: percentile("50th"),
    p95: percentile("95th"),
    p99: percentile("99th"),
  })
  .openapi("LatencyPercentiles", {
    description: "Milliseconds; at most 10% (+0.1 ms) above the true value, never below (docs/monitoring.md).",
    example: { count: 120, p50: 21.4, p95: 88, p99: 140.2 },
  });
const Counts = z.record(z.string(), z.int());
const count = (description: string) => z.int().openapi({ description });
const Stats = {
  requests: count("Requests answered."),
  status: z
    .object({
      "2xx": count("Requests answered 2xx."),
      "3xx": count("Requests answered 3xx."),
      "4xx": count("Requests answered 4xx."),
      "5xx": count("Requests answered 5xx."),
    })
    .openapi({ description: "Requests by HTTP status class." }),
  error_rate: z
    .object({
      "4xx": z.number().openapi({ description: "Share of requests answered 4xx, 0 to 1.", example: 0.02 }),
      "5xx": z.number().openapi({ description: "Share of requests answered 5xx, 0 to 1.", example: 0 }),
    })
    .openapi({ description: "Share of requests answered 4xx and 5xx (0 when there were no requests)." }),
  authorizations: z
    .object({
      attempted: count("Authorization attempts: one per request that ran an authorization."),
      succeeded: count("Attempts authorized."),
      declined: count("Attempts the issuer declined."),
      blocked: count("Attempts the fraud screen blocked before the processor."),
      requires_action: count("Attempts that stopped for 3-D Secure."),
      failed: count(
        "Attempts that failed otherwise: a processing error, a card that could not be used, a failed 3-D Secure.",
      ),
      unknown: count("Attempts the processor gave no answer to (a timeout, an outage); settled later."),
      success_rate: z.number().nullable().openapi({
        description: "succeeded / (succeeded + declined + blocked + failed + unknown), 0 to 1; null when that is 0.",
        example: 0.95,
      }),
    })
    .openapi({ description: "Authorization attempts by outcome." }),
  declines: Counts.openapi({
    description: "Declined authorizations by decline_code.",
    example: { insufficient_funds: 2 },
  }),
  blocked_by_fraud: count("Authorizations the fraud screen blocked (also counted in `authorizations.blocked`)."),
  latency_ms: Percentiles.openapi({ description: "Every request's latency." }),
  latency_by_route_ms: z
    .record(z.string(), Percentiles)
    .openapi({ description: "Latency per route pattern (`POST /v1/payment_intents/:id/confirm`)." }),
  processor_latency_ms: Percentiles.openapi({
    description: "Time spent waiting for processors, per request that called one.",
  }),
  volume: Counts.openapi({ description: "Amount authorized per currency, in minor units.", example: { usd: 125000 } }),
};
const WindowStats = z.object(Stats).openapi("MetricsWindowStats");
const MetricsSchema = z
  .object({
    object: z.literal("metrics").openapi({ description: "String representing the object's type: always `metrics`." }),
    from: z.int().openapi({ description: "Start of the window, in unix seconds (inclusive).", example: 1733094000 }),
    to: z.int().openapi({ description: "End of the window, in unix seconds (exclusive).", example: 1733097600 }),
    interval: z.int().openapi({ description: "Seconds per interval.", example: 60 }),
    merchant: z
      .string()
      .nullable()
      .openapi({ description: "The merchant (`mer_…`) the report is about; null for every merchant." }),
    intervals: z
      .array(z.object({ start: z.int().openapi({ description: "Start of the interval, in unix seconds." }), ...Stats }))
      .openapi({ description: "Every interval of the window, oldest first; intervals with no requests are zeros." }),
    totals: WindowStats.openapi({ description: "The whole window." }),
    top_merchants: z
      .array(
        z.object({
          merchant: z.string().openapi({ description: "The merchant's id (`mer_…`)." }),
          requests: count("Its requests in the window."),
          errors_4xx: count("Its requests answered 4xx."),
          errors_5xx: count("Its requests answered 5xx."),
        }),
      )
      .openapi({ description: "Up to 10 merchants, most errors (4xx + 5xx) first; empty in a merchant's own view." }),
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
const OperatorQuery = z.strictObject({
  ...Window,
  merchant: z
    .string()
    .max(64)
    .optional()
    .openapi({ description: "Only this merchant (`mer_…`); default: every merchant." }),
});
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
  registerComponents(app, { LatencyPercentiles: Percentiles, MetricsWindowStats: WindowStats });
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

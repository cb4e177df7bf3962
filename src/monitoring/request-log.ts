/**
 * The outermost middleware: measures each request and, after its answer, writes its one structured
 * log line and hands its metrics point to monitoring/flush.ts. The line holds ids, the route
 * pattern (never the raw path, which could carry anything), status, codes, latency and counts, and
 * never a body, a header, a token, a secret or card data.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import type { Point } from "../domain/metrics";
import { inBackground } from "../lib/http";
import { log } from "../lib/log";
import { newMeter, withMeter } from "../lib/meter";
import type { AppEnv } from "../types";
import { collect } from "./flush";
import { meteredEnv } from "./metered-env";

/** The route a metrics point and log line name for a request that matched no handler. */
export const UNMATCHED_ROUTE = "unmatched";

/**
 * `METHOD /pattern` of the handler that answered (its parameters' own patterns dropped): the route
 * at `routeIndex` after the handler ran; for an answer a middleware gave first (a 401), the last
 * handler the path matched. `unmatched` when none did.
 */
export function routeName(c: Context<AppEnv>): string {
  const method = c.req.method === "HEAD" ? "GET" : c.req.method;
  const routes = matchedRoutes(c);
  const current = routes[c.req.routeIndex];
  const handler = current?.method === method ? current : routes.findLast((r) => r.method === method);
  return handler ? `${method} ${handler.path.replace(/\{[^}]*\}/g, "")}` : UNMATCHED_ROUTE;
}

/** Measures the request, then logs its line and records its metrics point (after the answer, in waitUntil). */
export const requestLog = createMiddleware<AppEnv>(async (c, next) => {
  const started = Date.now();
  const env = c.env;
  c.env = meteredEnv(env);
  const meter = newMeter();
  await withMeter(meter, next);
  const status = c.res.status;
  const latencyMs = Date.now() - started;
  const route = routeName(c);
  const auth = c.var.auth;
  const authorization = meter.authorization;
  // The credential's merchant; on routes without one (hosted checkout, 3-D Secure) the payment's.
  const merchant = auth?.merchantId ?? meter.merchant;
  log(status >= 500 ? "error" : "info", "request", {
    request_id: c.var.requestId ?? null,
    ray: c.req.header("cf-ray") ?? null,
    merchant,
    credential: auth?.clientId ?? null,
    credential_kind: auth?.credential ?? null,
    operator: c.var.operator?.id ?? null,
    method: c.req.method,
    route,
    status,
    error_code: meter.errorCode,
    outcome: authorization?.outcome ?? null,
    decline_code: authorization?.declineCode ?? null,
    latency_ms: latencyMs,
    d1_calls: meter.d1Calls,
    do_calls: meter.doCalls,
    processor_ms: meter.processorMs,
  });
  const point: Point = {
    at: started,
    merchant: merchant ?? "",
    route,
    status,
    latencyMs,
    processorMs: meter.processorMs,
    authorization,
  };
  collect(env, point, (work) => inBackground(c, "metrics_flush_failed", work));
});

/** Small response helpers shared by route modules. */
import type { Context } from "hono";
import { type ApiError, errorEnvelope } from "../errors";
import type { AppEnv } from "../types";
import { log } from "./log";
import { meterError } from "./meter";

/** Sends an ApiError as the JSON error envelope with its status and headers. */
export function sendError(c: Context<AppEnv>, err: ApiError): Response {
  meterError(err.code);
  const headers = new Headers(err.details.headers);
  headers.set("content-type", "application/json; charset=UTF-8");
  headers.set("Request-Id", c.var.requestId);
  return new Response(JSON.stringify(errorEnvelope(err, c.var.requestId)), { status: err.status, headers });
}

/**
 * Runs `work` after the response is sent (ctx.waitUntil) so it adds no latency; failures are logged
 * as `event`. Without an execution context (in-process `app.request`), it runs unawaited.
 */
export function inBackground(c: Context<AppEnv>, event: string, work: Promise<unknown>): void {
  const guarded = work.catch((err: unknown) => {
    log("error", event, { request_id: c.var.requestId, error: err instanceof Error ? err.name : typeof err });
  });
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  ctx?.waitUntil(guarded);
}

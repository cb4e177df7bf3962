/** Small response helpers shared by route modules. */
import type { Context } from "hono";
import { type ApiError, errorEnvelope } from "../errors";
import type { AppEnv } from "../types";

/** Sends an ApiError as the JSON error envelope with its status and headers. */
export function sendError(c: Context<AppEnv>, err: ApiError): Response {
  const headers = new Headers(err.details.headers);
  headers.set("content-type", "application/json; charset=UTF-8");
  headers.set("Request-Id", c.var.requestId);
  return new Response(JSON.stringify(errorEnvelope(err, c.var.requestId)), { status: err.status, headers });
}

/**
 * Gives every request a `req_…` id, exposed as the `Request-Id` response header and in error envelopes.
 * Why not hono/request-id: see CONTRIBUTING.md ("Hand-written on purpose").
 */
import { createMiddleware } from "hono/factory";
import { newId } from "../lib/ids";
import type { AppEnv } from "../types";

/** Sets `c.var.requestId` and the `Request-Id` header on every response, errors included. */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const id = newId("req");
  c.set("requestId", id);
  c.header("Request-Id", id);
  await next();
  c.res.headers.set("Request-Id", id);
});

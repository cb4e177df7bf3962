/**
 * After every merchant request that built an event insert (`EventOrigin.wroteEvents`: a change a
 * merchant is told about, whether its answer is a 200 or a decline), puts the merchant's new
 * events on the webhook queue: `dispatchMerchant` runs in `executionCtx.waitUntil`, after the response is
 * sent. It must never be awaited here: the payment paths would then wait for a claim, a queue send
 * and a mark, three more sequential hops on every money request. What this misses (no execution
 * context, an isolate that dies) and events no request made (the sweep's expiries) the minute cron
 * dispatches (webhooks/dispatch.ts).
 */
import { createMiddleware } from "hono/factory";
import { log } from "../lib/log";
import type { AppEnv } from "../types";
import { dispatchMerchant } from "../webhooks/dispatch";

/** Schedules the dispatch of the authenticated merchant's events once the request is answered. */
export const dispatchAfterWrite = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  // A request that wrote no event (a read, a refusal, a replay, a tokenize) has nothing to dispatch.
  if (!c.get("payments")?.origin?.wroteEvents) return;
  const auth = c.get("auth");
  const db = c.get("merchantDb");
  if (!auth || !db) return;
  let ctx: { waitUntil(promise: Promise<unknown>): void };
  try {
    ctx = c.executionCtx;
  } catch {
    return; // app.request() in a test: no context to outlive the response; the cron dispatches.
  }
  ctx.waitUntil(
    dispatchMerchant(c.env, db, auth.merchantId).then(
      () => undefined,
      (err: unknown) =>
        log("error", "webhook_dispatch_failed", {
          request_id: c.var.requestId ?? null,
          error: err instanceof Error ? err.name : "unknown",
        }),
    ),
  );
});

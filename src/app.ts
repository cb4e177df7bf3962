/**
 * The app factory: the one place that sets middleware order, validation hook, error mapping,
 * 404/405 handling and the OpenAPI document, then mounts one route module per resource.
 */

import { OpenAPIHono } from "@hono/zod-openapi";
import type { Context, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, internalErrorEnvelope } from "./errors";
import { clientFacts } from "./fraud/screen";
import { mayEcho } from "./lib/echo";
import { inBackground, sendError } from "./lib/http";
import { log } from "./lib/log";
import { meterError } from "./lib/meter";
import { validationError } from "./lib/validation";
import { parseBody } from "./middleware/body";
import { dispatchAfterWrite } from "./middleware/dispatch";
import { gate } from "./middleware/gate";
import { merchantAuth } from "./middleware/merchant-auth";
import { operatorAuth } from "./middleware/operator-auth";
import { requestId } from "./middleware/request-id";
import { requestLog } from "./monitoring/request-log";
import type { MoveTiming } from "./moves/move-merchant";
import { type PaymentOverrides, paymentDeps } from "./payments/deps";
import { STRIPE_API_BASE } from "./processor/index";
import { registerAccount } from "./routes/account";
import { registerAdminAlerting } from "./routes/admin-alerting";
import { registerAdminApiKeys } from "./routes/admin-api-keys";
import { registerAdminAuditLog } from "./routes/admin-audit-log";
import { registerAdminClients } from "./routes/admin-clients";
import { registerAdminConnectors } from "./routes/admin-connectors";
import { registerAdminDashboard } from "./routes/admin-dashboard";
import { registerAdminMerchantMoves } from "./routes/admin-merchant-moves";
import { registerAdminMerchants } from "./routes/admin-merchants";
import { registerAdminOperators } from "./routes/admin-operators";
import { registerAdminRadar } from "./routes/admin-radar";
import { registerAdminReconciliation } from "./routes/admin-reconciliation";
import { registerAdminRouting } from "./routes/admin-routing";
import { registerAdminSettlement } from "./routes/admin-settlement";
import { registerVaultAdmin } from "./routes/admin-vault";
import { registerApiKeys } from "./routes/api-keys";
import { registerBalance } from "./routes/balance";
import { registerBalanceTransactions } from "./routes/balance-transactions";
import { registerCharges } from "./routes/charges";
import { registerHostedCheckout } from "./routes/checkout-hosted";
import { registerCheckoutPage } from "./routes/checkout-page";
import { registerCheckoutSessions } from "./routes/checkout-sessions";
import { registerCustomers } from "./routes/customers";
import { registerDocs } from "./routes/docs";
import { registerEvents } from "./routes/events";
import { registerHealth } from "./routes/health";
import { registerMetrics } from "./routes/metrics";
import { oauthError, registerOAuth } from "./routes/oauth";
import { registerPaymentIntentActions } from "./routes/payment-intent-actions";
import { registerPaymentIntents } from "./routes/payment-intents";
import { registerPaymentMethods } from "./routes/payment-methods";
import { registerPayouts } from "./routes/payouts";
import { registerRadarRules } from "./routes/radar-rules";
import { registerRadarValueLists } from "./routes/radar-value-lists";
import { registerRefunds } from "./routes/refunds";
import { registerReporting } from "./routes/reporting";
import { registerReviews } from "./routes/reviews";
import { registerThreeDSecure } from "./routes/three-d-secure";
import { registerTokens } from "./routes/tokens";
import { registerWebhookAttempts } from "./routes/webhook-attempts";
import { registerWebhookEndpoints } from "./routes/webhook-endpoints";
import type { App, AppEnv } from "./types";
import { dohResolver, type Resolver } from "./webhooks/url-safety";

/** Largest request body accepted, in bytes; larger bodies get a 413 before any parsing. */
export const MAX_BODY_BYTES = 64 * 1024;

/** The OAuth2 token endpoint: the one `/v1` path that takes client credentials instead of a token. */
export const TOKEN_PATH = "/v1/oauth/token";

/** Whether the gate (rate limits, idempotency) runs on `path`: every `/v1` path but the token endpoint's, as mounted below. */
export function gatedPath(path: string): boolean {
  return path.startsWith("/v1/") && path !== TOKEN_PATH;
}

/** What a test (or a future deployment choice) may replace when building the app. */
export interface AppOptions {
  /** The payment services' processor and clock (see payments/deps.ts). */
  payments?: PaymentOverrides;
  /** The waits of a merchant move (moves/move-merchant.ts); tests shorten them. */
  moveTiming?: MoveTiming;
  /** Resolves hostnames for the live-mode webhook URL check (default: DNS-over-HTTPS); tests pass a table. */
  resolve?: Resolver;
}

/** Builds the gateway app. Called once per isolate by the Worker entry, and by tests that need extra routes or a processor that fails. */
export function createApp(options: AppOptions = {}): App {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        const input = result.target === "json" ? c.var.body : result.target === "query" ? c.req.query() : c.req.param();
        throw validationError(result.error, input);
      }
    },
  });

  // Outermost: measures every request, then logs its line and records its metrics (src/monitoring).
  app.use("*", requestLog);
  app.use("*", requestId);
  // A live deployment without the KEKs that open connector credentials (and cards) serves nothing.
  app.use("*", async (c, next) => {
    if (c.env.EDGEPAY_MODE === "live") {
      const missing = liveMisconfiguration(c.env);
      if (missing) return refuseUnconfigured(c, missing);
    }
    await next();
  });
  // Authentication comes before body parsing: an unauthenticated caller gets its 401 without the
  // gateway reading (up to MAX_BODY_BYTES of) its body. Every merchant route is authenticated by
  // default; only the token endpoint is public. Authentication finds the merchant's database, so
  // the payment dependencies are built right after it.
  app.use("/v1/*", exceptTokenPath(merchantAuth));
  app.use(
    "/v1/*",
    exceptTokenPath(async (c, next) => {
      // The gate refuses a malformed Idempotency-Key before any service runs, so the header is the key.
      const origin = { requestId: c.var.requestId, idempotencyKey: c.req.header("Idempotency-Key") ?? null };
      const request = {
        client: clientFacts(c.req.raw, c.var.auth.credential),
        defer: (work: Promise<unknown>) => inBackground(c, "deferred_work_failed", work),
      };
      c.set("payments", paymentDeps(c.env, c.var.merchantDb, options.payments, origin, request));
      await next();
    }),
  );
  // After the response of every merchant write, its new events go to the webhook queue (in waitUntil).
  app.use("/v1/*", exceptTokenPath(dispatchAfterWrite));
  app.use("/admin/v1/*", operatorAuth);
  app.use("*", parseBody(MAX_BODY_BYTES));
  // The gate (rate limits, idempotency) needs the parsed body for its fingerprint. It runs after
  // authentication, so 401s are never counted, and after parsing, so a malformed body saves nothing.
  app.use("/v1/*", exceptTokenPath(gate));

  registerHealth(app);
  registerOAuth(app);
  registerAccount(app);
  registerPaymentIntents(app);
  registerPaymentIntentActions(app);
  registerRefunds(app);
  registerCharges(app);
  registerBalance(app);
  registerBalanceTransactions(app);
  registerPayouts(app);
  registerReporting(app);
  registerCustomers(app);
  registerCheckoutSessions(app);
  registerCheckoutPage(app, options.payments);
  registerHostedCheckout(app);
  registerThreeDSecure(app, options.payments);
  registerPaymentMethods(app);
  registerTokens(app);
  registerRadarValueLists(app);
  registerRadarRules(app);
  registerReviews(app);
  registerWebhookEndpoints(app, options.resolve ?? dohResolver());
  registerWebhookAttempts(app);
  registerEvents(app);
  registerApiKeys(app);
  registerAdminMerchants(app);
  registerAdminMerchantMoves(app, options.moveTiming);
  registerAdminClients(app);
  registerAdminApiKeys(app);
  registerAdminOperators(app);
  registerAdminRadar(app);
  registerAdminSettlement(app);
  registerAdminConnectors(app);
  registerAdminRouting(app);
  registerAdminReconciliation(app, options.payments?.reports);
  registerVaultAdmin(app);
  registerAdminAlerting(app, options.resolve ?? dohResolver());
  registerMetrics(app);
  registerAdminAuditLog(app);
  registerAdminDashboard(app);
  // Resource modules register here, one per resource.
  registerDocs(app, gatedPath);

  app.notFound((c) => {
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length > 0) {
      return sendError(
        c,
        new ApiError("method_not_allowed", `${c.req.method} is not allowed on ${shownPath(c.req.path)}.`, {
          headers: { Allow: allowed.join(", ") },
        }),
      );
    }
    return sendError(
      c,
      new ApiError("route_not_found", `Unrecognized request URL (${c.req.method}: ${shownPath(c.req.path)}).`),
    );
  });

  app.onError((err, c) => {
    // The token endpoint speaks RFC 6749 errors, including for bodies the parser refused.
    if (c.req.path === TOKEN_PATH && err instanceof ApiError && err.status < 500) {
      return oauthError(c, "invalid_request", err.message);
    }
    if (err instanceof ApiError) return sendError(c, err);
    if (err instanceof HTTPException && err.status === 415) {
      return sendError(c, new ApiError("unsupported_media_type", "Unsupported media type."));
    }
    if (err instanceof HTTPException && err.status < 500) {
      return sendError(c, new ApiError("body_malformed", "The request could not be parsed."));
    }
    // Never echo err.message, in the response or the log: it may carry internals or request data.
    // The class name and the stack frames (without the message line) locate the fault.
    log("error", "unhandled_error", {
      request_id: c.var.requestId ?? null,
      error: err instanceof Error ? err.name : typeof err,
      frames: err instanceof Error ? stackFrames(err) : null,
    });
    meterError("internal_error");
    return c.json(internalErrorEnvelope(c.var.requestId ?? "unknown"), 500);
  });

  return app;
}

let refusalLogged = false;

/**
 * What a live deployment lacks to take real payments, or null: `VAULT_KEKS` (the keys that open
 * cards and connector credentials), or a Stripe connector pointed anywhere but Stripe (it would
 * receive live keys and card numbers).
 */
export function liveMisconfiguration(env: Pick<Env, "VAULT_KEKS" | "STRIPE_API_BASE">): string | null {
  if (!env.VAULT_KEKS) return "VAULT_KEKS";
  if (env.STRIPE_API_BASE !== STRIPE_API_BASE) return "STRIPE_API_BASE";
  return null;
}

/** The 503 of a live deployment missing what `liveMisconfiguration` names, logged once per isolate. */
function refuseUnconfigured(c: Context<AppEnv>, missing: string): Response {
  if (!refusalLogged) {
    refusalLogged = true;
    log("error", "live_mode_unconfigured", { missing });
  }
  return sendError(c, new ApiError("service_unavailable", "This live deployment is not configured to serve requests."));
}

/**
 * `mw` on every path but the token endpoint's. A string comparison: hono/combine's `except` builds
 * a router and matches every request against it, which cost ~30 µs per request per use.
 */
function exceptTokenPath(mw: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return (c, next) => (c.req.path === TOKEN_PATH ? next() : mw(c, next));
}

/**
 * The request path as an error message may repeat it: a path that could carry a card number (a
 * run of 12+ digits) or is unreasonably long is described instead.
 */
function shownPath(path: string): string {
  return mayEcho(path) ? path : "(path not shown)";
}

/** The stack's "at …" lines only: the first line of `err.stack` repeats the message. */
function stackFrames(err: Error): string | null {
  const frames = (err.stack ?? "").split("\n").filter((line) => /^\s+at /.test(line));
  return frames.length > 0 ? frames.slice(0, 8).join("\n") : null;
}

/** Methods registered for a path other than the one used, for 405 answers and the `Allow` header. */
function allowedMethods(app: App, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === "ALL" || route.path.includes("*")) continue;
    // A parameter with its own pattern (`:id{cs_…}`, no braces inside) matches only that; any other, one segment.
    const source = route.path.replace(/:\w+(?:\{([^}/]+)\})?/g, (_, own?: string) => (own ? `(?:${own})` : "[^/]+"));
    const pattern = new RegExp(`^${source}$`);
    if (pattern.test(path)) methods.add(route.method);
  }
  return [...methods].sort();
}

/**
 * The operator dashboard (`/admin/dashboard`) and its sign-in. The page is the static HTML of
 * public/admin/dashboard.html (Workers Static Assets), answered with a strict Content-Security-Policy;
 * its script and styles (and uPlot, vendored by scripts/vendor-assets.ts) are served from public/admin/.
 * Signing in trades an operator secret, checked exactly as the operator API checks a Bearer secret
 * (same throttle, same 401), for a 15-minute session cookie (lib/dashboard-cookie.ts) that the
 * page's own reads of `/admin/v1/metrics` and `/admin/v1/audit_log` carry; the secret never goes
 * into a URL or the page's storage. A request with another origin may neither sign in nor out.
 */
import type { Context } from "hono";
import { signDashboardSession } from "../crypto/dashboard-session";
import { tokenConfig } from "../crypto/jwt";
import { controlDb } from "../db/client";
import { insertAudit, nowSeconds } from "../db/merchants";
import { ApiError, invalidParam } from "../errors";
import { clearedSessionCookie, sessionCookie, sessionFromCookies } from "../lib/dashboard-cookie";
import { operatorAudit, operatorFromSecret, sessionOperator } from "../middleware/operator-auth";
import type { App, AppEnv } from "../types";

/** The page's policy: its own script, style and API only; no frames, no base, no form posts elsewhere. */
export const DASHBOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Every header the page is answered with (public/_headers gives its CSS and scripts the same policy). */
export const DASHBOARD_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": DASHBOARD_CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/** Where the page's HTML sits among the static assets (the Worker answers that path itself with a 404). */
const PAGE_ASSET = "/admin/dashboard.html";

/** Longest secret the sign-in reads (operator secrets and OPERATOR_TOKEN are far shorter). */
const MAX_SECRET_LENGTH = 4096;

/** The sign-in state the page reads: who the session stands for, or null. */
interface SessionState {
  object: "dashboard_session";
  operator: string | null;
}

/** Refuses a browser request sent from another origin (a request without `Origin` is not a browser's cross-site one). */
function sameOrigin(c: Context<AppEnv>): void {
  const origin = c.req.header("origin");
  if (origin !== undefined && origin !== new URL(c.req.url).origin) {
    throw new ApiError("cross_origin_request", "This endpoint only answers the dashboard's own origin.");
  }
}

/** Registers the dashboard page, its sign-in, sign-in state and sign-out. */
export function registerAdminDashboard(app: App): void {
  app.get("/admin/dashboard", async (c) => {
    const asset = await c.env.ASSETS.fetch(new URL(PAGE_ASSET, c.req.url));
    if (!asset.ok) throw new Error(`dashboard page asset answered ${asset.status}`);
    return new Response(asset.body, {
      status: 200,
      headers: { ...DASHBOARD_PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8" },
    });
  });

  app.get("/admin/dashboard/session", async (c) => {
    const session = sessionFromCookies(c.req.header("cookie"));
    const actor = session === undefined ? null : await sessionOperator(c.env, session, nowSeconds());
    if (session !== undefined && !actor) c.header("Set-Cookie", clearedSessionCookie());
    c.header("Cache-Control", "no-store");
    return c.json<SessionState>({ object: "dashboard_session", operator: actor?.id ?? null });
  });

  app.post("/admin/dashboard/session", async (c) => {
    sameOrigin(c);
    const { secret } = c.var.body;
    if (secret === undefined || secret === "") {
      throw invalidParam("parameter_missing", "Missing required param: secret.", "secret");
    }
    if (typeof secret !== "string" || secret.length > MAX_SECRET_LENGTH) {
      throw invalidParam("parameter_invalid", "secret must be an operator secret.", "secret");
    }
    const actor = await operatorFromSecret(c, secret);
    const config = await tokenConfig(c.env);
    const session = await signDashboardSession(config, { operatorId: actor.id, credential: actor.tag }, nowSeconds());
    await insertAudit(controlDb(c.env), operatorAudit(c, "dashboard.signed_in", actor.id));
    c.header("Set-Cookie", sessionCookie(session));
    c.header("Cache-Control", "no-store");
    return c.json<SessionState>({ object: "dashboard_session", operator: actor.id });
  });

  app.post("/admin/dashboard/logout", (c) => {
    sameOrigin(c);
    c.header("Set-Cookie", clearedSessionCookie());
    c.header("Cache-Control", "no-store");
    return c.body(null, 204);
  });
}

/**
 * The hosted checkout page at `/checkout/<cs id>`: the static HTML of public/checkout/checkout.html
 * (Workers Static Assets, `env.ASSETS`), answered with a strict Content-Security-Policy and frame,
 * referrer and caching headers. The HTML carries no session data: the page's script reads the
 * session from `/checkout/api/sessions/<id>` (routes/checkout-page.ts). Any other path under
 * `/checkout/` that is not a session id is the gateway's 404.
 */
import type { App } from "../types";

/** The page's policy: its own script, style and API only; no frames, no base, no form posts elsewhere. */
export const CHECKOUT_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** Every header the page is answered with (public/_headers gives its CSS and script the same policy). */
export const CHECKOUT_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CHECKOUT_CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "Cache-Control": "no-store",
  "X-Content-Type-Options": "nosniff",
};

/** The path segment of a session id (`cs_test_…`, `cs_live_…`), as a route pattern without braces. */
const SESSION_ID = "cs_(?:test|live)_[0-9A-Za-z]+";

/** Where the page's HTML sits among the static assets. */
const PAGE_ASSET = "/checkout/checkout.html";

/** Registers `GET /checkout/:id`, the hosted page of a session. */
export function registerHostedCheckout(app: App): void {
  app.get(`/checkout/:id{${SESSION_ID}}`, async (c) => {
    const asset = await c.env.ASSETS.fetch(new URL(PAGE_ASSET, c.req.url));
    if (!asset.ok) throw new Error(`hosted checkout page asset answered ${asset.status}`);
    return new Response(asset.body, {
      status: 200,
      headers: { ...CHECKOUT_PAGE_HEADERS, "Content-Type": "text/html; charset=utf-8" },
    });
  });
}

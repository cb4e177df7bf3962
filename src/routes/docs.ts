/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas, with generated request
 * examples) and `GET /docs`, the API reference: the static page public/docs/index.html (Workers
 * Static Assets), whose script renders /openapi.json and the guides of public/docs/guides/ with the
 * vendored Scalar bundle (scripts/vendor-assets.ts). Nothing of the page is in the Worker bundle.
 */
import type { Context } from "hono";
import { documentAppWide } from "../lib/openapi-document";
import { withCodeSamples } from "../lib/openapi-samples";
import type { App, AppEnv } from "../types";

/** Every tag an operation may carry, with what it groups, in the order a reader meets them. */
export const TAGS = [
  { name: "Payment intents", description: "Create, confirm, capture and cancel payments (Stripe's PaymentIntents)." },
  { name: "Payment methods", description: "Cards saved in the vault, and attaching them to customers." },
  { name: "Tokens", description: "Single-use card tokens (`tok_…`), e.g. from a browser with a publishable key." },
  { name: "Customers", description: "Customers, who hold saved payment methods." },
  { name: "Refunds", description: "Full and partial refunds of captured payments." },
  { name: "Charges", description: "The charge of each authorization attempt, read-only." },
  { name: "Checkout sessions", description: "Hosted checkout: sessions a merchant creates and sends a buyer to." },
  {
    name: "Checkout page",
    description: "The JSON API behind the hosted checkout page; public, authorized by the session id.",
  },
  { name: "Balance", description: "The merchant's balance and its balance transactions." },
  { name: "Payouts", description: "Payouts of the available balance to the merchant's bank account." },
  { name: "Reporting", description: "CSV reports: payout reconciliation and balance over a period." },
  { name: "Radar", description: "Fraud rules, value lists and the reviews they open." },
  { name: "Webhook endpoints", description: "Where events are delivered, and each delivery attempt." },
  { name: "Events", description: "Every change to the merchant's objects, as delivered to webhooks." },
  { name: "Account", description: "The authenticated merchant's own account." },
  { name: "API keys", description: "Secret, restricted and publishable keys: create, roll and revoke." },
  { name: "OAuth", description: "Access tokens by OAuth2 client credentials, and the keys that verify them." },
  { name: "Metrics", description: "The authenticated merchant's own request metrics." },
  { name: "Operations", description: "Liveness and dependency health, unauthenticated." },
  { name: "Operator", description: "The operator API (`/admin/v1`): merchants, credentials, routing, settlement." },
];

/** Where the document says the API is served: the local gateway of `npm start`. */
export const LOCAL_SERVER = {
  url: "http://127.0.0.1:8787",
  description:
    "The local gateway (`npm start`). A deployment serves the same paths at its own origin (its workers.dev " +
    "or custom domain): point a client's base URL there.",
};

/**
 * The reference page's policy: scripts, fonts and data from its own origin only (the document, the
 * guides), no frames, no form posts. `style-src 'unsafe-inline'`: Scalar's bundle injects its
 * stylesheet as a `<style>` element at run time (no nonce can be given to a static page), and no
 * script may run from it. public/_headers gives the page's assets the same policy.
 */
export const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** Every header the page is answered with. */
export const DOCS_PAGE_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": DOCS_CSP,
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "no-referrer",
  "X-Content-Type-Options": "nosniff",
  "Content-Type": "text/html; charset=utf-8",
};

/** Where the page's HTML sits among the static assets. */
const PAGE_ASSET = "/docs/index.html";

/**
 * Registers the OpenAPI document and the reference page. Call after every resource module:
 * routes registered later miss the app-wide additions (lib/openapi-document.ts).
 * `gated` names the paths the merchant gate (rate limits, idempotency) runs on.
 */
export function registerDocs(app: App, gated: (path: string) => boolean): void {
  documentAppWide(app, gated);
  app.openAPIRegistry.registerComponent("securitySchemes", "merchantToken", {
    type: "http",
    scheme: "bearer",
    description:
      "Access token from POST /v1/oauth/token (OAuth2 client credentials), or a secret (`sk_…`) or restricted (`rk_…`) API key; a key may also be sent as the Basic user name with an empty password.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "publishableKey", {
    type: "http",
    scheme: "bearer",
    description: "A publishable API key (`pk_…`): accepted only by the routes that list this scheme.",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", "operatorToken", {
    type: "http",
    scheme: "bearer",
    description: "A named operator's secret (`eop_…`), or the deployment's root OPERATOR_TOKEN while it is enabled.",
  });
  const config = {
    openapi: "3.1.0",
    info: {
      title: "edgepay",
      version: "0.1.0",
      description:
        "Payment gateway on Cloudflare Workers. Merchant routes follow Stripe's object model and wire conventions: " +
        "form-encoded or JSON bodies, prefixed ids, integer minor units, one error envelope.",
      license: { name: "Apache-2.0", url: "https://www.apache.org/licenses/LICENSE-2.0" },
    },
    servers: [LOCAL_SERVER],
    tags: TAGS,
  };
  // Built on the first request and kept for the isolate's life: the routes are fixed once the app is.
  let document: ReturnType<typeof withCodeSamples> | undefined;
  app.get("/openapi.json", (c) => {
    document ??= withCodeSamples(app.getOpenAPI31Document(config), LOCAL_SERVER.url);
    return c.json(document);
  });
  const page = async (c: Context<AppEnv>) => {
    const asset = await c.env.ASSETS.fetch(new URL(PAGE_ASSET, c.req.url));
    if (!asset.ok) throw new Error(`docs page asset answered ${asset.status}`);
    return new Response(asset.body, { status: 200, headers: DOCS_PAGE_HEADERS });
  };
  app.get("/docs", page);
  app.get("/docs/", page);
}

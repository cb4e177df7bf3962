/** `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas, with generated request examples) and `GET /docs` (offline reference page). */
import { documentAppWide } from "../lib/openapi-document";
import { withCodeSamples } from "../lib/openapi-samples";
import type { App } from "../types";
import { DOCS_PAGE } from "./docs-page";

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
 * Registers the OpenAPI document and the human docs page. Call after every resource module:
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
  app.get("/openapi.json", (c) => c.json(withCodeSamples(app.getOpenAPI31Document(config), LOCAL_SERVER.url)));
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    return c.html(DOCS_PAGE);
  });
}

/** `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas) and `GET /docs` (offline reference page). */
import type { App } from "../types";
import { DOCS_PAGE } from "./docs-page";

/** Registers the OpenAPI document and the human docs page. Call after every resource module. */
export function registerDocs(app: App): void {
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
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: {
      title: "edgepay",
      version: "0.1.0",
      description:
        "Payment gateway on Cloudflare Workers. Merchant routes follow Stripe's object model and wire conventions: " +
        "form-encoded or JSON bodies, prefixed ids, integer minor units, one error envelope.",
    },
  });
  app.get("/docs", (c) => {
    c.header("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
    return c.html(DOCS_PAGE);
  });
}

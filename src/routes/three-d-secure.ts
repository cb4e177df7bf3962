/**
 * The simulated issuer's 3-D Secure challenge page (docs/three-d-secure.md): `GET /3ds/<payatt id>`
 * shows Complete and Fail buttons, plain HTML forms (no script at all) posting to
 * `/3ds/<id>/complete` and `/3ds/<id>/fail`; the answer is recorded (payments/three-d-secure.ts)
 * and the shopper is sent (303) to the merchant's `return_url` with `payment_intent`,
 * `payment_intent_client_secret` and `redirect_status`, or shown the result when there is none.
 * No merchant credential is read: the challenge id (48 random base62 characters) is the capability,
 * and it reaches only its own intent. The page shows the amount, never card data.
 */
import type { Context } from "hono";
import { type LocatedAuthentication, locateAuthentication } from "../db/authentications";
import type { EventOrigin } from "../db/events";
import { getIntent, type IntentRow } from "../db/payment-intents";
import { clientFacts } from "../fraud/screen";
import { inBackground } from "../lib/http";
import { type PaymentOverrides, paymentDeps } from "../payments/deps";
import { answerChallenge, isChallengeId, waitingFor } from "../payments/three-d-secure";
import type { App, AppEnv } from "../types";
import { dispatchMerchant } from "../webhooks/dispatch";

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch);

/** The page's headers: no script, no framing, no referrer (the URL is the capability), never cached. */
function pageHeaders(returnUrl: string | null): Record<string, string> {
  const back = returnUrl ? ` ${new URL(returnUrl).origin}` : "";
  return {
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": `default-src 'none'; style-src 'unsafe-inline'; form-action 'self'${back}; frame-ancestors 'none'; base-uri 'none'`,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
  };
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1a1a2e}
form{display:inline}button{font:inherit;padding:.5rem 1.25rem;margin:.25rem .5rem .25rem 0;border-radius:6px;border:1px solid #1a1a2e;cursor:pointer}
.complete{background:#1a1a2e;color:#fff}.fail{background:#fff}.muted{color:#666;font-size:14px}</style></head>
<body><h1>${esc(title)}</h1>${body}</body></html>`;
}

function html(
  c: Context<AppEnv>,
  status: 200 | 404 | 409 | 410,
  title: string,
  body: string,
  returnUrl: string | null,
) {
  return c.body(page(title, body), status, pageHeaders(returnUrl));
}

function notFound(c: Context<AppEnv>) {
  return html(c, 404, "Authentication not found", "<p>This authentication does not exist.</p>", null);
}

/** `redirect_status` for the intent as the answer left it. */
function redirectStatus(intent: IntentRow): "succeeded" | "processing" | "failed" {
  if (intent.status === "succeeded" || intent.status === "requires_capture") return "succeeded";
  return intent.status === "processing" ? "processing" : "failed";
}

/** The merchant's `return_url` with Stripe's query parameters. */
function returnTo(returnUrl: string, intent: IntentRow): string {
  const url = new URL(returnUrl);
  url.searchParams.set("payment_intent", intent.id);
  if (intent.clientSecret) url.searchParams.set("payment_intent_client_secret", intent.clientSecret);
  url.searchParams.set("redirect_status", redirectStatus(intent));
  return url.toString();
}

async function located(id: string, env: Env): Promise<LocatedAuthentication | undefined> {
  return isChallengeId(id) ? locateAuthentication(env, id) : undefined;
}

/** Registers the challenge page and its two answers; `overrides` are the payment services' (tests). */
export function registerThreeDSecure(app: App, overrides?: PaymentOverrides): void {
  app.get("/3ds/:id", async (c) => {
    const found = await located(c.req.param("id"), c.env);
    if (!found) return notFound(c);
    const { row } = found;
    const intent = await getIntent(found.db, row.merchantId, row.intentId);
    if (!intent) return notFound(c);
    const now = Math.floor(Date.now() / 1000);
    if (row.state === "expired" || (row.state === "pending" && now >= row.expiresAt)) {
      return html(
        c,
        410,
        "Authentication expired",
        "<p>This authentication has expired. Return to the merchant to try again.</p>",
        null,
      );
    }
    if (row.state !== "pending" || intent.status !== "requires_action" || waitingFor(intent) !== row.id) {
      return html(
        c,
        409,
        "Authentication finished",
        "<p>This authentication is no longer waiting for an answer.</p>",
        null,
      );
    }
    const amount = `${intent.amount} ${intent.currency.toUpperCase()} (minor units)`;
    const action = (answer: string) => `/3ds/${esc(row.id)}/${answer}`;
    const body = `<p>edgepay test mode: this page stands in for the card issuer's 3-D Secure challenge. Complete authorizes the payment; Fail declines it.</p>
<p>Amount: <strong>${esc(amount)}</strong></p>
<form method="post" action="${action("complete")}"><button class="complete" type="submit">Complete authentication</button></form>
<form method="post" action="${action("fail")}"><button class="fail" type="submit">Fail authentication</button></form>
<p class="muted">Payment ${esc(intent.id)}</p>`;
    return html(c, 200, "3-D Secure test challenge", body, row.returnUrl);
  });

  const answer = (kind: "complete" | "fail") => async (c: Context<AppEnv>) => {
    const found = await located(c.req.param("id") ?? "", c.env);
    if (!found) return notFound(c);
    const origin: EventOrigin = { requestId: c.var.requestId, idempotencyKey: null };
    // The shopper's browser is the client: its address goes to the fraud screen, as on the checkout page.
    const request = {
      client: clientFacts(c.req.raw, "publishable_key"),
      defer: (work: Promise<unknown>) => inBackground(c, "deferred_work_failed", work),
    };
    const deps = paymentDeps(c.env, found.db, overrides, origin, request);
    try {
      const result = await answerChallenge(deps, found.row, kind);
      const { row } = found;
      switch (result.decision) {
        case "expired":
          return html(
            c,
            410,
            "Authentication expired",
            "<p>This authentication has expired. Return to the merchant to try again.</p>",
            null,
          );
        case "void":
          return html(
            c,
            409,
            "Authentication finished",
            "<p>This authentication is no longer waiting for an answer.</p>",
            null,
          );
        case "answered":
        case "authorize":
        case "fail":
          if (row.returnUrl) return c.redirect(returnTo(row.returnUrl, result.intent), 303);
          return html(
            c,
            200,
            "Authentication finished",
            `<p>Payment status: ${esc(redirectStatus(result.intent))}. You can close this window.</p>`,
            null,
          );
      }
    } finally {
      if (origin.wroteEvents) {
        inBackground(c, "webhook_dispatch_failed", dispatchMerchant(c.env, found.db, found.row.merchantId));
      }
    }
  };
  app.post("/3ds/:id/complete", answer("complete"));
  app.post("/3ds/:id/fail", answer("fail"));
}

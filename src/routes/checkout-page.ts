/**
 * The page endpoints of hosted checkout (`/checkout/api/…`), for the page served at `/checkout/<cs id>`
 * (routes/checkout-hosted.ts). No merchant credential is read here, or accepted in place of the session id:
 * the id (48 random base62 characters) is the capability, and it reaches only its own session and
 * that session's PaymentIntent. Card numbers are never echoed: a bad card is a 400 naming
 * `card[number]` (etc.) without its value; a decline is the 402 card error with `decline_code`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { noSuchSession } from "../checkout";
import { findSession, isVisible, paySession, returnFromChallenge } from "../checkout/pay";
import { publicView } from "../checkout/serialize";
import type { EventOrigin } from "../db/events";
import { sourceKey } from "../domain/limits";
import { ApiError, invalidParam } from "../errors";
import { clientFacts } from "../fraud/screen";
import { inBackground } from "../lib/http";
import { errorResponses, formOrJsonBody, NoQuery, registerComponents } from "../lib/openapi";
import { type PaymentOverrides, paymentDeps } from "../payments/deps";
import type { App } from "../types";
import { dispatchMerchant } from "../webhooks/dispatch";
import { CARD_COMPONENTS, CardParams, checkedCard, storedDetails } from "./payment-method-schemas";

const IdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({
      param: { name: "id", in: "path" },
      description: "The Checkout Session's id (`cs_test_…` or `cs_live_…`).",
    }),
});

/** What the page may show of a session. */
const PublicSessionSchema = z
  .object({
    id: z.string().openapi({ description: "The session's id (`cs_…`)." }),
    object: z.literal("checkout.session").openapi({ description: "Always `checkout.session`." }),
    status: z
      .enum(["open", "complete", "expired"])
      .openapi({ description: "`open` until paid (`complete`) or expired.", example: "open" }),
    merchant: z
      .object({ name: z.string().openapi({ description: "The merchant's display name.", example: "Acme Inc." }) })
      .openapi({ description: "Who is being paid." }),
    amount_total: z.int().openapi({ description: "Total to pay, in the currency's minor unit.", example: 2000 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    currency_exponent: z
      .int()
      .openapi({ description: "Decimals of the currency's minor unit as edgepay writes amounts (0, 2 or 3)." }),
    line_items: z
      .array(
        z.object({
          name: z.string().openapi({ description: "The item's name.", example: "T-shirt" }),
          quantity: z.int().openapi({ description: "How many.", example: 1 }),
          amount: z.int().openapi({ description: "Unit amount times quantity, in minor units.", example: 2000 }),
        }),
      )
      .openapi({ description: "What is being bought." }),
    success_url: z.string().nullable().openapi({ description: "Where to go, once complete (with `session_id`)." }),
    cancel_url: z
      .string()
      .nullable()
      .openapi({ description: "Where the customer goes to cancel and return to the merchant; null when not set." }),
  })
  .openapi("CheckoutPageSession");

const PayBody = z
  .strictObject({
    card: CardParams.openapi({ description: "The card to pay with." }),
    name: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "The cardholder's name, stored as billing details.", example: "Jenny Rosen" }),
    email: z
      .email()
      .max(512)
      .optional()
      .openapi({ description: "The customer's email, stored as billing details.", example: "jenny@example.com" }),
  })
  .openapi("CheckoutPagePay", {
    example: {
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" },
      name: "Jenny Rosen",
    },
  });

const PayAnswerSchema = z
  .object({
    status: z.enum(["complete", "processing", "requires_action"]).openapi({
      description:
        "`complete`: paid; `processing`: the outcome is not known yet; `requires_action`: follow `redirect` to the 3-D Secure challenge.",
    }),
    redirect: z.string().optional().openapi({
      description: "complete: the success URL; requires_action: the card's 3-D Secure challenge page.",
    }),
  })
  .openapi("CheckoutPagePayResult");

const common = { tags: ["Checkout page"], security: [] };

const viewRoute = createRoute({
  ...common,
  method: "get",
  path: "/checkout/api/sessions/{id}",
  summary: "The hosted page's view of an open or complete session (404 for any other id)",
  request: { params: IdParam, query: NoQuery },
  responses: {
    200: { description: "The session", content: { "application/json": { schema: PublicSessionSchema } } },
    ...errorResponses(404),
  },
});

const payRoute = createRoute({
  ...common,
  method: "post",
  path: "/checkout/api/sessions/{id}/pay",
  summary: "Pay an open session with a card (tokenized into the merchant's vault)",
  request: { params: IdParam, body: formOrJsonBody(PayBody) },
  responses: {
    200: { description: "Paid (or still processing)", content: { "application/json": { schema: PayAnswerSchema } } },
    ...errorResponses(400, 402, 404, 429),
  },
});

/** The card rules (domain/cards.ts) as a 400 naming `card[field]`, never the value. */
function validCard(card: z.infer<typeof CardParams>) {
  try {
    return checkedCard(card);
  } catch (err) {
    if (err instanceof ApiError) throw invalidParam("parameter_invalid", err.message, err.details.param ?? "card");
    throw err;
  }
}

/** Registers the page endpoints; `overrides` are the payment services' (tests pass a failing processor). */
export function registerCheckoutPage(app: App, overrides?: PaymentOverrides): void {
  registerComponents(app, CARD_COMPONENTS);
  app.openapi(viewRoute, async (c) => {
    const { id } = c.req.valid("param");
    const found = await findSession(c.env, id);
    if (!found || !isVisible(found.row, Math.floor(Date.now() / 1000))) throw noSuchSession(id);
    return c.json(publicView(found.row, found.merchantName), 200);
  });

  app.openapi(payRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const found = await findSession(c.env, id);
    if (!found) throw noSuchSession(id);
    const card = {
      card: validCard(body.card),
      ...storedDetails({ name: body.name, email: body.email }, undefined),
    };
    const origin: EventOrigin = { requestId: c.var.requestId, idempotencyKey: null };
    // The shopper's browser is the client: its address goes to the fraud screen, as a publishable key's would.
    const request = {
      client: clientFacts(c.req.raw, "publishable_key"),
      defer: (work: Promise<unknown>) => inBackground(c, "deferred_work_failed", work),
    };
    const deps = paymentDeps(c.env, found.db, overrides, origin, request);
    const source = sourceKey(c.req.header("cf-connecting-ip"));
    try {
      const gateway = new URL(c.req.url).origin;
      const key = c.req.header("Idempotency-Key")?.slice(0, 255);
      const answer = await paySession(deps, found, card, source, key, gateway);
      return c.json(answer, 200);
    } finally {
      if (origin.wroteEvents) {
        inBackground(c, "webhook_dispatch_failed", dispatchMerchant(c.env, found.db, found.row.merchantId));
      }
    }
  });

  // The return from a 3-D Secure challenge of the session's payment: a plain browser redirect.
  app.get("/checkout/:id/return", async (c) => {
    const found = await findSession(c.env, c.req.param("id"));
    if (!found) throw noSuchSession(c.req.param("id"));
    const origin: EventOrigin = { requestId: c.var.requestId, idempotencyKey: null };
    const deps = paymentDeps(c.env, found.db, overrides, origin);
    try {
      return c.redirect(await returnFromChallenge(deps, found, new URL(c.req.url).origin), 303);
    } finally {
      if (origin.wroteEvents) {
        inBackground(c, "webhook_dispatch_failed", dispatchMerchant(c.env, found.db, found.row.merchantId));
      }
    }
  });
}

/**
 * Checkout Sessions (merchant API): create (with its PaymentIntent), retrieve, list (by status,
 * payment_intent, customer), expire while open, and a session's line items. The page endpoints the
 * hosted page calls are in checkout-page.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createSession, expireSession, loadSession } from "../checkout";
import { lineItemJson, sessionJson, lineItemsOf as storedItems } from "../checkout/serialize";
import { listSessions } from "../db/checkout-sessions";
import { expandable, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody, NoQuery, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { mergeMetadata, metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App } from "../types";
import {
  CheckoutSessionSchema,
  checkRedirectUrl,
  expiresAt,
  LineItemSchema,
  lineItemsOf,
  SessionCreateBody,
  SessionIdParam,
} from "./checkout-session-schemas";

const common = { tags: ["Checkout sessions"], security: [{ merchantToken: [] }] };
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: CheckoutSessionSchema } } },
});
const BASE = "/v1/checkout/sessions";

const createSessionRoute = createRoute({
  ...common,
  method: "post",
  path: BASE,
  summary: "Create a Checkout Session (and its PaymentIntent)",
  middleware: [requireScope("checkout:write"), expandable("checkout_session")] as const,
  request: { body: formOrJsonBody(SessionCreateBody) },
  responses: { ...one("The Checkout Session"), ...errorResponses(400, 401, 403, 404) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: `${BASE}/{id}`,
  summary: "Retrieve a Checkout Session",
  middleware: [requireScope("checkout:read"), expandable("checkout_session")] as const,
  request: { params: SessionIdParam, query: queryWithExpand({}) },
  responses: { ...one("The Checkout Session"), ...errorResponses(400, 401, 403, 404) },
});

const expireRoute = createRoute({
  ...common,
  method: "post",
  path: `${BASE}/{id}/expire`,
  summary: "Expire an open Checkout Session (its PaymentIntent is canceled)",
  middleware: [requireScope("checkout:write"), expandable("checkout_session")] as const,
  request: { params: SessionIdParam, body: formOrJsonBody(z.strictObject({ expand: expandBodyParam })) },
  responses: { ...one("The expired Checkout Session"), ...errorResponses(400, 401, 403, 404) },
});

const filter = (name: string, description: string) =>
  z
    .string()
    .max(255)
    .optional()
    .openapi({ param: { name, in: "query" }, description });

const listRoute = createRoute({
  ...common,
  method: "get",
  path: BASE,
  summary: "List Checkout Sessions, newest first",
  middleware: [requireScope("checkout:read"), expandable("checkout_session", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      status: z
        .enum(["open", "complete", "expired"])
        .optional()
        .openapi({ param: { name: "status", in: "query" }, description: "Only sessions in this status." }),
      payment_intent: filter("payment_intent", "Only the session of this PaymentIntent."),
      customer: filter("customer", "Only the sessions of this customer."),
    }),
  },
  responses: {
    200: {
      description: "A page of Checkout Sessions",
      content: { "application/json": { schema: listSchema(CheckoutSessionSchema, "CheckoutSessionList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const lineItemsRoute = createRoute({
  ...common,
  method: "get",
  path: `${BASE}/{id}/line_items`,
  summary: "A Checkout Session's line items",
  middleware: [requireScope("checkout:read")] as const,
  request: { params: SessionIdParam, query: NoQuery },
  responses: {
    200: {
      description: "The line items, in the order given at creation",
      content: { "application/json": { schema: listSchema(LineItemSchema, "CheckoutLineItemList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the Checkout Session routes. */
export function registerCheckoutSessions(app: App): void {
  registerComponents(app, { Metadata: metadataParam });
  app.openapi(createSessionRoute, async (c) => {
    const body = c.req.valid("json");
    const live = isLive(c.env);
    const deps = c.var.payments;
    checkRedirectUrl(body.success_url, "success_url", live);
    if (body.cancel_url !== undefined) checkRedirectUrl(body.cancel_url, "cancel_url", live);
    const input = {
      lineItems: lineItemsOf(body),
      currency: body.currency,
      successUrl: body.success_url,
      cancelUrl: body.cancel_url ?? null,
      customer: body.customer ?? null,
      customerEmail: body.customer_email ?? null,
      metadata: JSON.parse(mergeMetadata("{}", body.metadata)) as Record<string, string>,
      captureMethod: body.payment_intent_data?.capture_method ?? "automatic",
      description: body.payment_intent_data?.description ?? null,
      expiresAt: expiresAt(body.expires_at, deps.now()),
    };
    const origin = new URL(c.req.url).origin;
    const row = await createSession(deps, c.var.auth.merchantId, input, live, origin, c.var.idempotencyKey);
    return c.json(await expanded(c, sessionJson(row, live)), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadSession(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, sessionJson(row, isLive(c.env))), 200);
  });

  app.openapi(expireRoute, async (c) => {
    const deps = c.var.payments;
    const row = await expireSession(deps, await loadSession(deps, c.var.auth.merchantId, c.req.valid("param").id));
    return c.json(await expanded(c, sessionJson(row, isLive(c.env))), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { status, payment_intent: paymentIntent, customer, ...query } = c.req.valid("query");
    const page = pageOr404(
      await listSessions(
        c.var.payments.db,
        c.var.auth.merchantId,
        { status, paymentIntent, customer },
        pageRequest(query),
      ),
    );
    const live = isLive(c.env);
    return c.json(
      await expanded(c, listEnvelope(BASE, { ...page, data: page.data.map((r) => sessionJson(r, live)) })),
      200,
    );
  });

  app.openapi(lineItemsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = await loadSession(c.var.payments, c.var.auth.merchantId, id);
    const data = storedItems(row).map((i) => lineItemJson(i, row.currency));
    return c.json(listEnvelope(`${BASE}/${row.id}/line_items`, { data, hasMore: false }), 200);
  });
}

/**
 * `/v1/payment_methods`: tokenize a card into a `pm_…` (create), retrieve it, attach it to a
 * customer, detach it, and list a customer's saved cards (also as `/v1/customers/{id}/payment_methods`). Card
 * numbers are validated (payment-method-schemas.ts: Stripe's 402 card errors), sealed by the vault,
 * and never echoed: responses carry only brand, last4, expiry, funding and the merchant-scoped fingerprint.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { attachPaymentMethod, loadCustomer } from "../customers";
import { listCustomerPaymentMethods } from "../db/customers";
import { invalidParam } from "../errors";
import { expandable, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { allowPublishable, PUBLISHABLE_SECURITY, requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App, AppEnv } from "../types";
import { createPaymentMethod, detachPaymentMethod, getPaymentMethod } from "../vault";
import { paymentMethodObject } from "../vault/objects";
import { CARD_COMPONENTS, newCardOf, PaymentMethodParams, PaymentMethodSchema } from "./payment-method-schemas";

const CreateBody = z
  .strictObject({ ...PaymentMethodParams.shape, expand: expandBodyParam })
  .openapi("CreatePaymentMethod", {
    example: {
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" },
      billing_details: { name: "Jenny Rosen", email: "jenny@example.com" },
    },
  });

const idParams = (description: string) =>
  z.object({
    id: z
      .string()
      .max(255)
      .openapi({ param: { name: "id", in: "path" }, description }),
  });
const IdParams = idParams("The payment method's id (`pm_…`).");
const CustomerIdParams = idParams("The customer's id (`cus_…`).");

const AttachBody = z
  .strictObject({
    customer: z.string().max(255).openapi({ description: "The customer to attach it to (`cus_…`)." }),
    expand: expandBodyParam,
  })
  .openapi("AttachPaymentMethod");

const DetachBody = z.strictObject({ expand: expandBodyParam }).openapi("DetachPaymentMethod");

const typeParam = z
  .literal("card")
  .optional()
  .openapi({ param: { name: "type", in: "query" }, description: "Only `card` exists." });

const ListQuery = queryWithExpand({
  ...listParams,
  customer: z
    .string()
    .max(255)
    .optional()
    .openapi({
      param: { name: "customer", in: "query" },
      description: "The customer whose saved cards to list (required).",
    }),
  type: typeParam,
});

const CustomerListQuery = queryWithExpand({ ...listParams, type: typeParam });

const PaymentMethodList = listSchema(PaymentMethodSchema, "PaymentMethodList");

const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: PaymentMethodSchema } } },
});

const create = createRoute({
  method: "post",
  path: "/v1/payment_methods",
  tags: ["Payment methods"],
  summary: "Tokenize a card into a payment method",
  security: PUBLISHABLE_SECURITY,
  middleware: [allowPublishable, requireScope("payment_methods:write"), expandable("payment_method")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...ok("The new payment method"), ...errorResponses(400, 401, 402, 403) },
});

const retrieve = createRoute({
  method: "get",
  path: "/v1/payment_methods/{id}",
  tags: ["Payment methods"],
  summary: "Retrieve a payment method",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:read"), expandable("payment_method")] as const,
  request: { params: IdParams, query: queryWithExpand({}) },
  responses: { ...ok("The payment method"), ...errorResponses(401, 403, 404) },
});

const detach = createRoute({
  method: "post",
  path: "/v1/payment_methods/{id}/detach",
  tags: ["Payment methods"],
  summary: "Detach a payment method so it can no longer be charged; its card data is destroyed",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:write"), expandable("payment_method")] as const,
  request: { params: IdParams, body: formOrJsonBody(DetachBody) },
  responses: { ...ok("The detached payment method"), ...errorResponses(400, 401, 403, 404) },
});

const attach = createRoute({
  method: "post",
  path: "/v1/payment_methods/{id}/attach",
  tags: ["Payment methods"],
  summary: "Attach a payment method to a customer, to charge it again later",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:write"), expandable("payment_method")] as const,
  request: { params: IdParams, body: formOrJsonBody(AttachBody) },
  responses: { ...ok("The attached payment method"), ...errorResponses(400, 401, 403, 404) },
});

const pageOf = (description: string) => ({
  200: { description, content: { "application/json": { schema: PaymentMethodList } } },
});

const list = createRoute({
  method: "get",
  path: "/v1/payment_methods",
  tags: ["Payment methods"],
  summary: "List a customer's saved (attached, active) payment methods, newest first; `customer` is required",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:read"), expandable("payment_method", { list: true })] as const,
  request: { query: ListQuery },
  responses: { ...pageOf("A page of payment methods"), ...errorResponses(400, 401, 403, 404) },
});

const listOfCustomer = createRoute({
  method: "get",
  path: "/v1/customers/{id}/payment_methods",
  tags: ["Payment methods"],
  summary: "List a customer's saved (attached, active) payment methods, newest first",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:read"), expandable("payment_method", { list: true })] as const,
  request: { params: CustomerIdParams, query: CustomerListQuery },
  responses: { ...pageOf("A page of payment methods"), ...errorResponses(400, 401, 403, 404) },
});

/** The page answer of both saved-card lists: the customer must be the merchant's (404 naming `param`). */
async function savedCards(
  c: Context<AppEnv>,
  url: string,
  customerId: string,
  param: string,
  query: z.infer<typeof CustomerListQuery>,
) {
  const { type: _card, ...page } = query;
  const merchantId = c.var.auth.merchantId;
  await loadCustomer({ db: c.var.merchantDb }, merchantId, customerId, param);
  const rows = pageOr404(await listCustomerPaymentMethods(c.var.merchantDb, merchantId, customerId, pageRequest(page)));
  const live = isLive(c.env);
  return expanded(c, listEnvelope(url, { ...rows, data: rows.data.map((r) => paymentMethodObject(r, live)) }));
}

/** Registers the payment-method routes. */
export function registerPaymentMethods(app: App): void {
  registerComponents(app, CARD_COMPONENTS);
  app.openapi(create, async (c) => {
    const body = c.req.valid("json");
    const row = await createPaymentMethod(c.var.payments, c.var.auth.merchantId, newCardOf(body), c.var.idempotencyKey);
    return c.json(await expanded(c, paymentMethodObject(row, isLive(c.env))), 200);
  });

  app.openapi(retrieve, async (c) => {
    const row = await getPaymentMethod(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, paymentMethodObject(row, isLive(c.env))), 200);
  });

  app.openapi(attach, async (c) => {
    const deps = { db: c.var.merchantDb, now: c.var.payments.now, origin: c.var.payments.origin };
    const { id } = c.req.valid("param");
    const row = await attachPaymentMethod(deps, c.var.auth.merchantId, id, c.req.valid("json").customer);
    return c.json(await expanded(c, paymentMethodObject(row, isLive(c.env))), 200);
  });

  app.openapi(list, async (c) => {
    const { customer, ...query } = c.req.valid("query");
    if (customer === undefined) {
      throw invalidParam("parameter_missing", "Missing required param: customer.", "customer");
    }
    return c.json(await savedCards(c, "/v1/payment_methods", customer, "customer", query), 200);
  });

  app.openapi(listOfCustomer, async (c) => {
    const { id } = c.req.valid("param");
    const url = `/v1/customers/${id}/payment_methods`;
    return c.json(await savedCards(c, url, id, "id", c.req.valid("query")), 200);
  });

  app.openapi(detach, async (c) => {
    const row = await detachPaymentMethod(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, paymentMethodObject(row, isLive(c.env))), 200);
  });
}

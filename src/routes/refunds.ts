/** Refunds: create (full or partial, several per PaymentIntent, by intent or charge), retrieve, and list (optionally by intent). */
import { createRoute, z } from "@hono/zod-openapi";
import { listRefunds } from "../db/refunds";
import { expandable, expandableId, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { intParam, metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { createRefund, loadRefund, REFUND_REASONS } from "../payments/refunds";
import { refundJson } from "../payments/serialize";
import type { App } from "../types";

const RefundSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `re_`.", example: "re_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("refund").openapi({ description: "String representing the object's type: always `refund`." }),
    amount: z.int().openapi({ description: "Amount refunded, in the currency's minor unit.", example: 1000 }),
    balance_transaction: expandableId(
      z.string(),
      "balance_transaction",
      "The balance transaction (`txn_…`) that took the refund from the balance.",
    ),
    charge: expandableId(z.string(), "charge", "The charge refunded (`ch_…`)."),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    failure_balance_transaction: expandableId(
      z.string(),
      "balance_transaction",
      "The balance transaction (`txn_…`) that gave the funds back after the refund failed; null unless failed.",
    ).nullable(),
    failure_reason: z
      .string()
      .nullable()
      .openapi({ description: "Why the refund failed; null unless `status` is `failed`.", example: null }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    payment_intent: expandableId(z.string(), "payment_intent", "The PaymentIntent refunded (`pi_…`)."),
    reason: z.string().nullable().openapi({
      description: "The reason given on create: `duplicate`, `fraudulent` or `requested_by_customer`; null when none.",
      example: "requested_by_customer",
    }),
    status: z.enum(["pending", "succeeded", "failed", "canceled"]).openapi({
      description:
        "`pending` until the processor answers, then `succeeded` or `failed` (`canceled` is Stripe's; edgepay never sets it).",
      example: "succeeded",
    }),
  })
  .openapi("Refund");

const CreateBody = z
  .strictObject({
    payment_intent: z.string().max(100).optional().openapi({ description: "The PaymentIntent to refund." }),
    charge: z.string().min(1).max(100).optional().openapi({
      description: "The charge to refund (its PaymentIntent's latest); with `payment_intent`, they must agree.",
    }),
    amount: intParam().optional().openapi({
      description:
        "Amount to refund, in minor units: positive, at most what is left to refund. Default: all that is left.",
      example: 1000,
    }),
    reason: z
      .enum(REFUND_REASONS)
      .optional()
      .openapi({ description: "Why the payment is refunded.", example: "requested_by_customer" }),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the refund." }).optional(),
    expand: expandBodyParam,
  })
  .superRefine((body, ctx) => {
    if (body.payment_intent === undefined && body.charge === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["payment_intent"],
        message: "one of payment_intent or charge is required",
      });
    }
  })
  .openapi("RefundCreate", {
    example: { payment_intent: "pi_3PbQx2Lk9dWm4TqR7vYc1Zs8", amount: 1000, reason: "requested_by_customer" },
  });

const common = { tags: ["Refunds"], security: [{ merchantToken: [] }] };
const one = { 200: { description: "The refund", content: { "application/json": { schema: RefundSchema } } } };

const createRefundRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/refunds",
  summary: "Refund all or part of a succeeded PaymentIntent (named by itself or by its charge)",
  middleware: [requireScope("refunds:write"), expandable("refund")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...one, ...errorResponses(400, 401, 403, 404) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/refunds/{id}",
  summary: "Retrieve a refund",
  middleware: [requireScope("refunds:read"), expandable("refund")] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .max(100)
        .openapi({ param: { name: "id", in: "path" }, description: "The refund's id (`re_…`)." }),
    }),
    query: queryWithExpand({}),
  },
  responses: { ...one, ...errorResponses(401, 403, 404) },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/refunds",
  summary: "List refunds, newest first, optionally of one PaymentIntent",
  middleware: [requireScope("refunds:read"), expandable("refund", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      payment_intent: z
        .string()
        .max(100)
        .optional()
        .openapi({
          param: { name: "payment_intent", in: "query" },
          description: "Only refunds of this PaymentIntent.",
        }),
    }),
  },
  responses: {
    200: {
      description: "A page of refunds",
      content: {
        "application/json": {
          schema: listSchema(RefundSchema, "RefundList"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the refund routes. */
export function registerRefunds(app: App): void {
  registerComponents(app, { Metadata: metadataParam });
  app.openapi(createRefundRoute, async (c) => {
    const body = c.req.valid("json");
    const row = await createRefund(
      c.var.payments,
      c.var.auth.merchantId,
      {
        paymentIntent: body.payment_intent,
        charge: body.charge,
        amount: body.amount,
        reason: body.reason,
        metadata: body.metadata,
      },
      c.var.idempotencyKey,
    );
    return c.json(await expanded(c, refundJson(row)), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadRefund(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, refundJson(row)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const filter = { paymentIntent: query.payment_intent };
    const page = pageOr404(await listRefunds(c.var.payments.db, c.var.auth.merchantId, filter, pageRequest(query)));
    return c.json(await expanded(c, listEnvelope("/v1/refunds", { ...page, data: page.data.map(refundJson) })), 200);
  });
}

/**
 * Charges: retrieve one and list them (optionally of one PaymentIntent or customer). A charge is
 * one authorization attempt; they are made by confirming PaymentIntents, never here.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { getCharge, listCharges } from "../db/charges";
import { ApiError } from "../errors";
import { expandable, expandableId, expanded, queryWithExpand } from "../expand";
import { noSuchMessage } from "../lib/ids";
import { errorResponses } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { requireScope } from "../middleware/merchant-auth";
import { chargeJson, isLive } from "../payments/serialize";
import type { App } from "../types";

const nullable = z.string().nullable();

const CardDetailsSchema = z.object({
  brand: z.string(),
  checks: z.object({
    address_line1_check: nullable,
    address_postal_code_check: nullable,
    cvc_check: z.enum(["pass", "fail", "unavailable"]).nullable(),
  }),
  country: nullable,
  exp_month: z.int(),
  exp_year: z.int(),
  fingerprint: z.string(),
  funding: z.string(),
  last4: z.string(),
  network: z.string(),
});

const ChargeSchema = z
  .object({
    id: z.string().openapi({ example: "ch_3fX9…" }),
    object: z.literal("charge"),
    amount: z.int(),
    amount_captured: z.int(),
    amount_refunded: z.int(),
    balance_transaction: expandableId(
      z.string(),
      "balance_transaction",
      "The capture's balance transaction; null until captured.",
    ).nullable(),
    billing_details: z.object({
      address: z.object({
        city: nullable,
        country: nullable,
        line1: nullable,
        line2: nullable,
        postal_code: nullable,
        state: nullable,
      }),
      email: nullable,
      name: nullable,
      phone: nullable,
    }),
    captured: z.boolean(),
    created: z.int(),
    currency: z.string(),
    customer: expandableId(z.string(), "customer").nullable(),
    description: nullable,
    failure_code: nullable,
    failure_message: nullable,
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    outcome: z.object({
      network_status: z.enum(["approved_by_network", "declined_by_network", "not_sent_to_network"]),
      reason: nullable.openapi({
        description: "The decline code, or why the fraud screen acted (e.g. highest_risk_level, rule).",
      }),
      risk_level: z.enum(["normal", "elevated", "highest"]).nullable(),
      risk_score: z.int().nullable().openapi({ description: "0–100; see docs/fraud.md." }),
      rule: z.object({ id: z.string(), action: z.enum(["allow", "block", "review"]) }).nullable(),
      seller_message: z.string(),
      type: z.enum(["authorized", "manual_review", "issuer_declined", "blocked"]),
    }),
    paid: z.boolean(),
    payment_intent: expandableId(z.string(), "payment_intent"),
    payment_method: nullable,
    payment_method_details: z
      .object({ type: z.literal("card"), card: CardDetailsSchema })
      .nullable()
      .openapi({ description: "Null when the payment method was gone before the attempt was recorded." }),
    refunded: z.boolean(),
    routing: z
      .object({
        connector: z
          .string()
          .openapi({ description: "The connector account (`mca_…`), or `builtin` (the test simulator)." }),
        rule: nullable.openapi({ description: "The routing rule that chose it; null: the default connector." }),
        version: z.int().openapi({ description: "The routing configuration's version (0: none)." }),
      })
      .nullable()
      .openapi({ description: "edgepay: where this attempt went. Null for attempts made before routing existed." }),
    statement_descriptor: nullable,
    status: z.enum(["succeeded", "failed"]),
  })
  .openapi("Charge");

const common = { tags: ["Charges"], security: [{ merchantToken: [] }] };

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/charges/{id}",
  summary: "Retrieve a charge",
  middleware: [requireScope("payments:read"), expandable("charge")] as const,
  request: {
    query: queryWithExpand({}),
    params: z.object({
      id: z
        .string()
        .max(100)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
  },
  responses: {
    200: { description: "The charge", content: { "application/json": { schema: ChargeSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const filter = (name: string, description: string) =>
  z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name, in: "query" }, description });

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/charges",
  summary: "List charges, newest first, optionally of one PaymentIntent or customer",
  middleware: [requireScope("payments:read"), expandable("charge", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      payment_intent: filter("payment_intent", "Only charges of this PaymentIntent."),
      customer: filter("customer", "Only charges of PaymentIntents of this customer."),
    }),
  },
  responses: {
    200: {
      description: "A page of charges",
      content: { "application/json": { schema: listSchema(ChargeSchema, "ChargeList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the charge routes. */
export function registerCharges(app: App): void {
  app.openapi(retrieveRoute, async (c) => {
    const id = c.req.valid("param").id;
    const found = await getCharge(c.var.payments.db, c.var.auth.merchantId, id);
    if (!found) throw new ApiError("resource_missing", noSuchMessage("charge", id, "ch"));
    return c.json(await expanded(c, chargeJson(found.charge, found.intent, isLive(c.env))), 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const filter = { paymentIntent: query.payment_intent, customer: query.customer };
    const page = pageOr404(await listCharges(c.var.payments.db, c.var.auth.merchantId, filter, pageRequest(query)));
    const livemode = isLive(c.env);
    const data = page.data.map((x) => chargeJson(x.charge, x.intent, livemode));
    return c.json(await expanded(c, listEnvelope("/v1/charges", { ...page, data })), 200);
  });
}

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
  brand: z.string().openapi({ description: "Card brand: `visa`, `mastercard`, `amex`, `discover` …", example: "visa" }),
  checks: z
    .object({
      address_line1_check: nullable.openapi({ description: "Result of the address line 1 check; always null." }),
      address_postal_code_check: nullable.openapi({ description: "Result of the postal code check; always null." }),
      cvc_check: z
        .enum(["pass", "fail", "unavailable"])
        .nullable()
        .openapi({ description: "Result of the CVC check; null when no CVC was checked.", example: "pass" }),
    })
    .openapi({ description: "Results of the checks made on the card's details." }),
  country: nullable.openapi({
    description: "Two-letter ISO country code of the card's issuer; null when unknown.",
    example: "US",
  }),
  exp_month: z.int().openapi({ description: "Expiry month, 1 to 12.", example: 12 }),
  exp_year: z.int().openapi({ description: "Four-digit expiry year.", example: 2030 }),
  fingerprint: z.string().openapi({
    description: "Identifies the card number across payment methods of the merchant, without revealing it.",
    example: "Xt5EWLLDS7FJjR1c",
  }),
  funding: z.string().openapi({ description: "`credit`, `debit`, `prepaid` or `unknown`.", example: "credit" }),
  last4: z.string().openapi({ description: "The last four digits of the card number.", example: "4242" }),
  network: z.string().openapi({ description: "The card network the charge went through.", example: "visa" }),
});

const ChargeSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `ch_`.", example: "ch_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("charge").openapi({ description: "String representing the object's type: always `charge`." }),
    amount: z.int().openapi({
      description: "Amount the attempt authorized or tried to, in the currency's minor unit (e.g. cents).",
      example: 2000,
    }),
    amount_captured: z.int().openapi({
      description: "Amount captured, in minor units; 0 unless this is the intent's succeeded charge.",
      example: 2000,
    }),
    amount_refunded: z.int().openapi({
      description: "Amount refunded (refunds not failed), in minor units; 0 unless this charge succeeded.",
      example: 0,
    }),
    balance_transaction: expandableId(
      z.string(),
      "balance_transaction",
      "The capture's balance transaction (`txn_…`); null until captured.",
    ).nullable(),
    billing_details: z
      .object({
        address: z
          .object({
            city: nullable.openapi({ description: "City, district, suburb, town or village." }),
            country: nullable.openapi({ description: "Two-letter ISO country code.", example: "US" }),
            line1: nullable.openapi({ description: "Address line 1 (street, PO box or company name)." }),
            line2: nullable.openapi({ description: "Address line 2 (apartment, suite, unit or building)." }),
            postal_code: nullable.openapi({ description: "ZIP or postal code.", example: "94107" }),
            state: nullable.openapi({ description: "State, county, province or region." }),
          })
          .openapi({ description: "Billing address; each part null when not given." }),
        email: nullable.openapi({ description: "Email address; null when not given." }),
        name: nullable.openapi({ description: "Full name; null when not given." }),
        phone: nullable.openapi({ description: "Phone number; null when not given." }),
      })
      .openapi({
        description: "Billing details of the payment method at the time of the attempt; all null when unknown.",
      }),
    captured: z.boolean().openapi({ description: "Whether the charge succeeded and money was captured on it." }),
    created: z.int().openapi({ description: "Time of the attempt, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    customer: expandableId(z.string(), "customer", "The customer (`cus_…`) of the PaymentIntent, or null.").nullable(),
    description: nullable.openapi({ description: "The PaymentIntent's description; null when not set." }),
    failure_code: nullable.openapi({
      description: "Why the attempt failed (e.g. `card_declined`); null unless `status` is `failed`.",
      example: null,
    }),
    failure_message: nullable.openapi({
      description: "A message explaining the failure; null unless `status` is `failed`.",
      example: null,
    }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "The PaymentIntent's metadata: key/value pairs set by the merchant.", example: {} }),
    outcome: z
      .object({
        network_status: z
          .enum(["approved_by_network", "declined_by_network", "not_sent_to_network"])
          .openapi({ description: "What the card network said; `not_sent_to_network` when blocked first." }),
        reason: nullable.openapi({
          description: "The decline code, or why the fraud screen acted (e.g. highest_risk_level, rule).",
        }),
        risk_level: z
          .enum(["normal", "elevated", "highest"])
          .nullable()
          .openapi({ description: "The fraud screen's risk level; null when the attempt was not screened." }),
        risk_score: z.int().nullable().openapi({ description: "0–100; see docs/fraud.md." }),
        rule: z
          .object({
            id: z.string().openapi({ description: "The Radar rule's id (`rule_…`)." }),
            action: z.enum(["allow", "block", "review"]).openapi({ description: "What the rule did." }),
          })
          .nullable()
          .openapi({ description: "The Radar rule that decided the outcome; null when none fired." }),
        seller_message: z.string().openapi({
          description: "A plain-language explanation of the outcome for the merchant.",
          example: "Payment complete.",
        }),
        type: z
          .enum(["authorized", "manual_review", "issuer_declined", "blocked"])
          .openapi({ description: "The outcome: authorized, authorized but placed in review, declined or blocked." }),
      })
      .openapi({ description: "What happened to the attempt: the network's answer and the fraud screen's." }),
    paid: z.boolean().openapi({ description: "True when the attempt succeeded (authorized)." }),
    payment_intent: expandableId(z.string(), "payment_intent", "The PaymentIntent (`pi_…`) this charge belongs to."),
    payment_method: nullable.openapi({
      description: "The payment method (`pm_…`) charged; null when unknown.",
      example: "pm_3PbQx2Lk9dWm4TqR7vYc1Zs8",
    }),
    payment_method_details: z
      .object({
        type: z.literal("card").openapi({ description: "Always `card`." }),
        card: CardDetailsSchema.openapi({ description: "The card charged." }),
      })
      .nullable()
      .openapi({ description: "Null when the payment method was gone before the attempt was recorded." }),
    refunded: z.boolean().openapi({ description: "True when the whole captured amount has been refunded." }),
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
    statement_descriptor: nullable.openapi({
      description: "The PaymentIntent's statement descriptor; null when not set.",
    }),
    status: z
      .enum(["succeeded", "failed"])
      .openapi({ description: "Whether the attempt succeeded.", example: "succeeded" }),
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
        .openapi({ param: { name: "id", in: "path" }, description: "The charge's id (`ch_…`)." }),
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

/** Payouts: create a manual payout, retrieve, list (by status and `created`), and cancel while pending. */
import { createRoute, z } from "@hono/zod-openapi";
import { listPayouts } from "../db/payouts";
import { isCurrency } from "../domain/currencies";
import { amountMessage, checkAmount } from "../domain/money";
import { errorResponses, formOrJsonBody, NoQuery, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { intParam, metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import { cancelPayout, createPayout, loadPayout } from "../payouts";
import { payoutJson } from "../payouts/serialize";
import type { App } from "../types";
import { currencyParam, statementDescriptorParam } from "./payment-intent-schemas";

const STATUSES = ["pending", "in_transit", "paid", "failed", "canceled"] as const;

/** The Payout object. */
export const PayoutSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `po_`.", example: "po_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("payout").openapi({ description: "String representing the object's type: always `payout`." }),
    amount: z.int().openapi({ description: "Amount paid out, in the currency's minor unit.", example: 50000 }),
    arrival_date: z
      .int()
      .openapi({ description: "When the payout is expected in the bank, in unix seconds.", example: 1733184000 }),
    automatic: z
      .boolean()
      .openapi({ description: "True for a scheduled payout, false for one created through the API." }),
    balance_transaction: z.string().openapi({
      description: "The balance transaction (`txn_…`) that took the payout from the balance.",
      example: "txn_3PbQx2Lk9dWm4TqR7vYc1Zs8",
    }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    description: z.string().nullable().openapi({ description: "The merchant's description; null when not set." }),
    destination: z
      .null()
      .openapi({ description: "Always null: the merchant's bank account is shown by `bank_last4`." }),
    failure_balance_transaction: z.string().nullable().openapi({
      description: "The balance transaction (`txn_…`) that returned the funds of a failed payout; null unless failed.",
    }),
    failure_code: z
      .string()
      .nullable()
      .openapi({ description: "Why the payout failed (e.g. `no_account`); null unless failed.", example: null }),
    failure_message: z
      .string()
      .nullable()
      .openapi({ description: "A message explaining the failure; null unless failed.", example: null }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    method: z.literal("standard").openapi({ description: "Always `standard`." }),
    reconciliation_status: z.enum(["completed", "not_applicable"]).openapi({
      description:
        "`completed` for an automatic payout (its transactions are known); `not_applicable` for a manual one.",
    }),
    source_type: z.literal("card").openapi({ description: "Always `card`: the funds came from card payments." }),
    statement_descriptor: z
      .string()
      .nullable()
      .openapi({ description: "Text on the bank statement; null when not set." }),
    status: z.enum(STATUSES).openapi({
      description: "`pending`, then `in_transit`, then `paid` or `failed`; `canceled` when canceled while pending.",
      example: "pending",
    }),
    type: z.literal("bank_account").openapi({ description: "Always `bank_account`." }),
    bank_last4: z.string().nullable().openapi({ description: "edgepay extension: the bank account's last 4 digits." }),
  })
  .openapi("Payout");

const CreateBody = z
  .strictObject({
    amount: intParam().openapi({
      description: "Amount to pay out, in minor units: positive, and covered by the available balance.",
      example: 50000,
    }),
    currency: currencyParam,
    description: z
      .string()
      .max(1000)
      .optional()
      .openapi({ description: "An arbitrary description, up to 1000 characters.", example: "Weekly payout" }),
    statement_descriptor: statementDescriptorParam.optional(),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the payout." }).optional(),
  })
  .superRefine((body, ctx) => {
    if (!isCurrency(body.currency)) return;
    const checked = checkAmount(body.amount, body.currency, "part");
    if (!checked.ok) {
      ctx.addIssue({
        code: "custom",
        path: ["amount"],
        message: amountMessage(checked, body.currency),
        params: { code: checked.code },
      });
    }
  })
  .openapi("PayoutCreate", { example: { amount: 50000, currency: "usd", description: "Weekly payout" } });

const common = { tags: ["Payouts"], security: [{ merchantToken: [] }] };
const one = { 200: { description: "The payout", content: { "application/json": { schema: PayoutSchema } } } };
const IdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: "id", in: "path" }, description: "The payout's id (`po_…`)." }),
});

const createPayoutRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payouts",
  summary: "Pay out part of the available balance to the bank account (manual payout)",
  middleware: [requireScope("payouts:write")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...one, ...errorResponses(400, 401, 403) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/payouts/{id}",
  summary: "Retrieve a payout",
  middleware: [requireScope("payouts:read")] as const,
  request: { params: IdParam, query: NoQuery },
  responses: { ...one, ...errorResponses(400, 401, 403, 404) },
});

const cancelRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payouts/{id}/cancel",
  summary: "Cancel a manual payout that is still pending; its funds return to the available balance",
  middleware: [requireScope("payouts:write")] as const,
  request: { params: IdParam, body: formOrJsonBody(z.strictObject({})) },
  responses: { ...one, ...errorResponses(400, 401, 403, 404) },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/payouts",
  summary: "List payouts, newest first, optionally in one status",
  middleware: [requireScope("payouts:read")] as const,
  request: {
    query: z.strictObject({
      ...listParams,
      status: z
        .enum(STATUSES)
        .optional()
        .openapi({ param: { name: "status", in: "query" }, description: "Only payouts in this status." }),
    }),
  },
  responses: {
    200: {
      description: "A page of payouts",
      content: { "application/json": { schema: listSchema(PayoutSchema, "PayoutList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the payout routes. */
export function registerPayouts(app: App): void {
  registerComponents(app, { Metadata: metadataParam });
  app.openapi(createPayoutRoute, async (c) => {
    const body = c.req.valid("json");
    const row = await createPayout(
      c.var.payments,
      c.var.auth.merchantId,
      {
        amount: body.amount,
        currency: body.currency,
        description: body.description,
        statementDescriptor: body.statement_descriptor,
        metadata: body.metadata,
      },
      c.var.idempotencyKey,
    );
    return c.json(payoutJson(row, isLive(c.env)), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadPayout(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(payoutJson(row, isLive(c.env)), 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const row = await cancelPayout(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(payoutJson(row, isLive(c.env)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = pageOr404(
      await listPayouts(c.var.payments.db, c.var.auth.merchantId, { status: query.status }, pageRequest(query)),
    );
    const live = isLive(c.env);
    return c.json(listEnvelope("/v1/payouts", { ...page, data: page.data.map((r) => payoutJson(r, live)) }), 200);
  });
}

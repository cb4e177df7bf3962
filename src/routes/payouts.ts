/** Payouts: create a manual payout, retrieve, list (by status and `created`), and cancel while pending. */
import { createRoute, z } from "@hono/zod-openapi";
import { listPayouts } from "../db/payouts";
import { isCurrency } from "../domain/currencies";
import { amountMessage, checkAmount } from "../domain/money";
import { errorResponses, formOrJsonBody, NoQuery } from "../lib/openapi";
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
    id: z.string().openapi({ example: "po_3fX9…" }),
    object: z.literal("payout"),
    amount: z.int(),
    arrival_date: z.int(),
    automatic: z.boolean(),
    balance_transaction: z.string(),
    created: z.int(),
    currency: z.string(),
    description: z.string().nullable(),
    destination: z.null(),
    failure_balance_transaction: z.string().nullable(),
    failure_code: z.string().nullable(),
    failure_message: z.string().nullable(),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    method: z.literal("standard"),
    reconciliation_status: z.enum(["completed", "not_applicable"]),
    source_type: z.literal("card"),
    statement_descriptor: z.string().nullable(),
    status: z.enum(STATUSES),
    type: z.literal("bank_account"),
    bank_last4: z.string().nullable().openapi({ description: "edgepay extension: the bank account's last 4 digits." }),
  })
  .openapi("Payout");

const CreateBody = z
  .strictObject({
    amount: intParam(),
    currency: currencyParam,
    description: z.string().max(1000).optional(),
    statement_descriptor: statementDescriptorParam.optional(),
    metadata: metadataParam.optional(),
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
  .openapi("PayoutCreate");

const common = { tags: ["Payouts"], security: [{ merchantToken: [] }] };
const one = { 200: { description: "The payout", content: { "application/json": { schema: PayoutSchema } } } };
const IdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: "id", in: "path" } }),
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

/**
 * PaymentIntents: create, update (before confirmation), retrieve and list. The life-cycle actions
 * (confirm, capture, cancel) live in payment-intent-actions.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { getDb } from "../db/client";
import { createdRange, listPage } from "../db/pagination";
import { draftIntent, type IntentRow, insertIntent } from "../db/payment-intents";
import { paymentIntents } from "../db/schema";
import type { Currency } from "../domain/currencies";
import { checkAmount } from "../domain/money";
import { decideUpdate } from "../domain/payment-state";
import { ApiError } from "../errors";
import { errorResponses, formOrJsonBody } from "../lib/openapi";
import { createdParams, listEnvelope, listParams, listSchema, pageRequest } from "../lib/pagination";
import { boolParam, intParam, type Metadata, metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { createConfirmed } from "../payments/actions";
import { loadIntent, mutate, refuse, stateOf } from "../payments/intents";
import { intentJson, isLive } from "../payments/serialize";
import type { App } from "../types";
import { claimPaymentMethod } from "../vault";
import {
  IntentIdParam,
  mergeMetadata,
  PaymentIntentSchema,
  parseCurrency,
  paymentMethodRef,
  statementDescriptorParam,
} from "./payment-intent-schemas";

const CreateBody = z
  .strictObject({
    amount: intParam(),
    currency: z.string().min(3).max(3),
    payment_method: paymentMethodRef.optional(),
    confirm: boolParam().optional(),
    capture_method: z.enum(["automatic", "manual"]).optional(),
    description: z.string().max(1000).optional(),
    metadata: metadataParam.optional(),
    statement_descriptor: statementDescriptorParam.optional(),
  })
  .openapi("PaymentIntentCreate");

const UpdateBody = z
  .strictObject({
    amount: intParam().optional(),
    description: z.string().max(1000).optional(),
    metadata: metadataParam.optional(),
  })
  .openapi("PaymentIntentUpdate");

const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: PaymentIntentSchema } } },
});
const common = { tags: ["PaymentIntents"], security: [{ merchantToken: [] }] };

const createIntentRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payment_intents",
  summary: "Create a PaymentIntent (and confirm it with confirm=true)",
  middleware: [requireScope("payments:write")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...ok("The PaymentIntent"), ...errorResponses(400, 401, 402, 403, 404) },
});

const updateRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payment_intents/{id}",
  summary: "Update amount, description or metadata before confirmation",
  middleware: [requireScope("payments:write")] as const,
  request: { params: IntentIdParam, body: formOrJsonBody(UpdateBody) },
  responses: { ...ok("The updated PaymentIntent"), ...errorResponses(400, 401, 403, 404) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/payment_intents/{id}",
  summary: "Retrieve a PaymentIntent",
  middleware: [requireScope("payments:read")] as const,
  request: { params: IntentIdParam },
  responses: { ...ok("The PaymentIntent"), ...errorResponses(401, 403, 404) },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/payment_intents",
  summary: "List PaymentIntents, newest first",
  middleware: [requireScope("payments:read")] as const,
  request: { query: z.strictObject({ ...listParams, ...createdParams }) },
  responses: {
    200: {
      description: "A page of PaymentIntents",
      content: {
        "application/json": {
          schema: listSchema(PaymentIntentSchema, "PaymentIntentList"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

function amountFor(amount: number, currency: string): number {
  const checked = checkAmount(amount, currency as Currency, "charge");
  if (!checked.ok) refuse({ ...checked, param: "amount" }, currency);
  return amount;
}

/** Registers the PaymentIntent resource routes. */
export function registerPaymentIntents(app: App): void {
  app.openapi(createIntentRoute, async (c) => {
    const body = c.req.valid("json");
    const { merchantId } = c.var.auth;
    const currency = parseCurrency(body.currency);
    const amount = amountFor(body.amount, currency);
    const metadata = mergeMetadata({}, body.metadata);
    const pm = body.payment_method ?? null;
    if (body.confirm && !pm) {
      throw new ApiError("parameter_missing", "You must provide a payment_method to confirm a PaymentIntent.", {
        param: "payment_method",
      });
    }
    const draft = draftIntent({
      merchantId,
      amount,
      currency,
      captureMethod: body.capture_method ?? "automatic",
      description: body.description ?? null,
      metadata: JSON.stringify(metadata),
      statementDescriptor: body.statement_descriptor ?? null,
      idempotencyKey: c.var.idempotencyKey ?? null,
    });
    if (body.confirm && pm) return c.json(intentJson(await createConfirmed(c.env, draft, pm), isLive(c.env)), 200);
    const row = await insertIntent(getDb(c.env), draft);
    // Version 1 is the intent as inserted: a retry after a crash resumes here, a later retry returns the row.
    if (row.version === 1 && pm) {
      const done = await attachPaymentMethod(c.env, merchantId, row, pm);
      return c.json(intentJson(done, isLive(c.env)), 200);
    }
    return c.json(intentJson(row, isLive(c.env)), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const body = c.req.valid("json");
    const { id } = c.req.valid("param");
    const row = await mutate(c.env, c.var.auth.merchantId, id, (current) => {
      const d = decideUpdate(stateOf(current));
      if (!d.ok) refuse(d, current.currency);
      const patch: { amount?: number; description?: string | null; metadata?: string } = {};
      if (body.amount !== undefined) patch.amount = amountFor(body.amount, current.currency);
      if (body.description !== undefined) patch.description = body.description === "" ? null : body.description;
      if (body.metadata !== undefined) {
        patch.metadata = JSON.stringify(mergeMetadata(JSON.parse(current.metadata) as Metadata, body.metadata));
      }
      return { kind: "updated", amount: patch.amount, patch };
    });
    return c.json(intentJson(row, isLive(c.env)), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadIntent(c.env, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(intentJson(row, isLive(c.env)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const t = paymentIntents;
    const scope = and(eq(t.merchantId, c.var.auth.merchantId), createdRange(t.created, query));
    const page = await listPage(getDb(c.env), { table: t, id: t.id, created: t.created, scope }, pageRequest(query));
    const live = isLive(c.env);
    return c.json(
      listEnvelope("/v1/payment_intents", { ...page, data: page.data.map((r) => intentJson(r, live)) }),
      200,
    );
  });
}

/** Attaches a payment method without confirming: the intent then requires confirmation. */
async function attachPaymentMethod(env: Env, merchantId: string, intent: IntentRow, pm: string) {
  const card = await claimPaymentMethod(env, merchantId, pm);
  return mutate(
    env,
    merchantId,
    intent.id,
    (row) => {
      const d = decideUpdate(stateOf(row));
      if (!d.ok) refuse(d, row.currency);
      return { kind: "payment_method_attached", patch: { paymentMethod: card.id, status: "requires_confirmation" } };
    },
    intent,
  );
}

/**
 * PaymentIntents: create, update (before confirmation), retrieve and list. The life-cycle actions
 * (confirm, capture, cancel) live in payment-intent-actions.ts.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { draftIntent, listIntents } from "../db/payment-intents";
import { type Currency, isCurrency } from "../domain/currencies";
import { amountMessage, checkAmount } from "../domain/money";
import { invalidParam } from "../errors";
import { expandable, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { boolParam, intParam, metadataParam } from "../lib/params";
import {
  allowPublishable,
  PUBLISHABLE_SECURITY,
  requireScope,
  requireScopeOrPublishable,
} from "../middleware/merchant-auth";
import { createConfirmed, createIntent } from "../payments/actions";
import { intentForCaller } from "../payments/client-secret";
import { intentJson, isLive } from "../payments/serialize";
import { updateIntent } from "../payments/update";
import type { App } from "../types";
import {
  authenticateOf,
  compatParams,
  currencyParam,
  customerParam,
  exclusivePaymentMethod,
  IntentIdParam,
  mergeMetadata,
  offSessionParam,
  PaymentIntentSchema,
  paymentMethodDataParam,
  paymentMethodRef,
  requestedPaymentMethod,
  setupFutureUsageParam,
  statementDescriptorParam,
} from "./payment-intent-schemas";
import { CARD_COMPONENTS } from "./payment-method-schemas";

/** Adds the amount rules of `currency` (minimum, maximum, step) as a validation issue on `amount`. */
function amountIssue(amount: number, currency: string, ctx: z.RefinementCtx) {
  if (!isCurrency(currency)) return;
  const checked = checkAmount(amount, currency, "charge");
  if (checked.ok) return;
  ctx.addIssue({
    code: "custom",
    path: ["amount"],
    message: amountMessage(checked, currency),
    params: { code: checked.code },
  });
}

const CreateBody = z
  .strictObject({
    amount: intParam().openapi({
      description:
        "Amount to collect, a positive integer in the currency's minor unit (e.g. 2000 for $20.00): at least the currency's minimum charge (50 for usd), at most 99999999, and a multiple of its step.",
      example: 2000,
    }),
    currency: currencyParam,
    payment_method: paymentMethodRef.optional(),
    confirm: boolParam().optional().openapi({
      description:
        "Confirm now: attempt the payment in this request (needs `payment_method` or `payment_method_data`). Default false.",
      example: true,
    }),
    capture_method: z.enum(["automatic", "manual"]).optional().openapi({
      description:
        "`automatic` (default) captures when authorized; `manual` holds the authorization for a later capture (voided after 7 days).",
      example: "automatic",
    }),
    description: z
      .string()
      .max(1000)
      .optional()
      .openapi({ description: "An arbitrary description, up to 1000 characters.", example: "Order #6735" }),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the PaymentIntent." }).optional(),
    statement_descriptor: statementDescriptorParam.optional(),
    expand: expandBodyParam,
    customer: customerParam.optional(),
    setup_future_usage: setupFutureUsageParam.optional(),
    off_session: offSessionParam.optional(),
    payment_method_data: paymentMethodDataParam,
    ...compatParams,
  })
  .superRefine((body, ctx) => {
    amountIssue(body.amount, body.currency, ctx);
    exclusivePaymentMethod(body, ctx);
    if (body.confirm && body.payment_method === undefined && body.payment_method_data === undefined) {
      ctx.addIssue({ code: "custom", path: ["payment_method"], message: "required to confirm" });
    }
    if (!body.confirm && body.off_session !== undefined) {
      ctx.addIssue({ code: "custom", path: ["off_session"], message: "can only be used with confirm=true" });
    }
  })
  .openapi("PaymentIntentCreate", {
    example: {
      amount: 2000,
      currency: "usd",
      payment_method: "pm_card_visa",
      confirm: true,
      metadata: { order_id: "6735" },
    },
  });

const UpdateBody = z
  .strictObject({
    amount: intParam().optional().openapi({
      description: "New amount in minor units; only before confirmation, with the same rules as on create.",
      example: 2500,
    }),
    description: z
      .string()
      .max(1000)
      .optional()
      .openapi({ description: 'New description, up to 1000 characters; `""` clears it.', example: "Order #6735" }),
    metadata: metadataParam
      .openapi({ description: 'Keys to set on the PaymentIntent\'s metadata; a key set to `""` is removed.' })
      .optional(),
    expand: expandBodyParam,
    customer: customerParam.optional(),
    setup_future_usage: setupFutureUsageParam.optional(),
  })
  .openapi("PaymentIntentUpdate");

const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: PaymentIntentSchema } } },
});
const common = { tags: ["Payment intents"], security: [{ merchantToken: [] }] };

const createIntentRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payment_intents",
  summary: "Create a PaymentIntent (and confirm it with confirm=true)",
  middleware: [requireScope("payments:write"), expandable("payment_intent")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...ok("The PaymentIntent"), ...errorResponses(400, 401, 402, 403, 404) },
});

const updateRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/payment_intents/{id}",
  summary: "Update amount, customer or setup_future_usage before confirmation; description or metadata until canceled",
  middleware: [requireScope("payments:write"), expandable("payment_intent")] as const,
  request: { params: IntentIdParam, body: formOrJsonBody(UpdateBody) },
  responses: { ...ok("The updated PaymentIntent"), ...errorResponses(400, 401, 403, 404) },
});

const retrieveRoute = createRoute({
  ...common,
  security: PUBLISHABLE_SECURITY,
  method: "get",
  path: "/v1/payment_intents/{id}",
  summary: "Retrieve a PaymentIntent (with a publishable key: only with its client_secret)",
  middleware: [allowPublishable, requireScopeOrPublishable("payments:read"), expandable("payment_intent")] as const,
  request: {
    params: IntentIdParam,
    query: queryWithExpand({
      client_secret: z
        .string()
        .max(200)
        .optional()
        .openapi({
          param: { name: "client_secret", in: "query" },
          description: "The intent's client secret: required with a publishable key, ignored otherwise.",
        }),
    }),
  },
  responses: { ...ok("The PaymentIntent"), ...errorResponses(401, 403, 404) },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/payment_intents",
  summary: "List PaymentIntents, newest first",
  middleware: [requireScope("payments:read"), expandable("payment_intent", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      customer: z
        .string()
        .max(255)
        .optional()
        .openapi({
          param: { name: "customer", in: "query" },
          description: "Only the PaymentIntents of this customer (`cus_…`).",
        }),
    }),
  },
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

/** Registers the PaymentIntent resource routes. */
export function registerPaymentIntents(app: App): void {
  registerComponents(app, CARD_COMPONENTS);
  app.openapi(createIntentRoute, async (c) => {
    const body = c.req.valid("json");
    const deps = c.var.payments;
    const merchantId = c.var.auth.merchantId;
    const metadata = mergeMetadata("{}", body.metadata);
    const draft = draftIntent({
      merchantId,
      amount: body.amount,
      currency: body.currency,
      captureMethod: body.capture_method ?? "automatic",
      description: body.description ?? null,
      metadata,
      statementDescriptor: body.statement_descriptor ?? null,
      idempotencyKey: c.var.idempotencyKey ?? null,
      created: deps.now(),
      customer: body.customer ?? null,
      setupFutureUsage: body.setup_future_usage ?? null,
    });
    const pm = await requestedPaymentMethod(deps, merchantId, body, {
      live: isLive(c.env),
      requestKey: c.var.idempotencyKey,
      customer: body.customer,
      fresh: draft.customer !== null && draft.setupFutureUsage !== null,
      path: c.req.path,
    });
    if (body.confirm && pm !== undefined) {
      const authenticate = authenticateOf(c.req.url, isLive(c.env), body);
      const row = await createConfirmed(deps, draft, pm, { authenticate });
      return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
    }
    const row = await createIntent(deps, draft, pm);
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const body = c.req.valid("json");
    const { id } = c.req.valid("param");
    const update = {
      amount: body.amount,
      description: body.description === undefined ? undefined : body.description === "" ? null : body.description,
      merge: body.metadata === undefined ? undefined : (stored: string) => mergeMetadata(stored, body.metadata),
      customer: body.customer,
      setupFutureUsage: body.setup_future_usage,
    };
    const row = await updateIntent(c.var.payments, c.var.auth.merchantId, id, update, (amount, currency) => {
      const checked = checkAmount(amount, currency as Currency, "charge");
      if (!checked.ok) throw invalidParam(checked.code, amountMessage(checked, currency), "amount");
    });
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const { client_secret: secret } = c.req.valid("query");
    const row = await intentForCaller(c.var.payments, c.var.auth, c.req.valid("param").id, secret);
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { customer, ...query } = c.req.valid("query");
    const page = pageOr404(
      await listIntents(c.var.payments.db, c.var.auth.merchantId, pageRequest(query), { customer }),
    );
    const live = isLive(c.env);
    const answer = listEnvelope("/v1/payment_intents", { ...page, data: page.data.map((r) => intentJson(r, live)) });
    return c.json(await expanded(c, answer), 200);
  });
}

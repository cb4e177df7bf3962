/** PaymentIntent life-cycle actions: confirm, capture (full or partial) and cancel. */
import { createRoute, z } from "@hono/zod-openapi";
import { expandable, expandBodyParam, expanded } from "../expand";
import { errorResponses, formOrJsonBody, registerComponents } from "../lib/openapi";
import { intParam } from "../lib/params";
import {
  allowPublishable,
  PUBLISHABLE_SECURITY,
  requireScope,
  requireScopeOrPublishable,
} from "../middleware/merchant-auth";
import { CANCELLATION_REASONS, cancelIntent, captureIntent, confirmIntent } from "../payments/actions";
import { intentForCaller } from "../payments/client-secret";
import { intentJson, isLive } from "../payments/serialize";
import type { App } from "../types";
import {
  authenticateOf,
  compatParams,
  exclusivePaymentMethod,
  IntentIdParam,
  laterPaymentMethod,
  offSessionParam,
  PaymentIntentSchema,
  paymentMethodDataParam,
  paymentMethodRef,
  setupFutureUsageParam,
} from "./payment-intent-schemas";
import { CARD_COMPONENTS, newCardOf } from "./payment-method-schemas";

const ConfirmBody = z
  .strictObject({
    payment_method: paymentMethodRef.optional(),
    client_secret: z
      .string()
      .max(200)
      .optional()
      .openapi({ description: "The intent's client secret: required with a publishable key, ignored otherwise." }),
    expand: expandBodyParam,
    setup_future_usage: setupFutureUsageParam.optional(),
    off_session: offSessionParam.optional(),
    payment_method_data: paymentMethodDataParam,
    ...compatParams,
  })
  .superRefine(exclusivePaymentMethod)
  .openapi("PaymentIntentConfirm", {
    example: { payment_method: "pm_card_visa", return_url: "https://example.com/checkout/complete" },
  });
const CaptureBody = z
  .strictObject({
    amount_to_capture: intParam().optional().openapi({
      description:
        "Amount to capture, in minor units: positive, at most `amount_capturable`; the rest of the authorization is released. Default: all of `amount_capturable`.",
      example: 1500,
    }),
    expand: expandBodyParam,
  })
  .openapi("PaymentIntentCapture", { description: "amount_to_capture defaults to all of amount_capturable." });
const CancelBody = z
  .strictObject({
    cancellation_reason: z.enum(CANCELLATION_REASONS).optional().openapi({
      description: "Why the PaymentIntent is canceled; shown as `cancellation_reason` on it. Default: none.",
      example: "requested_by_customer",
    }),
    expand: expandBodyParam,
  })
  .openapi("PaymentIntentCancel");

const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: PaymentIntentSchema } } },
});

function action<B extends z.ZodType>(name: string, summary: string, body: B, errors: number[]) {
  return createRoute({
    tags: ["Payment intents"],
    security: [{ merchantToken: [] }],
    method: "post",
    path: `/v1/payment_intents/{id}/${name}`,
    summary,
    middleware: [requireScope("payments:write"), expandable("payment_intent")] as const,
    request: { params: IntentIdParam, body: formOrJsonBody(body) },
    responses: { ...ok("The PaymentIntent"), ...errorResponses(...errors) },
  });
}

const confirmRoute = createRoute({
  tags: ["Payment intents"],
  security: PUBLISHABLE_SECURITY,
  method: "post",
  path: "/v1/payment_intents/{id}/confirm",
  summary:
    "Confirm: authorize (and capture when capture_method=automatic); also reconciles a processing intent. With a publishable key: only with its client_secret",
  middleware: [allowPublishable, requireScopeOrPublishable("payments:write"), expandable("payment_intent")] as const,
  request: { params: IntentIdParam, body: formOrJsonBody(ConfirmBody) },
  responses: { ...ok("The PaymentIntent"), ...errorResponses(400, 401, 402, 403, 404) },
});
const captureRoute = action("capture", "Capture all or part of an authorization", CaptureBody, [400, 401, 403, 404]);
const cancelRoute = action(
  "cancel",
  "Cancel; voids the authorization if there is one. Refuses an open review: it closes as `canceled`",
  CancelBody,
  [400, 401, 403, 404],
);

/** Registers confirm, capture and cancel. */
export function registerPaymentIntentActions(app: App): void {
  registerComponents(app, CARD_COMPONENTS);
  app.openapi(confirmRoute, async (c) => {
    const merchantId = c.var.auth.merchantId;
    const body = c.req.valid("json");
    const deps = c.var.payments;
    // A publishable key's secret is checked before anything is resolved or created.
    if (c.var.auth.credential === "publishable_key") {
      await intentForCaller(deps, c.var.auth, c.req.valid("param").id, body.client_secret);
    }
    // The card is checked (a 402 names it) before anything is read, and made only if the intent takes it.
    if (body.payment_method_data) newCardOf(body.payment_method_data, "payment_method_data");
    const authenticate = authenticateOf(c.req.url, isLive(c.env), body);
    const pm = laterPaymentMethod(deps, merchantId, body, {
      live: isLive(c.env),
      requestKey: c.var.idempotencyKey,
      fresh: body.setup_future_usage !== undefined,
      path: c.req.path,
    });
    const row = await confirmIntent(deps, merchantId, c.req.valid("param").id, pm, c.var.idempotencyKey, {
      setupFutureUsage: body.setup_future_usage,
      authenticate,
    });
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });

  app.openapi(captureRoute, async (c) => {
    const amount = c.req.valid("json").amount_to_capture;
    const row = await captureIntent(
      c.var.payments,
      c.var.auth.merchantId,
      c.req.valid("param").id,
      amount,
      c.var.idempotencyKey,
    );
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });

  app.openapi(cancelRoute, async (c) => {
    const reason = c.req.valid("json").cancellation_reason ?? null;
    const row = await cancelIntent(
      c.var.payments,
      c.var.auth.merchantId,
      c.req.valid("param").id,
      reason,
      c.var.idempotencyKey,
    );
    return c.json(await expanded(c, intentJson(row, isLive(c.env))), 200);
  });
}

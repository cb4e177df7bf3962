/** Wire schemas shared by the PaymentIntent route modules, and the intent-scoped request helpers. */
import { z } from "@hono/zod-openapi";
import { isCurrency } from "../domain/currencies";
import { type AuthenticateOp, INTENT_STATUSES } from "../domain/payment-state";
import { expandableId } from "../expand";
import { boolParam } from "../lib/params";
import type { PaymentDeps } from "../payments/deps";
import { checkCustomer, paymentMethodFromData, SETUP_FUTURE_USAGES } from "../payments/saved-cards";
import { resolveTestId } from "../vault/test-ids";
import { checkRedirectUrl } from "./checkout-session-schemas";
import { newCardOf, PaymentMethodParams } from "./payment-method-schemas";

/** Moved to lib/params.ts (webhook endpoints merge metadata too); re-exported for the intent routes. */
export { mergeMetadata } from "../lib/params";

/** The PaymentIntent object as documented in the OpenAPI document. */
export const PaymentIntentSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `pi_`.", example: "pi_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z
      .literal("payment_intent")
      .openapi({ description: "String representing the object's type: always `payment_intent`." }),
    amount: z.int().openapi({
      description: "Amount to collect, in the currency's minor unit (e.g. 2000 for $20.00).",
      example: 2000,
    }),
    amount_capturable: z.int().openapi({
      description: "Amount authorized and not yet captured, in minor units (while `requires_capture`).",
      example: 0,
    }),
    amount_received: z.int().openapi({ description: "Amount captured, in minor units.", example: 2000 }),
    amount_refunded: z
      .int()
      .openapi({ description: "edgepay extension: total of refunds not failed, in minor units.", example: 0 }),
    canceled_at: z
      .int()
      .nullable()
      .openapi({ description: "When the intent was canceled, in unix seconds; null unless canceled.", example: null }),
    cancellation_reason: z.string().nullable().openapi({
      description:
        "Why the intent was canceled: `duplicate`, `fraudulent`, `requested_by_customer`, `abandoned`, or `automatic` (an authorization voided after 7 days); null unless canceled.",
      example: null,
    }),
    capture_method: z.enum(["automatic", "manual"]).openapi({
      description: "`automatic` captures on authorization; `manual` stops at `requires_capture` until captured.",
      example: "automatic",
    }),
    client_secret: z.string().nullable().openapi({
      description:
        "pi_…_secret_…: with a publishable key, retrieves and confirms this one intent. Keep it out of logs and URLs you share.",
    }),
    confirmation_method: z
      .literal("automatic")
      .openapi({ description: "Always `automatic`: the intent is confirmed by a confirm call or `confirm=true`." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    customer: expandableId(z.string().nullable(), "customer", "The cus_ this intent belongs to; null when none."),
    description: z
      .string()
      .nullable()
      .openapi({ description: "The merchant's description of the payment; null when not set.", example: null }),
    last_payment_error: z
      .object({
        type: z.enum(["card_error", "invalid_request_error"]).openapi({
          description: "`card_error` for a decline; `invalid_request_error` for a failed 3-D Secure authentication.",
        }),
        code: z.string().openapi({ description: "The error code, e.g. `card_declined`.", example: "card_declined" }),
        decline_code: z
          .string()
          .optional()
          .openapi({ description: "The issuer's reason for a decline.", example: "insufficient_funds" }),
        message: z.string().openapi({ description: "A human-readable message.", example: "Your card was declined." }),
        payment_method: z
          .object({ id: z.string().openapi({ description: "The payment method's id (`pm_…`)." }) })
          .nullable()
          .openapi({ description: "The payment method that failed; null when unknown." }),
      })
      .nullable()
      .openapi({ description: "The error of the last failed attempt; null once an attempt succeeds or none failed." }),
    latest_charge: expandableId(
      z.string().nullable(),
      "charge",
      "The latest charge (`ch_…`) of the intent; null before the first attempt.",
    ),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: { order_id: "6735" } }),
    next_action: z
      .object({
        type: z.literal("redirect_to_url").openapi({ description: "Always `redirect_to_url`." }),
        redirect_to_url: z
          .object({
            url: z.string().openapi({ description: "The 3-D Secure challenge page to send the customer to." }),
            return_url: z
              .string()
              .nullable()
              .openapi({ description: "Where the customer comes back to; null when no `return_url` was given." }),
          })
          .openapi({ description: "The redirect to follow." }),
      })
      .nullable()
      .openapi({
        description:
          "While `requires_action`: send the customer to `redirect_to_url.url` (the 3-D Secure challenge); they come back to `return_url` with `payment_intent`, `payment_intent_client_secret` and `redirect_status`.",
      }),
    payment_method: expandableId(
      z.string().nullable(),
      "payment_method",
      "The payment method (`pm_…` or `tok_…`) to charge; null until one is given.",
    ),
    payment_method_types: z
      .array(z.string())
      .openapi({ description: 'The payment method types allowed: always `["card"]`.', example: ["card"] }),
    review: z.string().nullable().openapi({
      description:
        "The open review (`prv_…`) holding this PaymentIntent: it cannot be captured until the review is approved.",
    }),
    setup_future_usage: z.enum(["on_session", "off_session"]).nullable().openapi({
      description: "Whether the card is saved to `customer` on success, for use on or off session; null: not saved.",
      example: null,
    }),
    statement_descriptor: z.string().nullable().openapi({
      description: "Text on the customer's statement (5–22 characters); null when not set.",
      example: null,
    }),
    status: z
      .enum(INTENT_STATUSES)
      .openapi({ description: "Where the intent is in its life cycle.", example: "succeeded" }),
  })
  .openapi("PaymentIntent");

/** `{id}` path parameter of intent routes. */
export const IntentIdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: "id", in: "path" }, description: "The PaymentIntent's id (`pi_…`)." }),
});

/** Statement descriptor rules: 5–22 characters, a letter, none of `< > \ ' " *`. */
export const statementDescriptorParam = z
  .string()
  .min(5)
  .max(22)
  .regex(/^[^<>\\'"*]*[A-Za-z][^<>\\'"*]*$/, "must contain a letter and none of < > \\ ' \" *")
  .openapi({
    description:
      "Text on the customer's card statement: 5–22 characters, at least one letter, none of `< > \\ ' \" *`.",
    example: "EDGEPAY SHOP",
  });

/** A payment_method reference: a pm_ or tok_ id (Stripe's test ids, `pm_card_visa`, have underscores). */
export const paymentMethodRef = z
  .string()
  .regex(/^(pm|tok)_[0-9A-Za-z_]{1,64}$/, "must be a pm_ or tok_ id")
  .openapi({
    description: "The payment method to charge: a `pm_…` or `tok_…` id, or a Stripe test id such as `pm_card_visa`.",
    example: "pm_card_visa",
  });

/** A currency code, lowercased; an unknown code is a 400 naming `currency` (before anything is saved). */
export const currencyParam = z
  .string()
  .transform((code, ctx) => {
    const lower = code.toLowerCase();
    if (isCurrency(lower)) return lower;
    ctx.issues.push({ code: "custom", message: "not a supported ISO 4217 currency", input: code });
    return z.NEVER;
  })
  .openapi({ type: "string", description: "Three-letter ISO 4217 currency code, any case.", example: "usd" });

/**
 * Stripe parameters a create or confirm accepts for compatibility, with nothing to store: cards are
 * the only payment method type, `receipt_email` is validated but not stored (edgepay sends no
 * receipts), and `return_url` is validated for the 3-D Secure redirect to come.
 */
export const compatParams = {
  payment_method_types: z
    .array(z.literal("card", { error: "only card is supported" }))
    .min(1)
    .optional()
    .openapi({ description: 'Only `["card"]`.' }),
  automatic_payment_methods: z
    .strictObject({
      enabled: boolParam().openapi({ description: "Accepted for compatibility; has no effect." }),
      allow_redirects: z
        .enum(["always", "never"])
        .optional()
        .openapi({ description: "Accepted for compatibility; has no effect." }),
    })
    .optional()
    .openapi({ description: "Accepted; edgepay offers cards only either way." }),
  receipt_email: z.email().max(800).optional().openapi({ description: "Validated; not stored, no receipt is sent." }),
  return_url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .optional()
    .openapi({
      description:
        "Where the customer returns after a 3-D Secure challenge (https; http to localhost in test mode). Without it, the challenge page shows the result.",
    }),
};

/** `customer` on create and update: a `cus_` of the merchant (anything else is a 404 naming it). */
export const customerParam = z.string().min(1).max(255).openapi({
  description:
    "The customer (`cus_…`) this PaymentIntent belongs to. A payment method saved to a customer can only be used by an intent of that customer.",
});

/** `setup_future_usage` on create, update and confirm. */
export const setupFutureUsageParam = z.enum(SETUP_FUTURE_USAGES).openapi({
  description:
    "Save the payment method to `customer` when the authorization succeeds (`payment_method.attached`), to charge it again later, on or off session.",
});

/** `off_session` on create (with `confirm=true`) and confirm: Stripe's booleans, or `one_off` / `recurring`. */
export const offSessionParam = z.union([boolParam(), z.enum(["one_off", "recurring"])]).openapi({
  description:
    "The customer is not present: charge a saved card without its CVC (`true`, `one_off` or `recurring`). Accepted and validated; the simulator needs no CVC either way.",
});

/** `payment_method_data`: a card tokenized inline, as `POST /v1/payment_methods` does (never with `payment_method`). */
export const paymentMethodDataParam = PaymentMethodParams.optional().openapi({
  description:
    "A card to create the payment method from, exactly as `POST /v1/payment_methods` takes it (`type=card`, `card[…]`, `billing_details[…]`, `metadata[…]`); cannot be combined with `payment_method`.",
});

/** Adds the issue of `payment_method` and `payment_method_data` sent together. */
export function exclusivePaymentMethod(
  body: { payment_method?: string; payment_method_data?: unknown },
  ctx: z.RefinementCtx,
): void {
  if (body.payment_method !== undefined && body.payment_method_data !== undefined) {
    ctx.addIssue({ code: "custom", path: ["payment_method_data"], message: "cannot be used with payment_method" });
  }
}

/**
 * The pm_/tok_ to charge for a request's `payment_method` (a Stripe test id resolved; `fresh`: a
 * `pm_card_*` gets its own method, for a payment that saves its card) or `payment_method_data`
 * (validated first, then tokenized; with a `customer`, that customer is checked before, so a
 * refused request creates nothing; the method is created once per request `path` and Idempotency-Key).
 * Undefined when the request names neither.
 */
export async function requestedPaymentMethod(
  deps: PaymentDeps,
  merchantId: string,
  body: { payment_method?: string; payment_method_data?: z.infer<typeof PaymentMethodParams> },
  options: { live: boolean; requestKey?: string; customer?: string; fresh?: boolean; path: string },
): Promise<string | undefined> {
  if (body.payment_method_data !== undefined) {
    const card = newCardOf(body.payment_method_data, "payment_method_data");
    await checkCustomer(deps, merchantId, options.customer ?? null);
    const key = options.requestKey === undefined ? undefined : `${options.path}\n${options.requestKey}`;
    return paymentMethodFromData(deps, merchantId, card, key);
  }
  if (body.payment_method === undefined) return undefined;
  return resolveTestId(deps, merchantId, body.payment_method, options.live, { fresh: options.fresh });
}

/**
 * `requestedPaymentMethod` made only when called with the intent being confirmed (undefined when
 * the request names none), for a confirm: an intent that will save its card (a `customer` and
 * `setup_future_usage`, stored or sent now) gets a `pm_card_*` method of its own.
 */
export function laterPaymentMethod(...args: Parameters<typeof requestedPaymentMethod>) {
  const [deps, merchantId, body, options] = args;
  if (body.payment_method === undefined && body.payment_method_data === undefined) return undefined;
  return async (intent: { customer: string | null; setupFutureUsage: string | null }) => {
    const saves = intent.customer !== null && (options.fresh === true || intent.setupFutureUsage !== null);
    return (await requestedPaymentMethod(deps, merchantId, body, { ...options, fresh: saves })) as string;
  };
}

/**
 * What a confirm asks of the simulated issuer (3-D Secure, docs/three-d-secure.md): the gateway's
 * origin (the challenge page's), the `return_url` (checked as checkout's redirect URLs: a 400 naming
 * it) and `off_session`. Undefined on a live deployment, where no simulated issuer answers.
 */
export function authenticateOf(
  requestUrl: string,
  live: boolean,
  body: { return_url?: string; off_session?: boolean | string },
): AuthenticateOp | undefined {
  if (body.return_url !== undefined) checkRedirectUrl(body.return_url, "return_url", live);
  if (live) return undefined;
  const offSession = body.off_session !== undefined && body.off_session !== false;
  return {
    origin: new URL(requestUrl).origin,
    returnUrl: body.return_url ?? null,
    ...(offSession ? { offSession: true as const } : {}),
  };
}

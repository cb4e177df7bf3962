/**
 * Wire schemas of the Checkout Sessions API: the create body (Stripe's `line_items[][price_data]`
 * shape, or edgepay's single `amount`), the Checkout Session and line item objects, and the checks
 * that need the deployment's mode or the clock (redirect URLs, `expires_at`).
 */
import { z } from "@hono/zod-openapi";
import { type Currency, isCurrency } from "../domain/currencies";
import { amountMessage, checkAmount } from "../domain/money";
import { invalidParam } from "../errors";
import { expandBodyParam } from "../expand";
import { intParam, metadataParam } from "../lib/params";
import { currencyParam, customerParam } from "./payment-intent-schemas";

/** Most line items one session may hold (Stripe's limit in payment mode). */
export const MAX_LINE_ITEMS = 100;
/** Longest line item name. */
export const MAX_ITEM_NAME = 250;
/** Largest quantity of one line item. */
export const MAX_QUANTITY = 999;
/** Longest success or cancel URL. */
export const MAX_URL = 2048;
/** Earliest and latest `expires_at`, in seconds from creation (Stripe's 30 minutes to 24 hours); the default is the latest. */
export const EXPIRES_MIN_SECONDS = 30 * 60;
export const EXPIRES_MAX_SECONDS = 24 * 60 * 60;

const urlParam = z
  .string()
  .min(1)
  .max(MAX_URL)
  .refine((v) => URL.canParse(v) && /^https?:$/.test(new URL(v).protocol), "must be an http(s) URL");

const LineItemParam = z
  .strictObject({
    price_data: z
      .strictObject({
        currency: currencyParam
          .optional()
          .openapi({ description: "The price's currency; if given, it must be the session's `currency`." }),
        unit_amount: intParam()
          .pipe(z.int().min(0))
          .openapi({ description: "Price of one unit, in the currency's minor unit (0 or more).", example: 2000 }),
        product_data: z
          .strictObject({
            name: z
              .string()
              .min(1)
              .max(MAX_ITEM_NAME)
              .openapi({ description: "The product's name, 1 to 250 characters.", example: "T-shirt" }),
          })
          .openapi({ description: "The product sold." }),
      })
      .openapi({ description: "The item's price, given inline." }),
    quantity: intParam()
      .pipe(z.int().min(1).max(MAX_QUANTITY))
      .openapi({ description: "How many units, 1 to 999.", example: 1 }),
  })
  .openapi({ description: "One line item." });

function amountIssue(
  amount: number,
  currency: Currency,
  kind: "charge" | "part",
  path: (string | number)[],
  ctx: z.RefinementCtx,
) {
  const checked = checkAmount(amount, currency, kind);
  if (checked.ok) return;
  ctx.addIssue({ code: "custom", path, message: amountMessage(checked, currency), params: { code: checked.code } });
}

/** The body of `POST /v1/checkout/sessions`. */
export const SessionCreateBody = z
  .strictObject({
    mode: z.literal("payment").optional().openapi({ description: "Only `payment` (the default).", example: "payment" }),
    line_items: z.array(LineItemParam).min(1).max(MAX_LINE_ITEMS).optional().openapi({
      description:
        "What is bought, 1 to 100 items; give either this or `amount`. The total must reach the currency's minimum charge.",
    }),
    amount: intParam()
      .optional()
      .openapi({ description: "edgepay extension: one line item of this amount, instead of `line_items`." }),
    currency: currencyParam,
    success_url: urlParam.openapi({
      description:
        "Where the customer goes once paid: https (http to localhost in test mode), up to 2048 characters. `{CHECKOUT_SESSION_ID}` in it is replaced by the session's id; without it, `session_id` is added to the query.",
      example: "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
    }),
    cancel_url: urlParam
      .optional()
      .openapi({ description: "Where the customer goes to cancel: https (http to localhost in test mode)." }),
    customer: customerParam
      .optional()
      .openapi({ description: "The customer (`cus_…`) the session's PaymentIntent belongs to." }),
    customer_email: z.email().max(512).optional().openapi({
      description: "The customer's email, when there is no `customer`; cannot be used with `customer`.",
      example: "jenny@example.com",
    }),
    payment_intent_data: z
      .strictObject({
        capture_method: z
          .enum(["automatic", "manual"])
          .optional()
          .openapi({ description: "The PaymentIntent's `capture_method` (default `automatic`)." }),
        description: z.string().max(1000).optional().openapi({
          description: "The PaymentIntent's description, up to 1000 characters; also the item's name with `amount`.",
        }),
      })
      .optional()
      .openapi({ description: "Settings of the PaymentIntent the session creates." }),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the session." }).optional(),
    expires_at: intParam().optional().openapi({
      description: "When the session expires, in unix seconds: 30 minutes to 24 hours from now (default 24 hours).",
      example: 1733184000,
    }),
    expand: expandBodyParam,
  })
  .superRefine((body, ctx) => {
    if ((body.line_items === undefined) === (body.amount === undefined)) {
      ctx.addIssue({ code: "custom", path: ["line_items"], message: "give line_items or amount (exactly one)" });
      return;
    }
    if (body.customer !== undefined && body.customer_email !== undefined) {
      ctx.addIssue({ code: "custom", path: ["customer_email"], message: "cannot be used with customer" });
    }
    if (!isCurrency(body.currency)) return;
    const currency = body.currency;
    let total = body.amount ?? 0;
    for (const [i, item] of (body.line_items ?? []).entries()) {
      const price = item.price_data;
      if (price.currency !== undefined && price.currency !== currency) {
        ctx.addIssue({
          code: "custom",
          path: ["line_items", i, "price_data", "currency"],
          message: "must be the session's currency",
        });
      }
      if (price.unit_amount > 0)
        amountIssue(price.unit_amount, currency, "part", ["line_items", i, "price_data", "unit_amount"], ctx);
      total += price.unit_amount * item.quantity;
    }
    amountIssue(total, currency, "charge", [body.amount === undefined ? "line_items" : "amount"], ctx);
  })
  .openapi("CheckoutSessionCreate", {
    example: {
      line_items: [{ price_data: { unit_amount: 2000, product_data: { name: "T-shirt" } }, quantity: 1 }],
      currency: "usd",
      success_url: "https://example.com/success?session_id={CHECKOUT_SESSION_ID}",
    },
  });

/** A validated create body's line items, as stored (without their ids). */
export function lineItemsOf(body: z.infer<typeof SessionCreateBody>) {
  if (body.amount !== undefined) {
    return [{ name: body.payment_intent_data?.description ?? "Payment", unit_amount: body.amount, quantity: 1 }];
  }
  return (body.line_items ?? []).map((i) => ({
    name: i.price_data.product_data.name,
    unit_amount: i.price_data.unit_amount,
    quantity: i.quantity,
  }));
}

/**
 * Throws the 400 for a redirect URL the deployment does not accept: https, or in test mode also
 * http to localhost or 127.0.0.1 (a developer's machine).
 */
export function checkRedirectUrl(value: string, param: string, live: boolean): void {
  const url = new URL(value);
  if (url.protocol === "https:") return;
  if (!live && (url.hostname === "localhost" || url.hostname === "127.0.0.1")) return;
  throw invalidParam("url_invalid", `${param} must be an https URL (http only to localhost in test mode).`, param);
}

/** The session's `expires_at`: the given one if 30 minutes to 24 hours from `now` (else a 400), by default 24 hours. */
export function expiresAt(given: number | undefined, now: number): number {
  if (given === undefined) return now + EXPIRES_MAX_SECONDS;
  if (given < now + EXPIRES_MIN_SECONDS || given > now + EXPIRES_MAX_SECONDS) {
    throw invalidParam(
      "parameter_invalid",
      "expires_at must be between 30 minutes and 24 hours from now.",
      "expires_at",
    );
  }
  return given;
}

/** The Checkout Session object. */
export const CheckoutSessionSchema = z
  .object({
    id: z.string().openapi({
      description:
        "Unique identifier, `cs_test_` or `cs_live_` and 48 random characters; it is the hosted page's only key.",
      example: "cs_test_u8jzPde0IgxLd6GncfBAepfJBd0Kh8oOOL8dKLzdocJ2isAj",
    }),
    object: z
      .literal("checkout.session")
      .openapi({ description: "String representing the object's type: always `checkout.session`." }),
    amount_subtotal: z.int().openapi({ description: "Total of the line items, in minor units.", example: 2000 }),
    amount_total: z
      .int()
      .openapi({ description: "Total to pay, in minor units (no discounts or taxes: the subtotal).", example: 2000 }),
    cancel_url: z.string().nullable().openapi({ description: "Where the customer goes to cancel; null when not set." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    customer: z.string().nullable().openapi({ description: "The customer (`cus_…`); null when none was given." }),
    customer_email: z
      .string()
      .nullable()
      .openapi({ description: "The email given on create; null when none was given." }),
    expires_at: z.int().openapi({ description: "When the session expires, in unix seconds.", example: 1733184000 }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    mode: z.literal("payment").openapi({ description: "Always `payment`." }),
    payment_intent: z.string().openapi({
      description: "The PaymentIntent (`pi_…`) the session collects, created with the session.",
      example: "pi_3PbQx2Lk9dWm4TqR7vYc1Zs8",
    }),
    payment_method_types: z.array(z.string()).openapi({ description: 'Always `["card"]`.', example: ["card"] }),
    payment_status: z.enum(["unpaid", "paid"]).openapi({
      description: "`paid` once the payment succeeded, or was authorized for a manual capture.",
    }),
    status: z.enum(["open", "complete", "expired"]).openapi({
      description: "`open` until paid (`complete`) or `expired` (at `expires_at`, or by the expire call).",
      example: "open",
    }),
    success_url: z.string().openapi({ description: "Where the customer goes once paid, as given on create." }),
    ui_mode: z.literal("hosted").openapi({ description: "Always `hosted`: edgepay serves the payment page." }),
    url: z.string().nullable().openapi({ description: "The hosted page, while the session is open." }),
  })
  .openapi("CheckoutSession");

/** A Checkout Session as the API answers it (tests read answers with this type). */
export type CheckoutSession = z.infer<typeof CheckoutSessionSchema>;

/** A line item of a session. */
export const LineItemSchema = z
  .object({
    id: z.string().openapi({ description: "Unique identifier, prefixed `li_`." }),
    object: z.literal("item").openapi({ description: "String representing the object's type: always `item`." }),
    amount_discount: z.int().openapi({ description: "Always 0: edgepay has no discounts.", example: 0 }),
    amount_subtotal: z.int().openapi({ description: "Unit amount times quantity, in minor units.", example: 2000 }),
    amount_tax: z.int().openapi({ description: "Always 0: edgepay computes no tax.", example: 0 }),
    amount_total: z.int().openapi({ description: "Unit amount times quantity, in minor units.", example: 2000 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    description: z.string().openapi({ description: "The product's name.", example: "T-shirt" }),
    price: z
      .object({
        object: z.literal("price").openapi({ description: "Always `price`." }),
        currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
        unit_amount: z.int().openapi({ description: "Price of one unit, in minor units.", example: 2000 }),
        type: z.literal("one_time").openapi({ description: "Always `one_time`." }),
      })
      .openapi({ description: "The price the item was sold at." }),
    quantity: z.int().openapi({ description: "How many units.", example: 1 }),
  })
  .openapi("CheckoutLineItem");

/** The path parameter of one session. */
export const SessionIdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({
      param: { name: "id", in: "path" },
      description: "The Checkout Session's id (`cs_test_…` or `cs_live_…`).",
    }),
});

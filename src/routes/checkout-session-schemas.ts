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

const LineItemParam = z.strictObject({
  price_data: z.strictObject({
    currency: currencyParam.optional(),
    unit_amount: intParam().pipe(z.int().min(0)),
    product_data: z.strictObject({ name: z.string().min(1).max(MAX_ITEM_NAME) }),
  }),
  quantity: intParam().pipe(z.int().min(1).max(MAX_QUANTITY)),
});

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
    mode: z.literal("payment").optional(),
    line_items: z.array(LineItemParam).min(1).max(MAX_LINE_ITEMS).optional(),
    amount: intParam()
      .optional()
      .openapi({ description: "edgepay extension: one line item of this amount, instead of `line_items`." }),
    currency: currencyParam,
    success_url: urlParam,
    cancel_url: urlParam.optional(),
    customer: customerParam.optional(),
    customer_email: z.email().max(512).optional(),
    payment_intent_data: z
      .strictObject({
        capture_method: z.enum(["automatic", "manual"]).optional(),
        description: z.string().max(1000).optional(),
      })
      .optional(),
    metadata: metadataParam.optional(),
    expires_at: intParam().optional(),
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
  .openapi("CheckoutSessionCreate");

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
    id: z.string().openapi({ example: "cs_test_a1b2…" }),
    object: z.literal("checkout.session"),
    amount_subtotal: z.int(),
    amount_total: z.int(),
    cancel_url: z.string().nullable(),
    created: z.int(),
    currency: z.string(),
    customer: z.string().nullable(),
    customer_email: z.string().nullable(),
    expires_at: z.int(),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
    mode: z.literal("payment"),
    payment_intent: z.string(),
    payment_method_types: z.array(z.string()),
    payment_status: z.enum(["unpaid", "paid"]),
    status: z.enum(["open", "complete", "expired"]),
    success_url: z.string(),
    ui_mode: z.literal("hosted"),
    url: z.string().nullable().openapi({ description: "The hosted page, while the session is open." }),
  })
  .openapi("CheckoutSession");

/** A Checkout Session as the API answers it (tests read answers with this type). */
export type CheckoutSession = z.infer<typeof CheckoutSessionSchema>;

/** A line item of a session. */
export const LineItemSchema = z
  .object({
    id: z.string(),
    object: z.literal("item"),
    amount_discount: z.int(),
    amount_subtotal: z.int(),
    amount_tax: z.int(),
    amount_total: z.int(),
    currency: z.string(),
    description: z.string(),
    price: z.object({
      object: z.literal("price"),
      currency: z.string(),
      unit_amount: z.int(),
      type: z.literal("one_time"),
    }),
    quantity: z.int(),
  })
  .openapi("CheckoutLineItem");

/** The path parameter of one session. */
export const SessionIdParam = z.object({
  id: z
    .string()
    .max(100)
    .openapi({ param: { name: "id", in: "path" } }),
});

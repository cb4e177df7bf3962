/**
 * Wire schemas of the payment-method and token routes (the card and billing-details parameters,
 * the PaymentMethod object) and the checks that turn validated card parameters into what the
 * vault stores: one schema and one set of card rules for `POST /v1/payment_methods`,
 * `POST /v1/tokens` and `payment_method_data` on PaymentIntents, so they cannot drift apart.
 * Card numbers are validated here (Stripe's 402 card errors) and never echoed.
 */
import { z } from "@hono/zod-openapi";
import { validateCard } from "../domain/cards";
import { ApiError } from "../errors";
import { expandableId } from "../expand";
import { metadataParam } from "../lib/params";
import type { BillingDetails, NewCard } from "../vault";

const text = (max: number) => z.string().max(max);
const digitsOrNumber = z.union([z.string().max(8), z.int()]);

/** The `card[...]` parameters shared by payment methods and tokens; the card rules run after parsing. */
export const CardParams = z
  .strictObject({
    number: z.string().max(64),
    exp_month: digitsOrNumber,
    exp_year: digitsOrNumber,
    cvc: digitsOrNumber.optional(),
  })
  .openapi("CardParams");

const AddressParams = z.strictObject({
  city: text(200).optional(),
  country: text(2).optional(),
  line1: text(200).optional(),
  line2: text(200).optional(),
  postal_code: text(20).optional(),
  state: text(200).optional(),
});

/** The `billing_details[...]` parameters of a payment method. */
export const BillingDetailsParams = z
  .strictObject({
    address: AddressParams.optional(),
    email: z.email().max(800).optional(),
    name: text(200).optional(),
    phone: text(40).optional(),
  })
  .openapi("BillingDetailsParams");

/** The body of `POST /v1/payment_methods`, and the value of `payment_method_data` on PaymentIntents. */
export const PaymentMethodParams = z
  .strictObject({
    type: z.literal("card"),
    card: CardParams,
    billing_details: BillingDetailsParams.optional(),
    metadata: metadataParam.optional(),
  })
  .openapi("PaymentMethodData");

/** Billing details as a PaymentMethod shows them. */
const BillingDetailsSchema = z
  .object({
    address: z.object({
      city: z.string().nullable(),
      country: z.string().nullable(),
      line1: z.string().nullable(),
      line2: z.string().nullable(),
      postal_code: z.string().nullable(),
      state: z.string().nullable(),
    }),
    email: z.string().nullable(),
    name: z.string().nullable(),
    phone: z.string().nullable(),
  })
  .openapi("BillingDetails");

/** The PaymentMethod object as documented in the OpenAPI document. */
export const PaymentMethodSchema = z
  .object({
    id: z.string().openapi({ example: "pm_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z.literal("payment_method"),
    type: z.literal("card"),
    billing_details: BillingDetailsSchema,
    card: z.object({
      brand: z.string().openapi({ example: "visa" }),
      country: z
        .string()
        .nullable()
        .openapi({ description: "The issuer's country, when known (test cards: see README)" }),
      last4: z.string().openapi({ example: "4242" }),
      exp_month: z.int(),
      exp_year: z.int(),
      fingerprint: z.string().openapi({ description: "HMAC of the card number, scoped to your account" }),
      funding: z.string(),
    }),
    created: z.int(),
    customer: expandableId(z.string().nullable(), "customer", "The customer it is attached to (`cus_…`), or null."),
    livemode: z.boolean(),
    metadata: z.record(z.string(), z.string()),
  })
  .openapi("PaymentMethod");

/**
 * Runs the card rules; a failure becomes Stripe's 402 card error naming `card[field]` (under
 * `prefix`, e.g. `payment_method_data[card][number]`), without card data.
 */
export function checkedCard(card: z.infer<typeof CardParams>, prefix?: string): NewCard["card"] {
  const result = validateCard(card, new Date());
  if (result.ok) return result.value;
  const field = `card[${result.error.field}]`;
  const param = prefix === undefined ? field : `${prefix}[card][${result.error.field}]`;
  throw new ApiError(result.error.code, result.error.message, { param });
}

/** Billing details as stored: every field present, null when not given. Empty metadata values are dropped. */
export function storedDetails(
  billing: z.infer<typeof BillingDetailsParams> | undefined,
  metadata: Record<string, string> | undefined,
): Pick<NewCard, "billingDetails" | "metadata"> {
  const a = billing?.address;
  const billingDetails: BillingDetails = {
    address: {
      city: a?.city ?? null,
      country: a?.country ?? null,
      line1: a?.line1 ?? null,
      line2: a?.line2 ?? null,
      postal_code: a?.postal_code ?? null,
      state: a?.state ?? null,
    },
    email: billing?.email ?? null,
    name: billing?.name ?? null,
    phone: billing?.phone ?? null,
  };
  return { billingDetails, metadata: Object.fromEntries(Object.entries(metadata ?? {}).filter(([, v]) => v !== "")) };
}

/** A validated `payment_method_data` (or payment-method body) as the vault's input; card errors name `prefix`. */
export function newCardOf(params: z.infer<typeof PaymentMethodParams>, prefix?: string): NewCard {
  return { card: checkedCard(params.card, prefix), ...storedDetails(params.billing_details, params.metadata) };
}

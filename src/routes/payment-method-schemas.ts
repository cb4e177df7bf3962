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
    number: z.string().max(64).openapi({
      description:
        "The card number: 12 to 19 digits (spaces and dashes are ignored) passing the Luhn check. Never echoed back.",
      example: "4242424242424242",
    }),
    exp_month: digitsOrNumber.openapi({ description: "Expiry month, 1 to 12, as a number or a string.", example: 12 }),
    exp_year: digitsOrNumber.openapi({
      description: "Expiry year, four digits (or two, read as 20xx); the card must not have expired.",
      example: 2030,
    }),
    cvc: digitsOrNumber.optional().openapi({
      description: "The security code: 3 digits (4 for American Express); kept sealed only briefly, never returned.",
      example: "123",
    }),
  })
  .openapi("CardParams", {
    description: "A card's details. In test mode use public test numbers such as `4242424242424242`.",
    example: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" },
  });

const AddressParams = z
  .strictObject({
    city: text(200).optional().openapi({ description: "City, district, suburb, town or village (≤ 200 characters)." }),
    country: text(2).optional().openapi({ description: "Two-letter ISO country code.", example: "US" }),
    line1: text(200).optional().openapi({ description: "Address line 1: street, PO box or company name (≤ 200)." }),
    line2: text(200).optional().openapi({ description: "Address line 2: apartment, suite, unit or building (≤ 200)." }),
    postal_code: text(20)
      .optional()
      .openapi({ description: "ZIP or postal code (≤ 20 characters).", example: "94107" }),
    state: text(200).optional().openapi({ description: "State, county, province or region (≤ 200 characters)." }),
  })
  .openapi({ description: "Billing address; every part optional." });

/** The `billing_details[...]` parameters of a payment method. */
export const BillingDetailsParams = z
  .strictObject({
    address: AddressParams.optional(),
    email: z.email().max(800).optional().openapi({ description: "Email address.", example: "jenny@example.com" }),
    name: text(200).optional().openapi({ description: "Full name (≤ 200 characters).", example: "Jenny Rosen" }),
    phone: text(40).optional().openapi({ description: "Phone number (≤ 40 characters)." }),
  })
  .openapi("BillingDetailsParams", { description: "The cardholder's billing details; stored on the payment method." });

/** The body of `POST /v1/payment_methods`, and the value of `payment_method_data` on PaymentIntents. */
export const PaymentMethodParams = z
  .strictObject({
    type: z.literal("card").openapi({ description: "The payment method type: only `card`.", example: "card" }),
    card: CardParams.openapi({ description: "The card to tokenize." }),
    billing_details: BillingDetailsParams.openapi({ description: "The cardholder's billing details." }).optional(),
    metadata: metadataParam
      .openapi({ description: 'Key/value pairs to store on the payment method; keys set to `""` are left out.' })
      .optional(),
  })
  .openapi("PaymentMethodData", {
    description: "A card to tokenize into a payment method (`pm_…`).",
    example: {
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" },
      billing_details: { name: "Jenny Rosen" },
    },
  });

const nullableText = (description: string, example?: string) =>
  z
    .string()
    .nullable()
    .openapi({ description, ...(example === undefined ? {} : { example }) });

/** Billing details as a PaymentMethod shows them. */
const BillingDetailsSchema = z
  .object({
    address: z
      .object({
        city: nullableText("City, district, suburb, town or village; null when not given."),
        country: nullableText("Two-letter ISO country code; null when not given.", "US"),
        line1: nullableText("Address line 1; null when not given."),
        line2: nullableText("Address line 2; null when not given."),
        postal_code: nullableText("ZIP or postal code; null when not given.", "94107"),
        state: nullableText("State, county, province or region; null when not given."),
      })
      .openapi({ description: "Billing address; each part null when not given." }),
    email: nullableText("Email address; null when not given."),
    name: nullableText("Full name; null when not given.", "Jenny Rosen"),
    phone: nullableText("Phone number; null when not given."),
  })
  .openapi("BillingDetails", { description: "Billing details of a payment method; every field null when not given." });

/** The named components of the card parameters and the PaymentMethod, leaves first, for `registerComponents`. */
export const CARD_COMPONENTS = {
  Metadata: metadataParam,
  CardParams,
  BillingDetailsParams,
  PaymentMethodData: PaymentMethodParams,
  BillingDetails: BillingDetailsSchema,
};

/** The PaymentMethod object as documented in the OpenAPI document. */
export const PaymentMethodSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `pm_`.", example: "pm_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("payment_method")
      .openapi({ description: "String representing the object's type: always `payment_method`." }),
    type: z.literal("card").openapi({ description: "The payment method type: always `card`." }),
    billing_details: BillingDetailsSchema.openapi({ description: "The cardholder's billing details." }),
    card: z
      .object({
        brand: z
          .string()
          .openapi({ description: "Card brand: `visa`, `mastercard`, `amex`, `discover` …", example: "visa" }),
        country: z
          .string()
          .nullable()
          .openapi({ description: "The issuer's country, when known (test cards: see README)" }),
        last4: z.string().openapi({ description: "The last four digits of the card number.", example: "4242" }),
        exp_month: z.int().openapi({ description: "Expiry month, 1 to 12.", example: 12 }),
        exp_year: z.int().openapi({ description: "Four-digit expiry year.", example: 2030 }),
        fingerprint: z.string().openapi({ description: "HMAC of the card number, scoped to your account" }),
        funding: z.string().openapi({ description: "`credit`, `debit`, `prepaid` or `unknown`.", example: "credit" }),
      })
      .openapi({ description: "The card's details; the number itself is never returned." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    customer: expandableId(z.string().nullable(), "customer", "The customer it is attached to (`cus_…`), or null."),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
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

/**
 * Stripe's wire format as the Stripe connector (stripe.ts) speaks it: bracket-notation form
 * encoding, lenient schemas of the answers it reads (Stripe adds fields, so objects are not
 * strict), and the mapping of a card error onto the gateway's decline answer. Pure: no I/O.
 */
import { z } from "@hono/zod-openapi";
import { DECLINE_CODES, type DeclineCode } from "../domain/outcome";

/** A form body: values, or nested objects encoded with brackets (`card[number]=…`). */
export interface FormFields {
  [name: string]: string | number | boolean | null | undefined | FormFields;
}

/** Encodes `fields` as `application/x-www-form-urlencoded` with Stripe's bracket nesting; null and undefined are left out. */
export function formEncode(fields: FormFields): string {
  const out = new URLSearchParams();
  const walk = (prefix: string, value: FormFields[string]) => {
    if (value === null || value === undefined) return;
    if (typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(prefix === "" ? k : `${prefix}[${k}]`, v);
      return;
    }
    out.append(prefix, String(value));
  };
  walk("", fields);
  return out.toString();
}

/** The fields of a PaymentIntent the connector reads. */
export const StripePaymentIntent = z.object({
  id: z.string().regex(/^pi_[A-Za-z0-9_]{1,60}$/),
  status: z.string(),
  amount: z.int().nonnegative(),
  amount_capturable: z.int().nonnegative(),
  amount_received: z.int().nonnegative(),
  latest_charge: z
    .union([z.string(), z.object({ id: z.string() })])
    .nullable()
    .optional(),
  last_payment_error: z
    .object({ type: z.string().optional(), code: z.string().optional(), decline_code: z.string().optional() })
    .nullable()
    .optional(),
});

/** A PaymentIntent as the connector reads it. */
export type StripePaymentIntent = z.infer<typeof StripePaymentIntent>;

/** The fields of a Refund the connector reads. */
export const StripeRefund = z.object({
  id: z.string().regex(/^(re|pyr)_[A-Za-z0-9_]{1,60}$/),
  status: z.string().nullable(),
  amount: z.int().nonnegative(),
});

/** Stripe's error envelope, as far as the connector reads it. */
export const StripeError = z.object({
  error: z.object({
    type: z.string(),
    code: z.string().optional(),
    decline_code: z.string().optional(),
  }),
});

/** The inner error object of Stripe's envelope. */
export type StripeError = z.infer<typeof StripeError>["error"];

const DECLINE_CODE = /^[a-z_]{1,40}$/;

/** The decline answer for a `card_error`: known codes kept, others `card_declined`; an odd decline_code becomes `generic_decline`. */
export function declineOf(error: Pick<StripeError, "code" | "decline_code">): {
  status: "declined";
  code: DeclineCode;
  decline_code: string;
} {
  const code = (DECLINE_CODES as readonly string[]).includes(error.code ?? "")
    ? (error.code as DeclineCode)
    : "card_declined";
  const given = error.decline_code ?? error.code ?? "generic_decline";
  return { status: "declined", code, decline_code: DECLINE_CODE.test(given) ? given : "generic_decline" };
}

/** A Stripe error code fit for a log line (Stripe's codes are snake_case), or `other`. */
export function loggableCode(code: string | undefined): string {
  return code !== undefined && /^[a-z_]{1,60}$/.test(code) ? code : "other";
}

/** The id of a PaymentIntent's latest charge, expanded or not; null when it has none. */
export function latestChargeId(pi: StripePaymentIntent): string | null {
  const c = pi.latest_charge;
  if (c === null || c === undefined) return null;
  return typeof c === "string" ? c : c.id;
}

/**
 * The Checkout Session object as the API returns it and events carry it (Stripe's shape, for the
 * fields edgepay supports), its line items as a list, and the public view the page endpoints show.
 */
import type { LineItem, SessionRow } from "../db/checkout-sessions";
import { exponent, isCurrency } from "../domain/currencies";

/** The stored line items of a session. */
export function lineItemsOf(row: Pick<SessionRow, "lineItems">): LineItem[] {
  return JSON.parse(row.lineItems) as LineItem[];
}

/** A checkout_sessions row as Stripe's Checkout Session; `url` only while the session is open. */
export function sessionJson(row: SessionRow, livemode: boolean) {
  return {
    id: row.id,
    object: "checkout.session" as const,
    amount_subtotal: row.amountTotal,
    amount_total: row.amountTotal,
    cancel_url: row.cancelUrl,
    created: row.created,
    currency: row.currency,
    customer: row.customer,
    customer_email: row.customerEmail,
    expires_at: row.expiresAt,
    livemode,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    mode: "payment" as const,
    payment_intent: row.paymentIntent,
    payment_method_types: ["card"],
    payment_status: row.paymentStatus,
    status: row.status,
    success_url: row.successUrl,
    ui_mode: "hosted" as const,
    url: row.status === "open" ? row.url : null,
  };
}

/** One line item as Stripe's `item` object. */
export function lineItemJson(item: LineItem, currency: string) {
  const amount = item.unit_amount * item.quantity;
  return {
    id: item.id,
    object: "item" as const,
    amount_discount: 0,
    amount_subtotal: amount,
    amount_tax: 0,
    amount_total: amount,
    currency,
    description: item.name,
    price: { object: "price" as const, currency, unit_amount: item.unit_amount, type: "one_time" as const },
    quantity: item.quantity,
  };
}

/** The success URL with Stripe's `{CHECKOUT_SESSION_ID}` template filled, else `session_id` appended. */
export function successRedirect(row: Pick<SessionRow, "id" | "successUrl">): string {
  if (row.successUrl.includes("{CHECKOUT_SESSION_ID}"))
    return row.successUrl.replaceAll("{CHECKOUT_SESSION_ID}", row.id);
  const url = new URL(row.successUrl);
  url.searchParams.set("session_id", row.id);
  return url.toString();
}

/**
 * What the hosted page may show of a session (and nothing else): the merchant's name, the amounts
 * and item names (with the currency's exponent, to write them), where "back" goes, and where success goes once it is complete.
 */
export function publicView(row: SessionRow, merchantName: string) {
  return {
    id: row.id,
    object: "checkout.session" as const,
    status: row.status,
    merchant: { name: merchantName },
    amount_total: row.amountTotal,
    currency: row.currency,
    // Decimals of the minor unit as edgepay (and Stripe) write it, which ISO 4217 contradicts for a few (isk, mga, …).
    currency_exponent: isCurrency(row.currency) ? exponent(row.currency) : 2,
    line_items: lineItemsOf(row).map((i) => ({
      name: i.name,
      quantity: i.quantity,
      amount: i.unit_amount * i.quantity,
    })),
    success_url: row.status === "complete" ? successRedirect(row) : null,
    cancel_url: row.cancelUrl,
  };
}

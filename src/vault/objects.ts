/** The Stripe wire shapes of vault records: the PaymentMethod and the legacy card Token. */

import type { PaymentMethodRow, TokenRow } from "../db/vault";
import { BRAND_DISPLAY_NAMES, type CardBrand } from "../domain/cards";
import type { BillingDetails } from "./index";

/** The card fields anyone outside the vault may see: last4 and the merchant-scoped fingerprint, never more. */
export function cardSummary(row: PaymentMethodRow) {
  return {
    brand: row.brand,
    country: row.country ?? null,
    last4: row.last4,
    exp_month: row.expMonth,
    exp_year: row.expYear,
    fingerprint: row.fingerprint,
    funding: row.funding,
  };
}

/** A `payment_method` object as the API returns it; card data stops at last4 and the merchant fingerprint. */
export function paymentMethodObject(row: PaymentMethodRow, livemode: boolean) {
  return {
    id: row.id,
    object: "payment_method" as const,
    type: "card" as const,
    billing_details: JSON.parse(row.billingDetails) as BillingDetails,
    card: cardSummary(row),
    created: row.created,
    customer: row.customer ?? null,
    livemode,
    metadata: JSON.parse(row.metadata) as Record<string, string>,
  };
}

/** A `token` object (type `card`); the wrapped payment method's id is never shown, so only the token can charge it. */
export function tokenObject(token: TokenRow, pm: PaymentMethodRow, livemode: boolean) {
  return {
    id: token.id,
    object: "token" as const,
    type: "card" as const,
    card: {
      object: "card" as const,
      brand: BRAND_DISPLAY_NAMES[pm.brand as CardBrand] ?? "Unknown",
      country: pm.country ?? null,
      last4: pm.last4,
      exp_month: pm.expMonth,
      exp_year: pm.expYear,
      fingerprint: pm.fingerprint,
      funding: pm.funding,
    },
    client_ip: null,
    created: token.created,
    livemode,
    used: token.used,
  };
}

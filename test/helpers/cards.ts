/** Test cards and vault inputs for tests that call the vault directly (route tests use HTTP bodies). */
import { validateCard } from "../../src/domain/cards";
import type { NewCard } from "../../src/vault";

/** One published test card per brand, with a CVC of the right length. */
export const CARDS = {
  visa: { number: "4242424242424242", cvc: "123" },
  mastercard: { number: "5555555555554444", cvc: "456" },
  mastercard2: { number: "2223003122003222", cvc: "789" },
  amex: { number: "378282246310005", cvc: "9876" },
  discover: { number: "6011111111111117", cvc: "314" },
  jcb: { number: "3566002020360505", cvc: "271" },
  diners: { number: "3056930009020004", cvc: "828" },
  unionpay: { number: "6200000000000005", cvc: "192" },
} as const;

/** A validated vault input for a test card; `cvc: null` tokenizes without one. */
export function vaultCard(number: string, cvc: string | null = "123"): NewCard {
  const r = validateCard({ number, exp_month: 12, exp_year: 2040, cvc: cvc ?? undefined }, new Date());
  if (!r.ok) throw new Error(`test card rejected: ${r.error.code}`);
  return {
    card: r.value,
    billingDetails: {
      address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
      email: null,
      name: null,
      phone: null,
    },
    metadata: {},
  };
}

/** Form fields (as the stripe SDK sends them) for `POST /v1/payment_methods` with a card. */
export function pmForm(number: string, cvc?: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    type: "card",
    "card[number]": number,
    "card[exp_month]": "12",
    "card[exp_year]": "2040",
    ...(cvc === undefined ? {} : { "card[cvc]": cvc }),
    ...extra,
  };
}

/** The payment-method object as the API returns it, for tests. */
export interface PaymentMethodBody {
  id: string;
  object: "payment_method";
  type: "card";
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string; funding: string };
  billing_details: Record<string, unknown>;
  created: number;
  customer: string | null;
  livemode: boolean;
  metadata: Record<string, string>;
}

/** Adds a merchant's Authorization header to a request built with `form()` or `json()`. */
export function withAuth(init: RequestInit, merchant: { headers: { authorization: string } }): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), ...merchant.headers } };
}

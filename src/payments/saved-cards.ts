/**
 * Customers on PaymentIntents: an intent's `customer` must be the merchant's; a card saved to a
 * customer may be charged only by that customer's intents; `setup_future_usage` saves the card to
 * the customer in the batch that records a successful authorization; and `payment_method_data`
 * tokenizes a card inline, exactly as `POST /v1/payment_methods` does.
 */
import { noSuchCustomer } from "../customers";
import { getCustomer, saveCardStatements } from "../db/customers";
import type { IntentRow } from "../db/payment-intents";
import type { IntentChangeKind } from "../domain/intent-events";
import { invalidParam } from "../errors";
import { createPaymentMethod, type NewCard, type PaymentMethodRow } from "../vault";
import { testIdKey } from "../vault/test-ids";
import type { PaymentDeps } from "./deps";

/** Stripe's `setup_future_usage` values. */
export const SETUP_FUTURE_USAGES = ["on_session", "off_session"] as const;

/** One of `SETUP_FUTURE_USAGES`. */
export type SetupFutureUsage = (typeof SETUP_FUTURE_USAGES)[number];

/** Throws the 404 naming `customer` unless `customerId` (if given) is a customer of the merchant. */
export async function checkCustomer(deps: PaymentDeps, merchantId: string, customerId: string | null): Promise<void> {
  if (customerId === null) return;
  if (!(await getCustomer(deps.db, merchantId, customerId))) throw noSuchCustomer(customerId, "customer");
}

/**
 * Throws the 400 naming `payment_method` when `card` is saved to a customer other than the
 * intent's (`customer`; null: the intent has none), as Stripe refuses it.
 */
export function checkCardOwner(customer: string | null, card: Pick<PaymentMethodRow, "customer">): void {
  if (card.customer === null || card.customer === customer) return;
  throw invalidParam(
    "payment_method_unexpected_state",
    customer === null
      ? "The provided PaymentMethod is attached to a Customer. Provide that Customer as `customer` to use it."
      : "The provided PaymentMethod is attached to another Customer than this PaymentIntent's.",
    "payment_method",
  );
}

/**
 * What the batch that records an authorization's outcome (`kind`) on `row` also writes: when it
 * succeeded and the intent has `setup_future_usage` and a `customer`, the card is saved to that
 * customer with its `payment_method.attached` event (nothing when it already was, or when it is the
 * merchant's shared method behind a `pm_card_*` test id: that one is never saved). None otherwise.
 */
export function outcomeSavesCard(deps: PaymentDeps, row: IntentRow, kind: IntentChangeKind) {
  if (kind !== "authorized" || !row.customer || !row.setupFutureUsage || !row.paymentMethod) return [];
  return saveCardStatements(deps.db, row.merchantId, row.paymentMethod, row.customer, {
    now: deps.now(),
    origin: deps.origin,
    // The one method behind each `pm_card_*` is shared by all the merchant's test payments.
    sharedKeys: testIdKey("%"),
  });
}

/**
 * Tokenizes `card` (a validated `payment_method_data`) into a reusable payment method of the
 * merchant, as `POST /v1/payment_methods` does. Under `requestKey` (the request's path and
 * Idempotency-Key) a re-run finds the method its first run made; it is stored behind a prefix with
 * a newline, which no HTTP header can carry, so it never meets a key sent to `POST /v1/payment_methods`.
 */
export async function paymentMethodFromData(
  deps: PaymentDeps,
  merchantId: string,
  card: NewCard,
  requestKey: string | undefined,
): Promise<string> {
  const key = requestKey === undefined ? undefined : `payment_method_data\n${requestKey}`;
  return (await createPaymentMethod(deps, merchantId, card, key)).id;
}

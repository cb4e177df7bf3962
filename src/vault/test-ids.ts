/**
 * Stripe's test payment method ids in test mode: `pm_card_visa`, `tok_visa`, … (the closed table in
 * domain/test-payment-methods.ts) become real payment methods of the merchant, sealed by the vault
 * like any card. A `pm_card_*` is made once per merchant (a fixed idempotency key, so concurrent
 * first uses make one); a `tok_*` makes a fresh single-use token on every use, as a token is spent
 * by its charge. In live mode nothing is resolved: the id is looked up as given and answers the
 * same 404 as any unknown id.
 */
import { findByIdempotencyKey } from "../db/vault";
import { validateCard } from "../domain/cards";
import { testPaymentMethod } from "../domain/test-payment-methods";
import { createPaymentMethod, createToken, type NewCard, type VaultDeps } from "./index";

/** The idempotency key a test id's payment method is created under, per merchant. */
export function testIdKey(id: string): string {
  return `edgepay test payment method ${id}`;
}

function testCard(number: string): NewCard {
  const year = new Date().getUTCFullYear() + 5;
  const checked = validateCard({ number, exp_month: 12, exp_year: year }, new Date());
  if (!checked.ok) throw new Error(`test card table: ${checked.error.code}`);
  const none = { city: null, country: null, line1: null, line2: null, postal_code: null, state: null };
  return {
    card: checked.value,
    billingDetails: { address: none, email: null, name: null, phone: null },
    metadata: {},
  };
}

/**
 * The real pm_/tok_ id to charge for `id`: a Stripe test id resolved in test mode (created on first
 * use), otherwise `id` itself. `fresh`: a `pm_card_*` makes a new payment method of its own instead
 * of the merchant's shared one (for a payment that saves its card to a customer, as Stripe makes a
 * new method from a test id each time; saving the shared one would keep every other payment from it).
 */
export async function resolveTestId(
  vault: VaultDeps,
  merchantId: string,
  id: string,
  live: boolean,
  options: { fresh?: boolean } = {},
): Promise<string> {
  if (live) return id;
  const test = testPaymentMethod(id);
  if (!test) return id;
  if (test.singleUse) return (await createToken(vault, merchantId, testCard(test.number))).token.id;
  if (options.fresh) return (await createPaymentMethod(vault, merchantId, testCard(test.number))).id;
  const key = testIdKey(id);
  const found = await findByIdempotencyKey(vault.db, merchantId, false, key);
  if (found) return found.paymentMethod.id;
  return (await createPaymentMethod(vault, merchantId, testCard(test.number), key)).id;
}

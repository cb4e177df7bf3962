/**
 * Updating a PaymentIntent: amount, customer and setup_future_usage before confirmation,
 * description and metadata until it is canceled, decided by domain/payment-state.ts and written
 * through `act` (intents.ts), so concurrent updates each land once.
 */
import type { IntentChange } from "../db/payment-intents";
import { decideUpdate } from "../domain/payment-state";
import { getPaymentMethod } from "../vault";
import type { PaymentDeps } from "./deps";
import { act, loadIntent, refuse, stateOf } from "./intents";
import { checkCardOwner, checkCustomer, type SetupFutureUsage } from "./saved-cards";

/**
 * Fields an update may change; amount, customer and setup_future_usage only before confirmation
 * (the amount checked against the stored currency).
 */
export interface IntentUpdate {
  amount?: number;
  description?: string | null;
  /** The merged metadata, computed from the stored metadata by `merge`. */
  merge?: (stored: string) => string;
  customer?: string;
  setupFutureUsage?: SetupFutureUsage;
}

/**
 * Updates amount, description, metadata, customer or setup_future_usage; concurrent updates retry
 * until each lands once. A new customer must be the merchant's, and the intent's payment method,
 * if saved to a customer, that one's.
 */
export async function updateIntent(
  deps: PaymentDeps,
  merchantId: string,
  id: string,
  update: IntentUpdate,
  checkAmount: (amount: number, currency: string) => void,
) {
  const saved = update.customer === undefined ? undefined : await customerUpdate(deps, merchantId, id, update.customer);
  return act(deps, merchantId, id, (row) => {
    const early = update.amount !== undefined || update.customer !== undefined || update.setupFutureUsage !== undefined;
    const d = decideUpdate(stateOf(row), early);
    if (!d.ok) refuse(d, row.currency);
    const patch: IntentChange["patch"] = {};
    if (update.amount !== undefined) {
      checkAmount(update.amount, row.currency);
      patch.amount = update.amount;
    }
    if (update.customer !== undefined && saved?.id === row.paymentMethod) checkCardOwner(update.customer, saved);
    if (update.customer !== undefined) patch.customer = update.customer;
    if (update.setupFutureUsage !== undefined) patch.setupFutureUsage = update.setupFutureUsage;
    if (update.description !== undefined) patch.description = update.description;
    if (update.merge) patch.metadata = update.merge(row.metadata);
    return { kind: "change", change: { kind: "updated", amount: patch.amount, patch } };
  });
}

/**
 * What a change of the intent's customer is checked against: the customer must be the merchant's
 * (404 naming `customer`), read with the intent; returns the intent's payment method as it stands, if any.
 */
async function customerUpdate(deps: PaymentDeps, merchantId: string, id: string, customer: string) {
  const [row] = await Promise.all([loadIntent(deps, merchantId, id), checkCustomer(deps, merchantId, customer)]);
  return row.paymentMethod === null ? undefined : getPaymentMethod(deps, merchantId, row.paymentMethod);
}

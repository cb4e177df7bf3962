/**
 * PLACEHOLDER until the vault branch lands on main: the agreed interface of the card vault, so the
 * payment flow compiles against it. Every function refuses; merging the vault replaces this file.
 */
import { ApiError } from "../errors";

/** A card as the payment flow may see it: never the PAN or CVC. */
export interface ChargeablePaymentMethod {
  id: string;
  card: { brand: string; last4: string; exp_month: number; exp_year: number; fingerprint: string; funding: string };
}

/** Resolves a pm_ or tok_ id of the merchant to a chargeable payment method (tokens are single-use). */
export async function claimPaymentMethod(
  _env: Env,
  _merchantId: string,
  _id: string,
): Promise<ChargeablePaymentMethod> {
  throw new ApiError("resource_missing", "No such payment method.", { param: "payment_method" });
}

/** The processor connector's only way to read card data. */
export async function detokenize(
  _env: Env,
  _merchantId: string,
  _paymentMethodId: string,
): Promise<{ number: string; exp_month: number; exp_year: number; cvc: string | null }> {
  throw new ApiError("resource_missing", "No such payment method.", { param: "payment_method" });
}

/** Drops the CVC after the first authorization attempt. */
export async function forgetCvc(_env: Env, _merchantId: string, _paymentMethodId: string): Promise<void> {}

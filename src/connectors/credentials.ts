/**
 * Connector credentials: the Stripe secret key's shape and mode, and its sealing under the vault's
 * KEKs bound to the merchant and the connector account. The key is never returned, logged or
 * audited; only its last 4 characters are kept in clear.
 */
import { openSecret, sealSecret } from "../crypto/sealed-secret";

/** The record kind leading a sealed credential's binding, so it can never be opened as anything else. */
const PURPOSE = "connector_credentials";

/** The shape of a Stripe secret key; its prefix says its mode. */
export const STRIPE_SECRET_KEY = /^sk_(test|live)_[A-Za-z0-9]{8,}$/;

/** The mode a Stripe secret key belongs to, or null when it is not one. */
export function stripeKeyMode(key: string): "test" | "live" | null {
  const m = STRIPE_SECRET_KEY.exec(key);
  return m ? (m[1] as "test" | "live") : null;
}

/** Seals a connector account's secret key, bound to its merchant and account. */
export function sealCredentials(
  env: Pick<Env, "VAULT_KEKS">,
  merchantId: string,
  accountId: string,
  secretKey: string,
): Promise<string> {
  return sealSecret(env, [PURPOSE, merchantId, accountId], secretKey);
}

/** Opens a key sealed by `sealCredentials` for the same merchant and account; else VaultDecryptError. */
export function openCredentials(
  env: Pick<Env, "VAULT_KEKS">,
  merchantId: string,
  accountId: string,
  sealed: string,
): Promise<string> {
  return openSecret(env, [PURPOSE, merchantId, accountId], sealed);
}

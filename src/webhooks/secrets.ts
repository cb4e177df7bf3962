/**
 * Webhook signing secrets (`whsec_…`): generation, and sealing for storage under the vault's KEKs
 * (src/crypto/sealed-secret.ts). The secret must be recoverable to sign deliveries, so it is encrypted,
 * not hashed. One secret string serves both signature schemes: Stripe's (`Stripe-Signature`, HMAC
 * keyed by the whole `whsec_…` string as UTF-8) and Standard Webhooks' (`webhook-signature`, HMAC
 * keyed by the base64-decoded part after `whsec_`). Secrets never appear in a log line or error.
 */
import { fromBase64, toBase64 } from "../crypto/encoding";
import { openSecret, sealedVersion, sealSecret } from "../crypto/sealed-secret";

/** The prefix of every webhook signing secret. */
export const WEBHOOK_SECRET_PREFIX = "whsec_";

/** Random bytes in a secret (Standard Webhooks asks for 24 to 64). */
export const WEBHOOK_SECRET_BYTES = 32;

/** The record kind leading a sealed secret's binding, so it can never be opened as anything else. */
const PURPOSE = "webhook_secret";

/** A new signing secret: `whsec_` + standard (padded) base64 of 32 random bytes. Shown once. */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(WEBHOOK_SECRET_BYTES)));
}

/** The key bytes of a secret as Standard Webhooks derives them: base64-decode what follows `whsec_`. */
export function standardWebhooksKey(secret: string): Uint8Array<ArrayBuffer> {
  return fromBase64(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret);
}

/** Seals `secret` for `webhook_endpoints.secret_sealed`, bound to its merchant and endpoint. */
export function sealWebhookSecret(
  env: Pick<Env, "VAULT_KEKS">,
  merchantId: string,
  endpointId: string,
  secret: string,
): Promise<string> {
  return sealSecret(env, [PURPOSE, merchantId, endpointId], secret);
}

/**
 * Opens a secret sealed by `sealWebhookSecret` for the same merchant and endpoint. Anything else
 * (another endpoint's or merchant's secret, a retired KEK, tampering, a malformed value) throws
 * VaultDecryptError, whose message names no secret.
 */
export function openWebhookSecret(
  env: Pick<Env, "VAULT_KEKS">,
  merchantId: string,
  endpointId: string,
  sealed: string,
): Promise<string> {
  return openSecret(env, [PURPOSE, merchantId, endpointId], sealed);
}

/** The KEK version a sealed secret is under, or null when the value is malformed. */
export { sealedVersion };

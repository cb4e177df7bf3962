/**
 * Webhook signatures. Every delivery carries two schemes made from the same `whsec_…` secret(s):
 * - Stripe's `Stripe-Signature: t=<unix>,v1=<hex>`: HMAC-SHA256 over `<t>.<body>`, keyed by the
 *   whole secret string (prefix included) as UTF-8 bytes; what `stripe.webhooks.constructEventAsync` checks.
 * - Standard Webhooks (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`): HMAC-SHA256
 *   over `<id>.<timestamp>.<body>`, keyed by the base64-decoded part after `whsec_`; what the
 *   `standardwebhooks` libraries check.
 * During a secret roll both the current and the previous secret sign: one `v1=` entry each in
 * `Stripe-Signature`, one space-separated `v1,…` each in `webhook-signature`.
 */
import { toBase64, utf8 } from "../crypto/encoding";
import { hmacSha256, toHex } from "../crypto/hmac";
import { standardWebhooksKey, WEBHOOK_SECRET_PREFIX } from "./secrets";

/** What one delivery attempt signs: the message id, the attempt's time, the exact body, the active secrets. */
export interface SignInput {
  messageId: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  body: string;
  /** Every secret that signs now, current first (at least one). */
  secrets: readonly string[];
}

/** The Standard Webhooks message id of one event's deliveries to one endpoint: the same on every retry. */
export function messageId(eventId: string, endpointId: string): string {
  return `msg_${eventId}_${endpointId}`;
}

/**
 * The secrets that sign at `now` (unix seconds): the current one, and the previous one until its
 * `previous_secret_expires_at`.
 */
export function activeSecrets(
  current: string,
  previous: string | null,
  previousExpiresAt: number | null,
  now: number,
): string[] {
  return previous !== null && previousExpiresAt !== null && now < previousExpiresAt ? [current, previous] : [current];
}

/** The HMAC key of the Standard Webhooks scheme; a secret without `whsec_` is a bug, not a key. */
function standardKey(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith(WEBHOOK_SECRET_PREFIX)) throw new Error("webhook secret without the whsec_ prefix");
  return standardWebhooksKey(secret);
}

/** The `Stripe-Signature` header value: `t=<timestamp>,v1=<hex>[,v1=<hex>]`. */
export async function stripeSignature(timestamp: number, body: string, secrets: readonly string[]): Promise<string> {
  const signed = utf8(`${timestamp}.${body}`);
  const macs = await Promise.all(secrets.map((s) => hmacSha256(utf8(s), signed)));
  return [`t=${timestamp}`, ...macs.map((m) => `v1=${toHex(m)}`)].join(",");
}

/** The `webhook-signature` header value: `v1,<base64>[ v1,<base64>]`. */
export async function standardSignature(
  id: string,
  timestamp: number,
  body: string,
  secrets: readonly string[],
): Promise<string> {
  const signed = utf8(`${id}.${timestamp}.${body}`);
  const macs = await Promise.all(secrets.map((s) => hmacSha256(standardKey(s), signed)));
  return macs.map((m) => `v1,${toBase64(m)}`).join(" ");
}

/** Every signature header of one delivery attempt, both schemes. */
export async function signatureHeaders(input: SignInput): Promise<Record<string, string>> {
  if (input.secrets.length === 0) throw new Error("signatureHeaders: no secret to sign with");
  const { messageId: id, timestamp, body, secrets } = input;
  const [stripe, standard] = await Promise.all([
    stripeSignature(timestamp, body, secrets),
    standardSignature(id, timestamp, body, secrets),
  ]);
  return {
    "Stripe-Signature": stripe,
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": standard,
  };
}

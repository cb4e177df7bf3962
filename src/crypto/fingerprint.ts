/**
 * Card fingerprints (PCI DSS 3.5.1.1): keyed HMAC-SHA256 over the full PAN, never a plain hash.
 * Keys are derived from `FINGERPRINT_KEY` with HKDF-SHA256: one per merchant for the fingerprint
 * merchants see (so two merchants cannot correlate a card), and one internal key for the
 * cross-merchant fingerprint kept for fraud velocity, which no response ever carries.
 * The same derivation keys the idempotency request fingerprint: request bodies can carry a PAN
 * and CVC, so their digest stored in Durable Object storage must be keyed too.
 */
import { fromBase64Url, toBase64Url, utf8 } from "./encoding";

/** Both fingerprints of one PAN. */
export interface CardFingerprints {
  /** Merchant-scoped, 16 base64url characters (96 bits), safe to return to that merchant. */
  merchant: string;
  /** Shared across merchants, 43 base64url characters (256 bits); internal only. */
  internal: string;
}

const SALT = utf8("edgepay-fingerprint/v1");
const baseKeys = new Map<string, Promise<CryptoKey>>();

function baseKey(secret: string): Promise<CryptoKey> {
  let key = baseKeys.get(secret);
  if (!key) {
    const raw = fromBase64Url(secret);
    if (raw.length < 32) throw new Error("FINGERPRINT_KEY must be at least 32 bytes");
    key = crypto.subtle.importKey("raw", raw, "HKDF", false, ["deriveKey"]);
    baseKeys.set(secret, key);
  }
  return key;
}

async function hmacKey(secret: string, info: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: "HKDF", hash: "SHA-256", salt: SALT, info: utf8(info) },
    await baseKey(secret),
    { name: "HMAC", hash: "SHA-256", length: 256 },
    false,
    ["sign"],
  );
}

async function hmac(key: CryptoKey, pan: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(pan)));
}

/** Computes the merchant-scoped and the internal fingerprint of a PAN. */
export async function cardFingerprints(secret: string, merchantId: string, pan: string): Promise<CardFingerprints> {
  const [merchant, internal] = await Promise.all([
    hmac(await hmacKey(secret, `merchant\0${merchantId}`), pan),
    hmac(await hmacKey(secret, "internal"), pan),
  ]);
  return { merchant: toBase64Url(merchant.slice(0, 12)), internal: toBase64Url(internal) };
}

const purposeKeys = new Map<string, Promise<CryptoKey>>();

/** HMAC-SHA256 of `text` under a key derived from FINGERPRINT_KEY for `purpose` only, hex. */
async function purposeDigest(secret: string, purpose: string, text: string): Promise<string> {
  const id = `${purpose}\0${secret}`;
  let key = purposeKeys.get(id);
  if (!key) {
    key = hmacKey(secret, purpose);
    purposeKeys.set(id, key);
  }
  const mac = await hmac(await key, text);
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Keyed fingerprint of a canonical request (idempotency parameter matching), hex. A plain hash of
 * a body that holds a PAN would be an unkeyed hash of card data (PCI DSS 3.5.1.1).
 */
export function requestFingerprint(secret: string, canonicalText: string): Promise<string> {
  return purposeDigest(secret, "idempotency-request", canonicalText);
}

/**
 * Keyed digest of a velocity key (an IP address, an email, a customer), hex: names the risk
 * counter of that key without putting the address itself in any object name or storage.
 */
export function velocityDigest(secret: string, key: string): Promise<string> {
  return purposeDigest(secret, "risk-velocity", key);
}

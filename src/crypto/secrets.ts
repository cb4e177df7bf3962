/**
 * Client secrets and other bearer secrets: generation, keyed hashing and constant-time checks.
 *
 * Client secrets are 32 random bytes (API keys about 285 random bits), so a single keyed
 * HMAC-SHA256 under CLIENT_SECRET_PEPPER is enough to store them safely; a slow KDF (PBKDF2) would
 * add nothing against brute force of 256-bit secrets and would blow the Workers CPU budget. Without
 * the pepper a leaked table is useless.
 */
import { API_KEY_RANDOM_CHARS } from "../domain/api-keys";
import { randomBase62 } from "../lib/ids";
import { fromBase64Url, toBase64Url } from "./encoding";

/** Bytes of randomness in a client secret. */
export const CLIENT_SECRET_BYTES = 32;
/** Prefix that makes client secrets recognisable to secret scanners. */
export const CLIENT_SECRET_PREFIX = "eps_";
/** Prefix that makes named operator secrets recognisable to secret scanners. */
export const OPERATOR_SECRET_PREFIX = "eop_";

const encoder = new TextEncoder();
let pepperCache: { pepper: string; key: Promise<CryptoKey> } | undefined;

/** The bytes of unpadded base64url `text`, or undefined for anything else (padding included, as before). */
function decoded(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (text.includes("=")) return undefined;
  try {
    return fromBase64Url(text);
  } catch {
    return undefined;
  }
}

function pepperKey(pepper: string): Promise<CryptoKey> {
  if (pepperCache?.pepper !== pepper) {
    const raw = decoded(pepper);
    if (!raw || raw.length < 32) throw new Error("CLIENT_SECRET_PEPPER must be at least 32 bytes, base64url");
    const key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
    pepperCache = { pepper, key };
  }
  return pepperCache.key;
}

/**
 * A new bearer secret: `prefix` (client `eps_`, operator `eop_`) plus 32 random bytes in base64url
 * (43 characters). Shown once, never stored.
 */
export function generateSecret(prefix: typeof CLIENT_SECRET_PREFIX | typeof OPERATOR_SECRET_PREFIX): string {
  return prefix + toBase64Url(crypto.getRandomValues(new Uint8Array(CLIENT_SECRET_BYTES)));
}

/**
 * A new API key: `prefix` (`sk_test_`, `rk_live_`, …) plus API_KEY_RANDOM_CHARS random base62
 * characters (about 285 bits). Shown once; stored only as `hashClientSecret(pepper, key)`.
 */
export function generateApiKey(prefix: string): string {
  return prefix + randomBase62(API_KEY_RANDOM_CHARS);
}

/**
 * The stored verifier of a client or operator secret: base64url HMAC-SHA256 under the pepper. The
 * prefixes keep the two kinds apart. Operator secrets are looked up by this value (a unique index):
 * without the pepper nobody can choose inputs whose HMACs approach a stored one, so the index's
 * comparison timing reveals nothing about a secret.
 */
export async function hashClientSecret(pepper: string, secret: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await pepperKey(pepper), encoder.encode(secret));
  return toBase64Url(new Uint8Array(mac));
}

/** True when `secret` matches the stored verifier; the comparison takes the same time wherever they differ. */
export async function verifyClientSecret(pepper: string, secret: string, storedHash: string): Promise<boolean> {
  const expected = decoded(storedHash);
  const actual = decoded(await hashClientSecret(pepper, secret));
  if (!expected || !actual || expected.length !== actual.length) return false;
  return crypto.subtle.timingSafeEqual(expected, actual);
}

/**
 * Constant-time equality of two strings of any length (e.g. a presented OPERATOR_TOKEN): both are
 * hashed to 32 bytes first, so neither the content nor the length leaks through timing.
 */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

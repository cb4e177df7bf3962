/**
 * Verified access tokens, remembered per isolate until they expire, so a merchant's calls with one
 * token pay for the ES256 signature check and the JWT parsing once per isolate instead of on every
 * request.
 *
 * Safety: an entry is found only by the exact token string (a tampered token, even one character
 * off, is another key and gets the full check), only under the same signing keys, issuer and
 * audience it was verified with (a rotated key set or a changed issuer re-checks everything), and
 * never at or past its `exp` (stricter than a full check, which tolerates CLOCK_TOLERANCE_SECONDS).
 * Revocation and suspension are not the token's business: merchantAuth checks the caller's status
 * (db/access-status.ts, at most STATUS_CACHE_TTL_MS stale) after every hit as after every check.
 *
 * Bound: VERIFIED_TOKENS_MAX_ENTRIES tokens (about 1 KB each with their claims), the oldest dropped first.
 */
import { TtlCache } from "../lib/ttl-cache";
import {
  type AccessClaims,
  type KeySet,
  MAX_ACCESS_TOKEN_TTL,
  type TokenConfig,
  type VerifyResult,
  verifyAccessToken,
} from "./jwt";

/** Most verified tokens one isolate remembers. */
export const VERIFIED_TOKENS_MAX_ENTRIES = 2000;

interface Verified {
  claims: AccessClaims;
  keys: KeySet;
  issuer: string;
  audience: string;
}

const cache = new TtlCache<string, Verified>({
  maxEntries: VERIFIED_TOKENS_MAX_ENTRIES,
  ttlMs: MAX_ACCESS_TOKEN_TTL * 1000,
});

/** verifyAccessToken, answered from the per-isolate cache when this exact token was verified before and has not expired. */
export async function verifyAccessTokenCached(
  config: TokenConfig,
  token: string,
  now = Math.floor(Date.now() / 1000),
): Promise<VerifyResult> {
  const hit = cache.get(token);
  if (
    hit &&
    hit.claims.expiresAt > now &&
    hit.keys === config.keys &&
    hit.issuer === config.issuer &&
    hit.audience === config.audience
  ) {
    return { ok: true, claims: hit.claims };
  }
  const result = await verifyAccessToken(config, token, now);
  const ttlMs = result.ok ? (result.claims.expiresAt - now) * 1000 : 0;
  if (result.ok && ttlMs > 0) {
    const { keys, issuer, audience } = config;
    cache.set(token, { claims: Object.freeze(result.claims), keys, issuer, audience }, ttlMs);
  }
  return result;
}

/**
 * Is this API client, and its merchant, still allowed to call? Answered from a per-isolate cache so
 * the merchant hot path costs no D1 query in the common case.
 *
 * Bound and staleness: at most STATUS_CACHE_MAX_ENTRIES clients are remembered per isolate (oldest
 * insertion evicted first), each for STATUS_CACHE_TTL_MS. A miss costs one indexed D1 read (client
 * joined with merchant), so each isolate reads at most once per active client per TTL. The operator
 * API calls `forgetClient`/`forgetMerchant` after a suspension or revocation, so the change is
 * immediate in the isolate that handled it; other isolates see it within the TTL (5 s). Tokens
 * themselves live at most ACCESS_TOKEN_TTL, so the TTL only bounds how long a suspension lags.
 */
import { TtlCache } from "../lib/ttl-cache";
import type { Db } from "./client";
import { findClientPrincipal } from "./merchants";

/** Most clients whose status one isolate remembers. */
export const STATUS_CACHE_MAX_ENTRIES = 1000;
/** How long one isolate trusts a remembered status, in milliseconds. */
export const STATUS_CACHE_TTL_MS = 5_000;

interface CachedStatus {
  merchantId: string;
  active: boolean;
  /** The merchant's requests/s for the gate, cached with the status so the hot path reads nothing. */
  rateLimit: number | null;
}

/** What a caller that may call is allowed: its merchant's rate limit (null = deployment default). */
export interface CallerStatus {
  rateLimit: number | null;
}

const cache = new TtlCache<string, CachedStatus>({ maxEntries: STATUS_CACHE_MAX_ENTRIES, ttlMs: STATUS_CACHE_TTL_MS });

/** The caller's status when the client exists, is active, belongs to `merchantId` and that merchant is active; else undefined. */
export async function callerStatus(db: Db, clientId: string, merchantId: string): Promise<CallerStatus | undefined> {
  let status = cache.get(clientId);
  if (!status) {
    const row = await findClientPrincipal(db, clientId);
    status = row
      ? {
          merchantId: row.merchantId,
          active: row.clientStatus === "active" && row.merchantStatus === "active",
          rateLimit: row.merchantRateLimit,
        }
      : { merchantId: "", active: false, rateLimit: null };
    cache.set(clientId, status);
  }
  return status.active && status.merchantId === merchantId ? { rateLimit: status.rateLimit } : undefined;
}

/** Drops a client's remembered status, after it is revoked. */
export function forgetClient(clientId: string): void {
  cache.delete(clientId);
}

/** Drops the remembered status of every client of a merchant, after it is suspended or reactivated or its rate limit changes. */
export function forgetMerchant(merchantId: string): void {
  cache.deleteWhere((s) => s.merchantId === merchantId);
}

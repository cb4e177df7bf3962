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
 *
 * The same entry carries the merchant's shard (its directory entry, db/shards.ts), so routing a
 * request to the merchant's database costs nothing more. A merchant move (moves/move-merchant.ts)
 * keeps the merchant frozen for longer than the TTL after it switches the directory, so no isolate
 * writes to the old shard after the switch.
 *
 * API keys (`keyStatus`) share the cache, under `key:<hash of the key>`: the entry adds the key's
 * id, kind, scopes and expiry to the merchant's status and shard, so a request with a key the
 * isolate has seen within the TTL reads nothing either, `forgetMerchant` reaches keys and clients
 * alike, and the expiry is checked against the clock on every request (not only on a miss). An
 * unknown key is not remembered, so random keys cannot evict real entries; each costs one read.
 */
import { type ApiKeyKind, keyScopes } from "../domain/api-keys";
import { isScope } from "../domain/scopes";
import { TtlCache } from "../lib/ttl-cache";
import { findKeyPrincipal } from "./api-keys";
import { controlDb, type Db } from "./client";
import { findClientPrincipal } from "./merchants";
import { shardDb } from "./shards";

/** Most clients whose status one isolate remembers. */
export const STATUS_CACHE_MAX_ENTRIES = 1000;
/** How long one isolate trusts a remembered status, in milliseconds. */
export const STATUS_CACHE_TTL_MS = 5_000;

interface CachedStatus {
  merchantId: string;
  active: boolean;
  /** The merchant's requests/s for the gate, cached with the status so the hot path reads nothing. */
  rateLimit: number | null;
  /** The merchant's shard index, from the directory. */
  shard: number;
  /** When the directory read began (ms): the entry expires STATUS_CACHE_TTL_MS after it, not after the answer. */
  readAt: number;
  /** Present on an API key's entry: the key itself. */
  key?: { id: string; kind: ApiKeyKind; scopes: readonly string[]; expiresAt: number | null };
}

/** What a caller that may call is allowed, and where its merchant's objects live. */
export interface CallerStatus {
  /** The merchant's requests/s (null = deployment default). */
  rateLimit: number | null;
  /** The database holding the merchant's objects (its shard). */
  db: Db;
  /** When the directory entry it comes from was read (ms, when the read began). */
  readAt: number;
}

const cache = new TtlCache<string, CachedStatus>({ maxEntries: STATUS_CACHE_MAX_ENTRIES, ttlMs: STATUS_CACHE_TTL_MS });

/** The caller's status when the client exists, is active, belongs to `merchantId` and that merchant is active; else undefined. */
export async function callerStatus(env: Env, clientId: string, merchantId: string): Promise<CallerStatus | undefined> {
  let status = cache.get(clientId);
  if (!status) {
    const readAt = Date.now();
    const row = await findClientPrincipal(controlDb(env), clientId);
    status = row
      ? {
          merchantId: row.merchantId,
          active: row.clientStatus === "active" && row.merchantStatus === "active",
          rateLimit: row.merchantRateLimit,
          shard: row.merchantShard,
          readAt,
        }
      : { merchantId: "", active: false, rateLimit: null, shard: -1, readAt };
    // Counted from when the read began: a slow answer does not live longer than one read later.
    cache.set(clientId, status, Math.max(0, STATUS_CACHE_TTL_MS - (Date.now() - readAt)));
  }
  if (!status.active || status.merchantId !== merchantId) return undefined;
  return { rateLimit: status.rateLimit, db: shardDb(env, status.shard), readAt: status.readAt };
}

/** What an API key that may call is: its id, kind and scopes, its merchant, and where that merchant's objects live. */
export interface KeyCaller extends CallerStatus {
  keyId: string;
  merchantId: string;
  kind: ApiKeyKind;
  scopes: readonly string[];
}

/**
 * The key's caller when the key (found by `keyHash`, its HMAC) exists, is active and unexpired at
 * `now` (unix seconds), and its merchant is active; else undefined.
 */
export async function keyStatus(env: Env, keyHash: string, now: number): Promise<KeyCaller | undefined> {
  const entry = `key:${keyHash}`;
  let status = cache.get(entry);
  if (!status) {
    const readAt = Date.now();
    const row = await findKeyPrincipal(controlDb(env), keyHash);
    if (!row) return undefined;
    status = {
      merchantId: row.merchantId,
      active: row.keyStatus === "active" && row.merchantStatus === "active",
      rateLimit: row.merchantRateLimit,
      shard: row.merchantShard,
      readAt,
      key: {
        id: row.id,
        kind: row.kind,
        scopes: keyScopes(row.kind, row.scopes.split(" ").filter(isScope)),
        expiresAt: row.expiresAt,
      },
    };
    cache.set(entry, status, Math.max(0, STATUS_CACHE_TTL_MS - (Date.now() - readAt)));
  }
  const key = status.key;
  if (!status.active || !key || (key.expiresAt !== null && key.expiresAt <= now)) return undefined;
  return {
    keyId: key.id,
    merchantId: status.merchantId,
    kind: key.kind,
    scopes: key.scopes,
    rateLimit: status.rateLimit,
    db: shardDb(env, status.shard),
    readAt: status.readAt,
  };
}

/** Drops a key's remembered status (by the key's hash), after it is revoked or rolled. */
export function forgetKey(keyHash: string): void {
  cache.delete(`key:${keyHash}`);
}

/** Drops a client's remembered status, after it is revoked. */
export function forgetClient(clientId: string): void {
  cache.delete(clientId);
}

/** Drops the remembered status of every client and key of a merchant, after it is suspended or reactivated or its rate limit changes. */
export function forgetMerchant(merchantId: string): void {
  cache.deleteWhere((s) => s.merchantId === merchantId);
}

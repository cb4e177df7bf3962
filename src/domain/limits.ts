/**
 * Which rate-limit policies apply to a request, and how a merchant's MerchantGate work is spread
 * over objects. Pure: the gate middleware and the Durable Object both use it.
 *
 * Two kinds of shard. Rate-limit buckets live on `bucketShardCount(q)` bucket shards, sized by the
 * merchant's quota. Idempotency keys live on one of KEY_SHARDS key shards, chosen by the key alone,
 * so changing the quota never moves a saved response.
 *
 * Throughput arithmetic (also in the README): one Durable Object serves roughly 500–1,000 simple
 * requests/s, fewer when each request writes storage. Buckets are kept in memory, so a bucket shard
 * writes nothing; sizing it for PER_SHARD_QUOTA = 100 admitted requests/s keeps it far below the
 * ceiling. A keyed request costs its key shard two commits (begin, then the saved response); with
 * KEY_SHARDS = 128 even the operator maximum (10,000 req/s, all keyed) is ≤ 79 keyed requests/s per
 * key shard: ≤ 157 commits/s, and ≤ 6.8 GB of ~1 KB responses kept 24 h, under the 10 GB an object
 * may store. A merchant allowed `q` requests/s gets ceil(q / 100) bucket shards: the defaults
 * (25 test, 100 live) are one shard and fully exact; 1,000 req/s is 10 shards, each holding a tenth
 * of every bucket.
 */
import type { Policy } from "./token-bucket";

/** The highest requests/s an operator may give a merchant; the gate's shards are sized for it. */
export const MAX_RATE_LIMIT = 10_000;

/** Admitted requests/s one MerchantGate shard is sized for. */
export const PER_SHARD_QUOTA = 100;

/** Seconds of the stricter `card` window (tokenization and confirming with a new card). */
export const CARD_WINDOW_SEC = 10;

/**
 * Failed client authentications allowed per (client id, source IP) pair per minute on the token
 * endpoint; over it that source is refused even the right secret. `name` is the prefix of the
 * per-source bucket's name (see clientSourcePolicy).
 */
export const CLIENT_SOURCE_AUTH_FAILURES: Policy = { name: "client_pair", quota: 10, windowSec: 60 };

/** Failed client authentications per client id per minute from all sources; over it only wrong secrets get 429. */
export const CLIENT_AUTH_FAILURES: Policy = { name: "client_auth", quota: 100, windowSec: 60 };

/** Failed client authentications per source IP per minute across all client ids; over it the source gets 429. */
export const SOURCE_AUTH_FAILURES: Policy = { name: "source_auth", quota: 100, windowSec: 60 };

/** Failed operator authentications per source IP per minute on `/admin/v1`; over it the source gets 429 for everything. */
export const OPERATOR_SOURCE_AUTH_FAILURES: Policy = { name: "operator_source_auth", quota: 30, windowSec: 60 };

/** Failed checkout payments one session takes before it is locked (`locked_at`): card-testing defence. */
export const CHECKOUT_SESSION_FAILURES = 5;

/** Failed checkout payments per source IP per hour across every session; over it the source gets 429 on pay. */
export const CHECKOUT_SOURCE_FAILURES: Policy = { name: "checkout_source_failures", quota: 20, windowSec: 3600 };

/** Failed checkout payments per card (its fingerprint) per hour; over it that card gets 429 on pay. */
export const CHECKOUT_CARD_FAILURES: Policy = { name: "checkout_card_failures", quota: 5, windowSec: 3600 };

/** Requests per second an operator (or the root token) may make unless its own `rate_limit` says otherwise. */
export const OPERATOR_RATE_LIMIT_DEFAULT = 100;

/** The request budget of one operator: its own requests/s, else the default, over a 1 s window. */
export function operatorPolicy(rateLimit: number | null): Policy {
  return { name: "operator", quota: rateLimit ?? OPERATOR_RATE_LIMIT_DEFAULT, windowSec: 1 };
}

/** The (client id, source) pair's policy, its bucket named after the source. */
export function clientSourcePolicy(source: string): Policy {
  return { ...CLIENT_SOURCE_AUTH_FAILURES, name: `${CLIENT_SOURCE_AUTH_FAILURES.name}:${source}` };
}

/**
 * The throttling key of a request's source, from `CF-Connecting-IP`: an IPv4 address as is, an
 * IPv6 address cut to its /64 (one subscriber's block, which it can rotate through freely), and
 * "unknown" for a missing or malformed header (requests that did not come through Cloudflare).
 */
export function sourceKey(header: string | null | undefined): string {
  const ip = header?.trim() ?? "";
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(ip)) return ip;
  if (ip.length > 45 || !/^[0-9A-Fa-f:]+$/.test(ip) || !ip.includes(":")) return "unknown";
  const halves = ip.split("::");
  if (halves.length > 2) return "unknown";
  const groups = (part: string | undefined) => (part ? part.split(":") : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return "unknown";
  const all = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (all.some((g) => g.length < 1 || g.length > 4)) return "unknown";
  return `${all
    .slice(0, 4)
    .map((g) => Number.parseInt(g, 16).toString(16))
    .join(":")}::/64`;
}

/** The merchant's requests/s: its operator-set limit, else the deployment default. */
export function merchantQuota(override: number | null | undefined, deploymentDefault: string): number {
  if (override !== null && override !== undefined && Number.isSafeInteger(override) && override >= 1) return override;
  const fallback = Number(deploymentDefault);
  if (!Number.isSafeInteger(fallback) || fallback < 1) throw new Error("RATE_LIMIT_DEFAULT must be a positive integer");
  return fallback;
}

/**
 * How many key shards every merchant has, whatever its quota. Changing it moves keys (their saved
 * responses stop replaying; payments and refunds stay exactly-once through their D1 unique index),
 * so it is a constant, sized for the operator maximum rate limit (see the module comment).
 */
export const KEY_SHARDS = 128;

/** How many bucket shards (rate-limit buckets) a merchant with this quota uses. */
export function bucketShardCount(quota: number): number {
  return Math.max(1, Math.ceil(quota / PER_SHARD_QUOTA));
}

/** The key shard, in [0, KEY_SHARDS), that owns an idempotency key; it depends on the key only. */
export function keyShardOf(key: string): number {
  return hashToShard(key, KEY_SHARDS);
}

/** A stable shard in [0, shards) for a string (FNV-1a over its UTF-16 code units, modulo `shards`). */
export function hashToShard(key: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** Shard `shard`'s part of `total`: the parts of all shards add up to exactly `total`. */
export function shareOf(total: number, shards: number, shard: number): number {
  return Math.floor(total / shards) + (shard < total % shards ? 1 : 0);
}

/**
 * True for the requests card testers abuse: tokenizing a card, and confirming a payment (or
 * creating one with `confirm=true`) with a new card: a single-use `tok_` token, or raw card details
 * (`payment_method_data`, `card`) should a route accept them. Saved `pm_` methods are not new.
 */
export function isCardTesting(method: string, path: string, body: Record<string, unknown>): boolean {
  if (method !== "POST") return false;
  if (path === "/v1/payment_methods" || path === "/v1/tokens") return true;
  const confirming =
    /^\/v1\/payment_intents\/[^/]+\/confirm$/.test(path) ||
    (path === "/v1/payment_intents" && String(body.confirm) === "true");
  const newCard =
    (typeof body.payment_method === "string" && body.payment_method.startsWith("tok_")) ||
    body.payment_method_data !== undefined ||
    body.card !== undefined;
  return confirming && newCard;
}

/**
 * The merchant-wide policies a request is charged against: `default` always, plus `card` for card
 * testing targets. `card` allows the merchant's per-second quota once per 10 s window.
 */
export function policiesFor(quota: number, cardTesting: boolean): Policy[] {
  const policies: Policy[] = [{ name: "default", quota, windowSec: 1 }];
  if (cardTesting) policies.push({ name: "card", quota, windowSec: CARD_WINDOW_SEC });
  return policies;
}

/** The same policies with each quota cut to one shard's share (never below 1 request). */
export function shardPolicies(policies: Policy[], shards: number, shard: number): Policy[] {
  return policies.map((p) => ({ ...p, quota: Math.max(1, shareOf(p.quota, shards, shard)) }));
}

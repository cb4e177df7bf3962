/**
 * MerchantGate: the per-merchant Durable Object that admits requests (rate limiting and
 * idempotency) and completes them. It exposes typed RPC methods only, never a fetch router.
 *
 * Addressing (see gateName): `m:<merchant_id>:<shard>` for merchant traffic, `client:<client_id>`
 * for failed-authentication throttling on the token endpoint, `health` for the liveness probe.
 *
 * Cost: a request makes one RPC to be admitted (`admit`: buckets and idempotency begin together)
 * and at most one to finish (`complete`: saved response and/or a refunded token); a request without
 * an Idempotency-Key that needs no refund makes no second call.
 *
 * Throughput: one object serves roughly 500–1,000 simple requests/s, fewer with storage writes.
 * Buckets live in memory, so a keyless admit writes nothing and is one of those simple requests; a
 * keyed request commits twice (its key row at admit, its response at complete). A shard is sized
 * for PER_SHARD_QUOTA = 100 admitted requests/s: ≤ 200 commits/s (3–5× headroom), and ≤ 8.6 GB of
 * saved responses a day at ~1 KB each, under the 10 GB an object may store (domain/limits.ts).
 * A merchant with quota q uses ceil(q / 100) shards: its keys are spread by hash(key) mod N,
 * keyless requests by a random shard, and every bucket is split so the shards add up to exactly q.
 *
 * Bucket state is deliberately not stored: writing it would put a durable commit (and the output
 * gate's wait for it, ~10 ms locally) on every request. It is lost when the object is evicted,
 * which happens only after a minute or more of idleness, when 1 s and 10 s buckets are full again
 * anyway, or on a deploy or crash, which at worst grants one extra window's quota (for
 * `client_auth`, 10 more attempts).
 *
 * Storage layout (SQLite, survives eviction and restarts):
 *
 *   idempotency_keys                     one row per (method, path, Idempotency-Key) of this shard
 *     scope        TEXT PRIMARY KEY      JSON ["<METHOD>", "<path>", "<key>"] (the object is the merchant scope)
 *     fingerprint  TEXT NOT NULL         SHA-256 of the canonical method, path, caller scopes and body
 *     state        TEXT NOT NULL         'running' (an attempt holds the lease) or 'done' (response saved)
 *     lease_id     TEXT                  the attempt that may complete the row; null once done
 *     lease_until  INTEGER NOT NULL      ms; after it another attempt may take the key over
 *     status       INTEGER               saved HTTP status (done rows)
 *     headers      TEXT                  saved headers, JSON [[name, value], ...] (done rows)
 *     body         BLOB                  saved body bytes, replayed unchanged (done rows)
 *     request_id   TEXT                  Request-Id of the attempt whose response was saved
 *     created      INTEGER NOT NULL      ms of the first attempt
 *     expires      INTEGER NOT NULL      created + 24 h; the alarm deletes rows past it
 *   index idempotency_keys_expires (expires)
 *
 * In memory only: one token bucket per policy name (default, card, client_auth), see above.
 *
 * The single alarm is set to the earliest `expires` and re-armed after each pruning pass.
 */
import { DurableObject } from "cloudflare:workers";
import { decide, LEASE_MS, RETENTION_MS } from "../domain/idempotency";
import { CLIENT_AUTH_FAILURES } from "../domain/limits";
import {
  assertPolicy,
  type BucketState,
  type BucketView,
  giveBack,
  type Policy,
  takeAll,
} from "../domain/token-bucket";

/** A response as saved for replay. */
export interface SavedResponse {
  status: number;
  headers: string[][];
  body: ArrayBuffer;
}

/** What `admit` is asked: the shard's policies, and the key when the request carries one. */
export interface AdmitRequest {
  policies: Policy[];
  key?: { scope: string; fingerprint: string };
}

/** What `admit` decided, with the buckets' state for the RateLimit headers. */
export type AdmitResult =
  | { outcome: "proceed"; leaseId: string | null; limits: BucketView[] }
  | { outcome: "replay"; response: SavedResponse; requestId: string; limits: BucketView[] }
  | { outcome: "mismatch" | "in_use"; limits: BucketView[] }
  | { outcome: "limited"; retryAfterSec: number; limitedBy: string; limits: BucketView[] };

/** What `complete` is told: the key's fate (a response to save, or null to release it) and tokens to refund. */
export interface CompleteRequest {
  key?: { scope: string; leaseId: string; requestId: string; response: SavedResponse | null };
  refund?: Policy[];
}

/** Outcome of a throttle check or a recorded failure on the token endpoint. */
export interface ThrottleResult {
  allowed: boolean;
  retryAfterSec: number;
}

interface KeyRow extends Record<string, SqlStorageValue> {
  fingerprint: string;
  state: "running" | "done";
  lease_until: number;
  expires: number;
  status: number | null;
  headers: string | null;
  body: ArrayBuffer | null;
  request_id: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, state TEXT NOT NULL, lease_id TEXT,
  lease_until INTEGER NOT NULL, status INTEGER, headers TEXT, body BLOB, request_id TEXT,
  created INTEGER NOT NULL, expires INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS idempotency_keys_expires ON idempotency_keys (expires);
`;

/** Per-merchant admission control, addressed by merchant id and shard (see gateName). */
export class MerchantGate extends DurableObject<Env> {
  /** The object's clock in ms. Tests freeze it through runInDurableObject; it is not reachable over RPC. */
  clock: () => number = () => Date.now();
  #alarmAt: number | null = null;
  readonly #buckets = new Map<string, BucketState>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
    });
  }

  /** Liveness probe used by `GET /health`. */
  async ping(): Promise<"pong"> {
    return "pong";
  }

  /** Charges the rate limits and, for a keyed request, begins, replays or refuses its key; one atomic step. */
  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const now = this.clock();
    for (const policy of request.policies) assertPolicy(policy);
    const taken = takeAll(
      request.policies,
      request.policies.map((p) => this.#bucket(p.name)),
      now,
    );
    for (const [i, p] of request.policies.entries()) this.#saveBucket(p.name, taken.states[i] as BucketState);
    if (!taken.ok) {
      return {
        outcome: "limited",
        retryAfterSec: taken.retryAfterSec,
        limitedBy: taken.limitedBy.name,
        limits: taken.views,
      };
    }
    const limits = taken.views;
    if (!request.key) return { outcome: "proceed", leaseId: null, limits };

    const { scope, fingerprint } = request.key;
    const row = this.#keyRow(scope);
    const record = row && {
      fingerprint: row.fingerprint,
      state: row.state,
      leaseUntil: row.lease_until,
      expires: row.expires,
    };
    const decision = decide(record, fingerprint, now);
    if (decision === "replay" && row?.status != null) {
      const response = {
        status: row.status,
        headers: JSON.parse(row.headers ?? "[]"),
        body: row.body ?? new ArrayBuffer(0),
      };
      return { outcome: "replay", response, requestId: row.request_id ?? "", limits };
    }
    if (decision === "mismatch" || decision === "in_use") return { outcome: decision, limits };

    const leaseId = crypto.randomUUID();
    // A takeover after a lapsed lease keeps the first attempt's retention; an expired row starts over.
    const created = row && row.expires > now ? row.expires - RETENTION_MS : now;
    this.ctx.storage.sql.exec(
      `INSERT OR REPLACE INTO idempotency_keys
         (scope, fingerprint, state, lease_id, lease_until, status, headers, body, request_id, created, expires)
       VALUES (?, ?, 'running', ?, ?, NULL, NULL, NULL, NULL, ?, ?)`,
      scope,
      fingerprint,
      leaseId,
      now + LEASE_MS,
      created,
      created + RETENTION_MS,
    );
    await this.#armAlarm(created + RETENTION_MS);
    return { outcome: "proceed", leaseId, limits };
  }

  /** Saves or releases the key of an admitted request (only while its lease is the current one) and refunds tokens. */
  async complete(request: CompleteRequest): Promise<void> {
    const now = this.clock();
    for (const policy of request.refund ?? []) {
      this.#saveBucket(policy.name, giveBack(policy, this.#bucket(policy.name), now));
    }
    const key = request.key;
    if (!key) return;
    if (key.response === null) {
      this.ctx.storage.sql.exec(
        "DELETE FROM idempotency_keys WHERE scope = ? AND lease_id = ? AND state = 'running'",
        key.scope,
        key.leaseId,
      );
      return;
    }
    this.ctx.storage.sql.exec(
      `UPDATE idempotency_keys
          SET state = 'done', lease_id = NULL, status = ?, headers = ?, body = ?, request_id = ?
        WHERE scope = ? AND lease_id = ? AND state = 'running'`,
      key.response.status,
      JSON.stringify(key.response.headers),
      key.response.body,
      key.requestId,
      key.scope,
      key.leaseId,
    );
  }

  /** Prunes keys past their retention and re-arms for the next one to expire. */
  override async alarm(): Promise<void> {
    const now = this.clock();
    this.ctx.storage.sql.exec("DELETE FROM idempotency_keys WHERE expires <= ?", now);
    const next = this.ctx.storage.sql
      .exec<{ next: number | null }>("SELECT min(expires) AS next FROM idempotency_keys")
      .one().next;
    this.#alarmAt = null;
    if (next !== null) await this.#armAlarm(next);
  }

  /**
   * Token endpoint, before a client's secret is checked: takes one attempt from this client id's
   * budget (CLIENT_AUTH_FAILURES), or refuses with the seconds to wait. Taking before checking bounds
   * parallel guessing exactly; a successful authentication gives its attempt back.
   */
  async clientAuthAttempt(): Promise<ThrottleResult> {
    const now = this.clock();
    const taken = takeAll([CLIENT_AUTH_FAILURES], [this.#bucket(CLIENT_AUTH_FAILURES.name)], now);
    this.#saveBucket(CLIENT_AUTH_FAILURES.name, taken.states[0] as BucketState);
    return taken.ok ? { allowed: true, retryAfterSec: 0 } : { allowed: false, retryAfterSec: taken.retryAfterSec };
  }

  /** Token endpoint: the client authenticated, so its attempt does not count as a failure. */
  async clientAuthSucceeded(): Promise<void> {
    const now = this.clock();
    this.#saveBucket(
      CLIENT_AUTH_FAILURES.name,
      giveBack(CLIENT_AUTH_FAILURES, this.#bucket(CLIENT_AUTH_FAILURES.name), now),
    );
  }

  #keyRow(scope: string): KeyRow | undefined {
    return this.ctx.storage.sql
      .exec<KeyRow>(
        "SELECT fingerprint, state, lease_until, expires, status, headers, body, request_id FROM idempotency_keys WHERE scope = ?",
        scope,
      )
      .toArray()[0];
  }

  #bucket(name: string): BucketState | undefined {
    return this.#buckets.get(name);
  }

  #saveBucket(name: string, state: BucketState): void {
    this.#buckets.set(name, state);
  }

  async #armAlarm(at: number): Promise<void> {
    if (this.#alarmAt !== null && this.#alarmAt <= at) return;
    this.#alarmAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/** The object name of a merchant's gate shard. */
export function gateName(merchantId: string, shard: number): string {
  return `m:${merchantId}:${shard}`;
}

/** The object name that throttles failed authentications of one client id. */
export function clientThrottleName(clientId: string): string {
  return `client:${clientId}`;
}

/**
 * MerchantGate: the per-merchant Durable Object that admits requests (rate limiting and
 * idempotency) and completes them. It exposes typed RPC methods only, never a fetch router.
 *
 * Addressing (see the name functions at the end): one class, used in three roles.
 *   `m:<merchant_id>:<i>`   bucket shard i of ceil(q / 100) (q = the merchant's quota): rate-limit
 *                           buckets only (`admit`, `refund`); stores nothing but, while the
 *                           merchant is moved between D1 shards, its freeze deadline (`freeze`,
 *                           `thaw`; key `frozen_until`), which makes `admit` answer `frozen`,
 *                           and after a move when it landed (key `moved_at`), which `admit`
 *                           returns so the gate refuses a route read before it
 *   `m:<merchant_id>:k<j>`  key shard j of KEY_SHARDS, j = fnv1a(key) mod KEY_SHARDS: idempotency
 *                           keys only (`begin`, `complete`); independent of the quota, so changing a
 *                           merchant's rate limit never moves a saved response
 *   `client:<client_id>`    failed client authentications on the token endpoint (`authAttempt`,
 *                           `refund`): one bucket per (client id, source IP) pair and one per client
 *                           id; `health` for the liveness probe
 *   `ip:<source>`           failed client authentications from one source IP (an IPv6 /64) across
 *                           all client ids (durable/client-throttle.ts has the policy), and failed
 *                           operator authentications from it (durable/operator-throttle.ts)
 *   `operator:<actor>`      request rate limit of one operator (`op_…`) or of the root token
 *                           (`root`): `admit` only (durable/operator-throttle.ts)
 *
 * Cost: a keyless request makes one RPC (`admit` on a random bucket shard). A keyed request makes
 * two in parallel (`admit` on the bucket shard fnv1a(key) mod N, `begin` on its key shard), so no
 * sequential hop is added, and one to finish (`complete` on the key shard), sent before the answer
 * but awaited after it (`waitUntil`), so it adds no hop to the answer. A 401/403 adds a `refund` on
 * the bucket shard, in parallel with `complete`. A `complete` that never lands leaves the row
 * `running`: `begin` answers `in_use` until its `lease_until` (LEASE_MS after begin), then lets a
 * retry take over.
 *
 * Throughput: one object serves roughly 500–1,000 simple requests/s, fewer with storage writes.
 * Buckets live in memory, so a bucket shard writes nothing and is sized for PER_SHARD_QUOTA = 100
 * admitted requests/s. A key shard commits twice per keyed request (its key row at begin, its
 * response at complete); with 128 key shards the operator maximum (10,000 req/s) is ≤ 79 keyed
 * requests/s per key shard: ≤ 157 commits/s and ≤ 6.8 GB of ~1 KB responses a day, under the 10 GB
 * an object may store (domain/limits.ts). Each bucket is split so the bucket shards add up to exactly q.
 *
 * Bucket state is deliberately not stored: writing it would put a durable commit (and the output
 * gate's wait for it, ~10 ms locally) on every request. It is lost when the object is evicted,
 * which happens only after a minute or more of idleness, when 1 s and 10 s buckets are full again
 * anyway, or on a deploy or crash, which at worst grants one extra window's quota (for
 * a (client, source) pair, 10 more attempts).
 *
 * Storage layout (SQLite, survives eviction and restarts; only key shards write rows):
 *
 *   idempotency_keys                     one row per (method, path, Idempotency-Key) of this key shard
 *     scope        TEXT PRIMARY KEY      JSON ["<METHOD>", "<path>", "<key>"] (the object is the merchant scope)
 *     fingerprint  TEXT NOT NULL         HMAC-SHA256 (keyed, see crypto/fingerprint.ts) of the canonical method, path, caller scopes and body
 *     state        TEXT NOT NULL         'running' (an attempt holds the lease) or 'done' (response saved)
 *     lease_id     TEXT                  the attempt that may complete the row; null once done
 *     lease_until  INTEGER NOT NULL      ms; after it another attempt may take the key over
 *     status       INTEGER               saved HTTP status (done rows)
 *     headers      TEXT                  saved headers, JSON [[name, value], ...] (done rows); [["edgepay-rerun","1"]]
 *                                        with an empty body marks an answer that carried a secret (gate.ts re-runs it)
 *     body         BLOB                  saved body bytes, replayed unchanged (done rows)
 *     request_id   TEXT                  Request-Id of the attempt whose response was saved
 *     created      INTEGER NOT NULL      ms of the first attempt
 *     expires      INTEGER NOT NULL      created + 24 h; the alarm deletes rows past it
 *   index idempotency_keys_expires (expires)
 *
 * In memory only: one token bucket per policy name (default, card, client_auth, source_auth, and
 * client_pair:<source> per source IP), see above; idle ones are dropped past MAX_IDLE_BUCKETS.
 *
 * The single alarm is set to the earliest `expires` and re-armed after each pruning pass.
 */
import { DurableObject } from "cloudflare:workers";
import { decide, LEASE_MS, RETENTION_MS } from "../domain/idempotency";
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

/** What `admit` is asked: the bucket shard's share of the request's policies. */
export interface AdmitRequest {
  policies: Policy[];
}

/** What `admit` decided, with the buckets' state for the RateLimit headers. */
export type AdmitResult =
  /** `movedAt`: when the merchant last changed shards (ms, 0: never); a route read before it may be stale. */
  | { outcome: "proceed"; limits: BucketView[]; movedAt: number }
  | { outcome: "limited"; retryAfterSec: number; limitedBy: string; limits: BucketView[] }
  | { outcome: "frozen" };

/** What `begin` is asked: the key's scope and the request's fingerprint. */
export interface BeginRequest {
  scope: string;
  fingerprint: string;
}

/** What `begin` decided for the key: run under a fresh lease, replay, or refuse. */
export type BeginResult =
  | { outcome: "begin"; leaseId: string }
  | { outcome: "replay"; response: SavedResponse; requestId: string }
  | { outcome: "mismatch" | "in_use" };

/** What `complete` is told: the key's fate under the lease `begin` gave, a response to save or null to release it. */
export interface CompleteRequest {
  scope: string;
  leaseId: string;
  requestId: string;
  response: SavedResponse | null;
}

/** What `authAttempt` took: the first `taken` policies; when short of all, when to retry the next. */
export interface AuthAttempt {
  taken: number;
  retryAfterSec: number;
}

/** Storage key of a bucket shard's freeze deadline (ms). */
const FROZEN_UNTIL = "frozen_until";

/** Storage key of when the merchant last changed shards (ms), given by the mover at the thaw. */
const MOVED_AT = "moved_at";

/** Above this many buckets, `authAttempt` drops those untouched for a window (they are full again). */
const MAX_IDLE_BUCKETS = 1000;

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

/** Per-merchant admission control: bucket shards and key shards of one merchant (see bucketShardName, keyShardName). */
export class MerchantGate extends DurableObject<Env> {
  /** The object's clock in ms. Tests freeze it through runInDurableObject; it is not reachable over RPC. */
  clock: () => number = () => Date.now();
  #alarmAt: number | null = null;
  /** Bucket shard: admissions are refused until this time (ms) while the merchant is moved between shards. */
  #frozenUntil = 0;
  /** Bucket shard: when the merchant's directory entry last changed (ms, 0: never), see `thaw`. */
  #movedAt = 0;
  readonly #buckets = new Map<string, BucketState>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA);
    void ctx.blockConcurrencyWhile(async () => {
      this.#alarmAt = await ctx.storage.getAlarm();
      this.#frozenUntil = (await ctx.storage.get<number>(FROZEN_UNTIL)) ?? 0;
      this.#movedAt = (await ctx.storage.get<number>(MOVED_AT)) ?? 0;
    });
  }

  /** Liveness probe used by `GET /health`. */
  async ping(): Promise<"pong"> {
    return "pong";
  }

  /** Bucket shard: charges one token of each policy, or says when to retry. */
  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const now = this.clock();
    for (const policy of request.policies) assertPolicy(policy);
    if (now < this.#frozenUntil) return { outcome: "frozen" };
    const taken = takeAll(
      request.policies,
      request.policies.map((p) => this.#bucket(p.name)),
      now,
    );
    for (const [i, p] of request.policies.entries()) this.#saveBucket(p.name, taken.states[i] as BucketState);
    if (taken.ok) return { outcome: "proceed", limits: taken.views, movedAt: this.#movedAt };
    return {
      outcome: "limited",
      retryAfterSec: taken.retryAfterSec,
      limitedBy: taken.limitedBy.name,
      limits: taken.views,
    };
  }

  /**
   * Bucket shard: refuses every admission until `untilMs` (a merchant move, moves/move-merchant.ts);
   * the deadline is stored, so it outlives an eviction, and bounds a freeze whose mover died.
   * Answers whether a freeze was still in force when this one replaced it.
   */
  async freeze(untilMs: number): Promise<boolean> {
    const held = this.clock() < this.#frozenUntil;
    this.#frozenUntil = untilMs;
    await this.ctx.storage.put(FROZEN_UNTIL, untilMs);
    return held;
  }

  /**
   * Bucket shard: admits again. `movedAt` (ms), given once the directory names the merchant's new
   * shard, is stored and returned by every later `admit`, so a request whose route was read before
   * it is refused instead of writing to the old shard (middleware/gate.ts).
   */
  async thaw(movedAt?: number): Promise<void> {
    this.#frozenUntil = 0;
    await this.ctx.storage.delete(FROZEN_UNTIL);
    if (movedAt !== undefined && movedAt > this.#movedAt) {
      this.#movedAt = movedAt;
      await this.ctx.storage.put(MOVED_AT, movedAt);
    }
  }

  /** Bucket shard: gives back the token `admit` took for each policy (a 401/403 does not count). */
  async refund(policies: Policy[]): Promise<void> {
    const now = this.clock();
    for (const policy of policies) {
      assertPolicy(policy);
      this.#saveBucket(policy.name, giveBack(policy, this.#bucket(policy.name), now));
    }
  }

  /** Key shard: begins the key under a fresh lease, or replays, or refuses it; one atomic step. */
  async begin(key: BeginRequest): Promise<BeginResult> {
    const now = this.clock();
    const { scope, fingerprint } = key;
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
      return { outcome: "replay", response, requestId: row.request_id ?? "" };
    }
    if (decision === "mismatch" || decision === "in_use") return { outcome: decision };

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
    return { outcome: "begin", leaseId };
  }

  /**
   * Key shard: saves the response of a begun key, or releases the key when `response` is null.
   * Acts only while `leaseId` holds a running row, so it never touches a saved response or a
   * takeover's lease.
   */
  async complete(request: CompleteRequest): Promise<void> {
    if (request.response === null) {
      this.ctx.storage.sql.exec(
        "DELETE FROM idempotency_keys WHERE scope = ? AND lease_id = ? AND state = 'running'",
        request.scope,
        request.leaseId,
      );
      return;
    }
    this.ctx.storage.sql.exec(
      `UPDATE idempotency_keys
          SET state = 'done', lease_id = NULL, status = ?, headers = ?, body = ?, request_id = ?
        WHERE scope = ? AND lease_id = ? AND state = 'running'`,
      request.response.status,
      JSON.stringify(request.response.headers),
      request.response.body,
      request.requestId,
      request.scope,
      request.leaseId,
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
   * Token endpoint, before a secret is checked: takes one attempt from each failed-authentication
   * budget in order (on `client:<id>`: the (client, source) pair, then the client id), stopping at
   * the first that is empty, which is then not charged. `refund` gives the taken ones back after a
   * success. Taking before checking bounds parallel guessing exactly.
   */
  async authAttempt(policies: Policy[]): Promise<AuthAttempt> {
    const now = this.clock();
    if (this.#buckets.size > MAX_IDLE_BUCKETS) this.#dropFull(policies, now);
    for (const [taken, policy] of policies.entries()) {
      assertPolicy(policy);
      const result = takeAll([policy], [this.#bucket(policy.name)], now);
      this.#saveBucket(policy.name, result.states[0] as BucketState);
      if (!result.ok) return { taken, retryAfterSec: result.retryAfterSec };
    }
    return { taken: policies.length, retryAfterSec: 0 };
  }

  /**
   * Operator API: like `authAttempt` but takes nothing, so a burst of right credentials never
   * drains a failure budget: how many of `policies`, in order, still have an attempt left.
   */
  async authPeek(policies: Policy[]): Promise<AuthAttempt> {
    const now = this.clock();
    for (const [open, policy] of policies.entries()) {
      assertPolicy(policy);
      const result = takeAll([policy], [this.#bucket(policy.name)], now);
      if (!result.ok) return { taken: open, retryAfterSec: result.retryAfterSec };
    }
    return { taken: policies.length, retryAfterSec: 0 };
  }

  /** Forgets buckets that are full again (per-source buckets of a `client:` object), so memory stays bounded. */
  #dropFull(policies: Policy[], now: number): void {
    const windowMs = Math.max(60, ...policies.map((p) => p.windowSec)) * 1000;
    for (const [name, state] of this.#buckets) if (now - state.at >= windowMs) this.#buckets.delete(name);
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

/** Cloudflare's Durable Object location hints, the values D1_PRIMARY_HINT may take. */
const LOCATION_HINTS: ReadonlySet<string> = new Set<DurableObjectLocationHint>([
  "wnam",
  "enam",
  "sam",
  "weur",
  "eeur",
  "apac",
  "apac-ne",
  "apac-se",
  "oc",
  "afr",
  "me",
]);

/** D1_PRIMARY_HINT as a location hint: empty or absent means none; an unknown value is a configuration error. */
export function primaryHint(value: string | undefined): DurableObjectLocationHint | undefined {
  if (value === undefined || value === "") return undefined;
  if (!LOCATION_HINTS.has(value))
    throw new Error(`D1_PRIMARY_HINT must be empty or one of ${[...LOCATION_HINTS].join(", ")}`);
  return value as DurableObjectLocationHint;
}

/**
 * The stub of the merchant gate object `name`. When D1_PRIMARY_HINT names the D1 primary's region,
 * an object created by this call is placed near it (a hint: it applies only at creation, and an
 * existing object never moves), so the Durable Object hop of a Worker running near D1 stays short.
 */
export function merchantGate(
  env: Pick<Env, "MERCHANT_GATE" | "D1_PRIMARY_HINT">,
  name: string,
): DurableObjectStub<MerchantGate> {
  const locationHint = primaryHint(env.D1_PRIMARY_HINT);
  return locationHint ? env.MERCHANT_GATE.getByName(name, { locationHint }) : env.MERCHANT_GATE.getByName(name);
}

/** The object name of a merchant's bucket shard `shard` (rate-limit buckets). */
export function bucketShardName(merchantId: string, shard: number): string {
  return `m:${merchantId}:${shard}`;
}

/** The object name of a merchant's key shard `shard` (idempotency keys), see keyShardOf. */
export function keyShardName(merchantId: string, shard: number): string {
  return `m:${merchantId}:k${shard}`;
}

/** The object name that throttles failed authentications of one client id. */
export function clientThrottleName(clientId: string): string {
  return `client:${clientId}`;
}

/** The object name that throttles failed client authentications from one source (see sourceKey). */
export function sourceThrottleName(source: string): string {
  return `ip:${source}`;
}

/** The object name that rate-limits one operator's requests (`root` for the root token). */
export function operatorThrottleName(actor: string): string {
  return `operator:${actor}`;
}

/**
 * The merchant gate: rate limiting and idempotency for `/v1/*` merchant routes, mounted after
 * merchantAuth. A request is admitted by its merchant's MerchantGate objects: `admit` on a bucket
 * shard, and for a keyed request `begin` on the key's key shard in parallel. A keyed request then
 * `complete`s its key (save or release) and a 401/403 `refund`s its token, both sent before the
 * answer and awaited after it (`waitUntil`): the only Durable Object hop on the critical path is
 * admission.
 *
 * Deferring `complete` keeps exactly-once: until it lands the key's row stays `running` under this
 * attempt's lease, so a retry that overtakes it gets 409 `idempotency_key_in_use` (what Stripe
 * answers a concurrent duplicate) and never runs the handler. If it never lands (the isolate dies),
 * the key is blocked until the lease lapses (LEASE_MS, 60 s after `begin`); then a retry takes over
 * and re-runs the handler, which finds its own effect (see below).
 *
 * What is saved under an Idempotency-Key: 2xx answers, and 4xx answers of a handler that ran (402
 * declines, 400 payment_intent_unexpected_state, ...). Never saved, the key released so a retry (the
 * same request or a corrected one) runs again: an ApiError with `noEffect` (validation, invalidParam,
 * lock_timeout), every 401, 403, 409 and 429, and every 5xx. A 5xx may follow an effect; the retry
 * re-runs the handler, which finds its own effect (creates are unique per merchant and key in D1,
 * actions find the intent's state). So a keyed 5xx carries `Stripe-Should-Retry: true`, as does
 * every `lock_timeout`.
 *
 * A replay is answered from the saved status, headers and body, unchanged, plus
 * `Idempotent-Replayed: true` and `Original-Request`; like Stripe, it spends a rate-limit token.
 *
 * An answer that carries a secret (the handler calls `answerCarriesSecret`) is never saved, so the
 * secret exists nowhere but in its one response. A secret that can be shown again (a webhook
 * endpoint's sealed `whsec_…`: `reopened`) leaves a re-run marker in its place (the status, no
 * body): the key keeps its fingerprint, so another request under it is still an
 * `idempotency_error`, and a retry of the same request runs the handler again with
 * `c.var.idempotentRerun` set; the handler changes nothing, only finds its first run's effect (by
 * the key it stored with it) and shows the secret again. A secret that cannot (a new API key,
 * stored as a hash: `never`) releases the key, so a retry is a new request.
 * Every response carries the IETF `RateLimit-Policy` and `RateLimit` headers; a 429 adds `Retry-After`.
 */

import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { requestFingerprint } from "../crypto/fingerprint";
import { forgetMerchant } from "../db/access-status";
import { canonicalRequest, keyProblem } from "../domain/idempotency";
import {
  bucketShardCount,
  hashToShard,
  isCardTesting,
  keyShardOf,
  merchantQuota,
  policiesFor,
  shardPolicies,
} from "../domain/limits";
import type { BucketView, Policy } from "../domain/token-bucket";
import {
  type BeginRequest,
  type BeginResult,
  bucketShardName,
  keyShardName,
  type MerchantGate,
  merchantGate,
  type SavedResponse,
} from "../durable/merchant-gate";
import { ApiError } from "../errors";
import { log } from "../lib/log";
import type { AppEnv } from "../types";

/** Response headers never saved with a key: they describe this delivery, not the result. */
const UNSAVED_HEADERS = new Set([
  "content-length",
  "date",
  "idempotency-key",
  "idempotent-replayed",
  "original-request",
  "ratelimit",
  "ratelimit-policy",
  "request-id",
  "retry-after",
  "set-cookie",
  "stripe-should-retry",
]);

type Stub = DurableObjectStub<MerchantGate>;

/** The one header of a re-run marker: saved in place of an answer that carried a secret, never sent. */
const RERUN_MARKER = "edgepay-rerun";

/**
 * How a secret in an answer can be shown again: `reopened` (a webhook secret, sealed: a re-run of
 * the request opens it again), or `never` (an API key, stored as a hash).
 */
export type SecretAnswer = "reopened" | "never";

/**
 * Marks this request's answer as carrying a secret: the gate never saves it (see the module
 * comment). A `reopened` secret leaves a re-run marker under the key; a `never` one releases it.
 */
export function answerCarriesSecret(c: Context<AppEnv>, secret: SecretAnswer): void {
  c.set("answerCarriesSecret", secret);
}

/** Admits, replays or refuses a merchant request, and saves its outcome under its Idempotency-Key. */
export const gate = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get("auth");
  if (!auth) throw new Error("gate mounted on a route without merchantAuth");
  const method = c.req.method;
  const path = c.req.path;
  const body = c.var.body;

  const rawKey = method === "POST" ? c.req.header("idempotency-key") : undefined;
  if (rawKey !== undefined) {
    const problem = keyProblem(rawKey);
    if (problem) throw new ApiError("idempotency_key_invalid", problem);
  }

  const quota = merchantQuota(auth.rateLimit, c.env.RATE_LIMIT_DEFAULT);
  const shards = bucketShardCount(quota);
  // A keyed request's bucket shard follows its key, so tests (and retries) land deterministically.
  const shard = rawKey !== undefined ? hashToShard(rawKey, shards) : Math.floor(Math.random() * shards);
  const merchantPolicies = policiesFor(quota, isCardTesting(method, path, body));
  const policies = shardPolicies(merchantPolicies, shards, shard);
  const buckets = merchantGate(c.env, bucketShardName(auth.merchantId, shard));
  const keyed =
    rawKey === undefined
      ? undefined
      : {
          stub: merchantGate(c.env, keyShardName(auth.merchantId, keyShardOf(rawKey))),
          request: {
            scope: JSON.stringify([method, path, rawKey]),
            fingerprint: await requestFingerprint(
              c.env.FINGERPRINT_KEY,
              canonicalRequest(method, path, body, auth.scopes),
            ),
          } satisfies BeginRequest,
        };
  const keyHeader: Record<string, string> = rawKey === undefined ? {} : { "Idempotency-Key": rawKey };

  // Buckets and key in parallel: a keyed request adds no sequential Durable Object hop.
  const [admitted, begun] = await Promise.allSettled([
    buckets.admit({ policies }),
    keyed ? keyed.stub.begin(keyed.request) : Promise.resolve(null),
  ]);
  const leaseId = begun.status === "fulfilled" && begun.value?.outcome === "begin" ? begun.value.leaseId : null;
  const release = async () => {
    if (keyed && leaseId !== null) await afterAnswer(c, completeKey(c, keyed.stub, keyed.request.scope, leaseId, null));
  };
  if (admitted.status === "rejected" || begun.status === "rejected") {
    const err: unknown = admitted.status === "rejected" ? admitted.reason : (begun as PromiseRejectedResult).reason;
    log("error", "gate_admit_failed", {
      request_id: c.var.requestId,
      error: err instanceof Error ? err.name : "unknown",
    });
    await release();
    throw new ApiError("service_unavailable", "The service is temporarily unavailable. Retry the request.", {
      headers: keyed ? { ...keyHeader, "Stripe-Should-Retry": "true" } : {},
    });
  }
  // A merchant being moved between shards: nothing runs, stripe-node retries (docs/scaling.md).
  if (admitted.value.outcome === "frozen") {
    await release();
    throw new ApiError("lock_timeout", "This account is briefly unavailable. Retry the request in a moment.", {
      headers: { ...keyHeader, "Retry-After": "1", "Stripe-Should-Retry": "true" },
    });
  }
  // The merchant changed shards after this request read its route: it may point at the old shard.
  // Forget the route in this isolate and have the client retry, which reads the directory again.
  if (admitted.value.outcome === "proceed" && admitted.value.movedAt > auth.routeReadAt) {
    forgetMerchant(auth.merchantId);
    await release();
    throw new ApiError("lock_timeout", "This account is briefly unavailable. Retry the request in a moment.", {
      headers: { ...keyHeader, "Retry-After": "1", "Stripe-Should-Retry": "true" },
    });
  }
  const limitHeaders = rateLimitHeaders(merchantPolicies, admitted.value.limits, shards, 0);

  // Rate limiting wins over every key outcome: a limited request neither replays nor keeps a key it began.
  if (admitted.value.outcome === "limited") {
    await release();
    throw new ApiError("rate_limit", "Too many requests hit the API too quickly. Retry after the Retry-After delay.", {
      headers: { ...limitHeaders, ...keyHeader, "Retry-After": String(admitted.value.retryAfterSec) },
    });
  }
  const key: BeginResult | null = begun.value;
  switch (key?.outcome) {
    case "mismatch":
      throw new ApiError(
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than the one used for the original request.",
        { headers: { ...limitHeaders, ...keyHeader } },
      );
    case "in_use":
      throw new ApiError(
        "idempotency_key_in_use",
        "There is currently another in-progress request using this Idempotency-Key. Retry after it completes.",
        { headers: { ...limitHeaders, ...keyHeader } },
      );
    case "replay":
      if (!isRerunMarker(key.response))
        return replay(c, key.response, key.requestId, { ...limitHeaders, ...keyHeader });
      c.set("idempotentRerun", true);
      break;
    case "begin":
    case undefined:
      break;
  }

  if (rawKey !== undefined) c.set("idempotencyKey", rawKey);
  await next();
  if (key?.outcome === "replay") {
    c.res.headers.set("Idempotent-Replayed", "true");
    if (key.requestId) c.res.headers.set("Original-Request", key.requestId);
  }

  // 401 and 403 do not count: a 403 from requireScope runs after admission, so its token goes back.
  const uncounted = c.res.status === 401 || c.res.status === 403;
  const finishing: Promise<void>[] = [];
  if (uncounted) finishing.push(refundTokens(c, buckets, policies));
  if (keyed && leaseId !== null) {
    const secret = c.var.answerCarriesSecret;
    const response = !savedUnderKey(c) || secret === "never" ? null : secret ? rerunMarker(c) : await snapshot(c);
    finishing.push(completeKey(c, keyed.stub, keyed.request.scope, leaseId, response));
  }
  // Both calls are sent now, before the answer leaves; only waiting for them is deferred.
  if (finishing.length > 0) await afterAnswer(c, Promise.all(finishing));
  const final = uncounted ? rateLimitHeaders(merchantPolicies, admitted.value.limits, shards, 1) : limitHeaders;
  for (const [name, value] of Object.entries({ ...final, ...keyHeader })) c.res.headers.set(name, value);
  if (shouldRetry(c, keyed !== undefined)) c.res.headers.set("Stripe-Should-Retry", "true");
});

/**
 * True when the answer is saved under its key: the handler ran and the answer is a 2xx or a 4xx
 * other than 401, 403, 409 and 429. A 5xx is never saved: it may hide an effect the retry finds.
 */
function savedUnderKey(c: Context<AppEnv>): boolean {
  const status = c.res.status;
  if (status >= 500 || status === 401 || status === 403 || status === 409 || status === 429) return false;
  return handlerRan(c);
}

/** True when a retry is safe and useful: a lock timeout, or a 5xx whose key was released. */
function shouldRetry(c: Context<AppEnv>, keyed: boolean): boolean {
  if (c.error instanceof ApiError && c.error.code === "lock_timeout") return true;
  return keyed && c.res.status >= 500;
}

/** True when a route handler began: not a validation failure, not an unknown route or method. */
function handlerRan(c: Context<AppEnv>): boolean {
  if (c.error instanceof ApiError && c.error.details.noEffect) return false;
  return matchedRoutes(c).some((route) => route.method !== "ALL");
}

/** What is saved in place of an answer that carries a secret: its status and the marker, no body. */
function rerunMarker(c: Context<AppEnv>): SavedResponse {
  return { status: c.res.status, headers: [[RERUN_MARKER, "1"]], body: new ArrayBuffer(0) };
}

function isRerunMarker(saved: SavedResponse): boolean {
  return saved.headers.some(([name]) => name === RERUN_MARKER);
}

/** Reads the response once for saving and puts an identical copy back as the response. */
async function snapshot(c: Context<AppEnv>): Promise<SavedResponse> {
  const original = c.res;
  const body = await original.arrayBuffer();
  c.res = new Response(body, { status: original.status, headers: original.headers });
  const headers: string[][] = [];
  for (const [name, value] of original.headers)
    if (!UNSAVED_HEADERS.has(name.toLowerCase())) headers.push([name, value]);
  return { status: original.status, headers, body };
}

/** Saves (or, with null, releases) the key; if it fails, the lease lapses and a retry re-runs the handler. */
async function completeKey(
  c: Context<AppEnv>,
  stub: Stub,
  scope: string,
  leaseId: string,
  response: SavedResponse | null,
): Promise<void> {
  try {
    await stub.complete({ scope, leaseId, requestId: c.var.requestId, response });
  } catch (err) {
    log("warn", "gate_complete_failed", {
      request_id: c.var.requestId,
      error: err instanceof Error ? err.name : "unknown",
    });
  }
}

/**
 * Lets `work` (already sent) finish after the answer is sent (`waitUntil`), so no Durable Object
 * hop follows the handler on the critical path. Without an execution context (in-process
 * `app.request` in tests) the answer waits for it instead, with the same guarantees.
 */
async function afterAnswer(c: Context<AppEnv>, work: Promise<unknown>): Promise<void> {
  let ctx: { waitUntil(promise: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined; // Hono throws when the request came without one
  }
  if (ctx) ctx.waitUntil(work);
  else await work;
}

/** Gives a 401/403's tokens back to its bucket shard; if that fails, the merchant loses one token. */
async function refundTokens(c: Context<AppEnv>, stub: Stub, policies: Policy[]): Promise<void> {
  try {
    await stub.refund(policies);
  } catch (err) {
    log("warn", "gate_refund_failed", {
      request_id: c.var.requestId,
      error: err instanceof Error ? err.name : "unknown",
    });
  }
}

/** Builds a replayed response: the saved result, byte for byte, plus this delivery's headers. */
function replay(c: Context<AppEnv>, saved: SavedResponse, originalRequestId: string, extra: Record<string, string>) {
  const headers = new Headers(saved.headers);
  for (const [name, value] of Object.entries(extra)) headers.set(name, value);
  headers.set("Request-Id", c.var.requestId);
  headers.set("Idempotent-Replayed", "true");
  if (originalRequestId) headers.set("Original-Request", originalRequestId);
  return new Response(saved.body, { status: saved.status, headers });
}

/**
 * The IETF `RateLimit-Policy` and `RateLimit` headers for the merchant-wide policies. With several
 * shards, the serving shard's remaining tokens are scaled by the shard count (an estimate, capped
 * at the quota); `refunded` adds back a token that was given back.
 */
export function rateLimitHeaders(
  policies: Policy[],
  views: BucketView[],
  shards: number,
  refunded: number,
): Record<string, string> {
  const policy = policies.map((p) => `"${p.name}";q=${p.quota};w=${p.windowSec}`).join(", ");
  const remaining = policies
    .map((p, i) => {
      const v = views[i];
      if (!v) return `"${p.name}";r=${p.quota};t=0`;
      const shardRemaining = Math.min(v.policy.quota, v.remaining + refunded);
      const reset = shardRemaining >= v.policy.quota ? 0 : v.resetSec;
      return `"${p.name}";r=${Math.min(p.quota, shardRemaining * shards)};t=${reset}`;
    })
    .join(", ");
  return { "RateLimit-Policy": policy, RateLimit: remaining };
}

/**
 * Operator authentication for `/admin/v1/*`. The Bearer credential is either a named operator's
 * secret (`eop_…`, looked up by its keyed hash; the operator must be active) or the root
 * OPERATOR_TOKEN (compared in constant time), which works only while it is at least
 * MIN_OPERATOR_TOKEN_LENGTH long and not disabled in D1 (routes/admin-operators.ts). Merchant access
 * tokens are never accepted. Every failure gets the same 401, so a caller cannot tell a wrong root
 * token from a disabled one. Failures are throttled per source IP and every operator's requests
 * are rate-limited (durable/operator-throttle.ts); the actor is `c.var.operator`, which the audit
 * log records.
 * Without an Authorization header, the operator dashboard's session cookie (lib/dashboard-cookie.ts)
 * stands for its operator on the reads in COOKIE_READS only (GET): never on a write or any other
 * route. A session counts while its operator is still active (root: configured, enabled and the
 * same OPERATOR_TOKEN); its failures are charged and answered like a wrong secret's.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { verifyDashboardSession } from "../crypto/dashboard-session";
import { tokenConfig } from "../crypto/jwt";
import { constantTimeEqual, hashClientSecret } from "../crypto/secrets";
import { controlDb } from "../db/client";
import { type AuditEntry, nowSeconds } from "../db/merchants";
import { getOperator, getRootTokenSetting, lookupCredential } from "../db/operators";
import { sourceKey } from "../domain/limits";
import { admitOperator, chargeOperatorFailure, checkOperatorSource } from "../durable/operator-throttle";
import { ApiError } from "../errors";
import { clearedSessionCookie, sessionFromCookies } from "../lib/dashboard-cookie";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { AppEnv, OperatorActor } from "../types";

/** Shortest OPERATOR_TOKEN the gateway accepts as configured; a shorter one never authenticates. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/** The actor id of the root OPERATOR_TOKEN in the audit log. */
export const ROOT_ACTOR = "root";

/** The operator reads (GET, exact paths) a dashboard session cookie may make instead of a Bearer secret. */
export const COOKIE_READS: ReadonlySet<string> = new Set(["/admin/v1/metrics", "/admin/v1/audit_log"]);

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="edgepay-admin"' };

/** An authenticated operator: its id, its rate limit, and the tag of the credential it used. */
export interface OperatorCredential {
  id: string;
  rateLimit: number | null;
  /** Names the credential without revealing it (a session records it, and ends when it changes). */
  tag: string;
}

/** True when OPERATOR_TOKEN is long enough to authenticate at all. */
export function rootTokenConfigured(env: Pick<Env, "OPERATOR_TOKEN">): boolean {
  return (env.OPERATOR_TOKEN ?? "").length >= MIN_OPERATOR_TOKEN_LENGTH;
}

function tooMany(message: string, retryAfterSec: number): ApiError {
  return new ApiError("rate_limit", `${message} Retry after ${retryAfterSec} seconds.`, {
    headers: { "Retry-After": String(retryAfterSec) },
  });
}

/** The tag of the credential whose stored keyed hash is `secretHash` (a keyed hash of that, shortened). */
async function credentialTag(env: Env, secretHash: string): Promise<string> {
  return (await hashClientSecret(env.CLIENT_SECRET_PEPPER, `dashboard-session:${secretHash}`)).slice(0, 22);
}

/** Charges a failed authentication to `source` and throws the one 401 (or the 429 once over budget). */
async function refuse(c: Context<AppEnv>, source: string, extra: Record<string, string> = {}): Promise<never> {
  log("warn", "operator_auth_failed", { request_id: c.var.requestId });
  const charged = await chargeOperatorFailure(c.env, source);
  if (!charged.ok) throw tooMany("Too many failed operator authentications.", charged.retryAfterSec);
  throw new ApiError("invalid_token", "Invalid operator credentials.", {
    headers: { "WWW-Authenticate": 'Bearer realm="edgepay-admin", error="invalid_token"', ...extra },
  });
}

/** Charges one request to the operator's rate limit (429 when over it) and sets `c.var.operator`. */
async function admit(c: Context<AppEnv>, actor: OperatorCredential): Promise<OperatorCredential> {
  const admitted = await admitOperator(c.env, actor.id, actor.rateLimit);
  if (admitted.outcome === "limited") throw tooMany("Too many operator requests.", admitted.retryAfterSec);
  c.set("operator", { id: actor.id });
  return actor;
}

/**
 * Authenticates a presented operator secret (a named operator's `eop_…` or the root token) and
 * admits the request; throws the 401 (charged to the source IP) or a 429. Used by the Bearer header
 * and by the dashboard's login.
 */
export async function operatorFromSecret(c: Context<AppEnv>, presented: string): Promise<OperatorCredential> {
  const rootConfigured = rootTokenConfigured(c.env);
  if (!rootConfigured) log("error", "operator_token_misconfigured", { request_id: c.var.requestId });
  const source = sourceKey(c.req.header("cf-connecting-ip"));
  const db = controlDb(c.env);
  const presentedHash = hashClientSecret(c.env.CLIENT_SECRET_PEPPER, presented);
  const [open, found, rootMatches] = await Promise.all([
    checkOperatorSource(c.env, source),
    presentedHash.then((hash) => lookupCredential(db, hash)),
    constantTimeEqual(presented, c.env.OPERATOR_TOKEN ?? ""),
  ]);
  if (!open.ok) throw tooMany("Too many failed operator authentications.", open.retryAfterSec);

  let actor: Omit<OperatorCredential, "tag"> | undefined;
  if (found.operator) actor = { id: found.operator.id, rateLimit: found.operator.rateLimit };
  else if (rootMatches && rootConfigured && !found.rootDisabled) actor = { id: ROOT_ACTOR, rateLimit: null };
  if (!actor) return refuse(c, source);
  return admit(c, { ...actor, tag: await credentialTag(c.env, await presentedHash) });
}

/**
 * The operator a dashboard session still stands for at `now`, or null: the signature, audience and
 * expiry hold, and its credential still works (the operator is active; root is configured, not
 * disabled and still the same OPERATOR_TOKEN). Neither throttles nor admits.
 */
export async function sessionOperator(env: Env, session: string, now: number): Promise<OperatorCredential | null> {
  const verified = await verifyDashboardSession(await tokenConfig(env), session, now);
  if (!verified.ok) return null;
  const { operatorId, credential } = verified.claims;
  const db = controlDb(env);
  let actor: OperatorCredential | null = null;
  if (operatorId === ROOT_ACTOR) {
    const [setting, rootHash] = await Promise.all([
      getRootTokenSetting(db),
      hashClientSecret(env.CLIENT_SECRET_PEPPER, env.OPERATOR_TOKEN ?? ""),
    ]);
    if (rootTokenConfigured(env) && setting?.value !== "disabled") {
      actor = { id: ROOT_ACTOR, rateLimit: null, tag: await credentialTag(env, rootHash) };
    }
  } else {
    const row = await getOperator(db, operatorId);
    if (row?.status === "active") {
      actor = { id: row.id, rateLimit: row.rateLimit, tag: await credentialTag(env, row.secretHash) };
    }
  }
  return actor && (await constantTimeEqual(actor.tag, credential)) ? actor : null;
}

/** Authenticates a dashboard session cookie and admits the request; failures as `operatorFromSecret`'s, and the cookie is cleared. */
async function operatorFromSession(c: Context<AppEnv>, session: string): Promise<OperatorCredential> {
  const source = sourceKey(c.req.header("cf-connecting-ip"));
  const [open, actor] = await Promise.all([
    checkOperatorSource(c.env, source),
    sessionOperator(c.env, session, nowSeconds()),
  ]);
  if (!open.ok) throw tooMany("Too many failed operator authentications.", open.retryAfterSec);
  if (!actor) return refuse(c, source, { "Set-Cookie": clearedSessionCookie() });
  return admit(c, actor);
}

/** Admits only requests bearing an active operator's secret or the enabled root OPERATOR_TOKEN (or, for COOKIE_READS, a dashboard session). */
export const operatorAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined || header.trim() === "") {
    const session = sessionFromCookies(c.req.header("cookie"));
    if (session !== undefined && c.req.method === "GET" && COOKIE_READS.has(c.req.path)) {
      await operatorFromSession(c, session);
      return next();
    }
    throw new ApiError(
      "authentication_required",
      "The operator API requires 'Authorization: Bearer <operator secret>'.",
      { headers: CHALLENGE },
    );
  }
  await operatorFromSecret(c, /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? "");
  return next();
});

/** An audit-log entry for the acting operator's action on `targetId`, stamped with this request's id. */
export function operatorAudit(
  c: { var: { requestId: string; operator: OperatorActor } },
  action: string,
  targetId: string,
  details: Record<string, unknown> = {},
): AuditEntry {
  return {
    id: newId("aud"),
    actor: c.var.operator.id,
    action,
    targetId,
    requestId: c.var.requestId,
    details,
    created: nowSeconds(),
  };
}

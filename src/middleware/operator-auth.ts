/**
 * Operator authentication for `/admin/v1/*`. The Bearer credential is either a named operator's
 * secret (`eop_…`, looked up by its keyed hash; the operator must be active) or the root
 * OPERATOR_TOKEN (compared in constant time), which works only while it is at least
 * MIN_OPERATOR_TOKEN_LENGTH long and not disabled in D1 (routes/admin-operators.ts). Merchant access
 * tokens are never accepted. Every failure gets the same 401, so a caller cannot tell a wrong root
 * token from a disabled one. Failures are throttled per source IP and every operator's requests
 * are rate-limited (durable/operator-throttle.ts); the actor is `c.var.operator`, which the audit
 * log records.
 */
import { createMiddleware } from "hono/factory";
import { constantTimeEqual, hashClientSecret } from "../crypto/secrets";
import { controlDb } from "../db/client";
import { type AuditEntry, nowSeconds } from "../db/merchants";
import { lookupCredential } from "../db/operators";
import { sourceKey } from "../domain/limits";
import { admitOperator, chargeOperatorFailure, checkOperatorSource } from "../durable/operator-throttle";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { AppEnv, OperatorActor } from "../types";

/** Shortest OPERATOR_TOKEN the gateway accepts as configured; a shorter one never authenticates. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/** The actor id of the root OPERATOR_TOKEN in the audit log. */
export const ROOT_ACTOR = "root";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="edgepay-admin"' };

/** True when OPERATOR_TOKEN is long enough to authenticate at all. */
export function rootTokenConfigured(env: Pick<Env, "OPERATOR_TOKEN">): boolean {
  return (env.OPERATOR_TOKEN ?? "").length >= MIN_OPERATOR_TOKEN_LENGTH;
}

function tooMany(message: string, retryAfterSec: number): ApiError {
  return new ApiError("rate_limit", `${message} Retry after ${retryAfterSec} seconds.`, {
    headers: { "Retry-After": String(retryAfterSec) },
  });
}

/** Admits only requests bearing an active operator's secret or the enabled root OPERATOR_TOKEN. */
export const operatorAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined || header.trim() === "") {
    throw new ApiError(
      "authentication_required",
      "The operator API requires 'Authorization: Bearer <operator secret>'.",
      { headers: CHALLENGE },
    );
  }
  const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? "";
  const rootConfigured = rootTokenConfigured(c.env);
  if (!rootConfigured) log("error", "operator_token_misconfigured", { request_id: c.var.requestId });
  const source = sourceKey(c.req.header("cf-connecting-ip"));
  const db = controlDb(c.env);
  const [open, found, rootMatches] = await Promise.all([
    checkOperatorSource(c.env, source),
    hashClientSecret(c.env.CLIENT_SECRET_PEPPER, presented).then((hash) => lookupCredential(db, hash)),
    constantTimeEqual(presented, c.env.OPERATOR_TOKEN ?? ""),
  ]);
  if (!open.ok) throw tooMany("Too many failed operator authentications.", open.retryAfterSec);

  let actor: { id: string; rateLimit: number | null } | undefined;
  if (found.operator) actor = { id: found.operator.id, rateLimit: found.operator.rateLimit };
  else if (rootMatches && rootConfigured && !found.rootDisabled) actor = { id: ROOT_ACTOR, rateLimit: null };
  if (!actor) {
    log("warn", "operator_auth_failed", { request_id: c.var.requestId });
    const charged = await chargeOperatorFailure(c.env, source);
    if (!charged.ok) throw tooMany("Too many failed operator authentications.", charged.retryAfterSec);
    throw new ApiError("invalid_token", "Invalid operator credentials.", {
      headers: { "WWW-Authenticate": 'Bearer realm="edgepay-admin", error="invalid_token"' },
    });
  }

  const admitted = await admitOperator(c.env, actor.id, actor.rateLimit);
  if (admitted.outcome === "limited") throw tooMany("Too many operator requests.", admitted.retryAfterSec);
  c.set("operator", { id: actor.id });
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

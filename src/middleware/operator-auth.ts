/**
 * Operator authentication for `/admin/v1/*`: the Bearer credential must equal the OPERATOR_TOKEN
 * secret, compared in constant time. Merchant access tokens are never accepted here: nothing but
 * that one secret is. A missing or too-short OPERATOR_TOKEN locks the operator API instead of opening it.
 */
import { createMiddleware } from "hono/factory";
import { constantTimeEqual } from "../crypto/secrets";
import { type AuditEntry, nowSeconds } from "../db/merchants";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { log } from "../lib/log";
import type { AppEnv } from "../types";

/** Shortest OPERATOR_TOKEN the gateway accepts as configured. */
export const MIN_OPERATOR_TOKEN_LENGTH = 32;

/** Who operator actions are attributed to in the audit log. */
export const OPERATOR_ACTOR = "operator";

const CHALLENGE = { "WWW-Authenticate": 'Bearer realm="edgepay-admin"' };

/** Admits only requests bearing OPERATOR_TOKEN. */
export const operatorAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header("authorization");
  if (header === undefined || header.trim() === "") {
    throw new ApiError(
      "authentication_required",
      "The operator API requires 'Authorization: Bearer <OPERATOR_TOKEN>'.",
      {
        headers: CHALLENGE,
      },
    );
  }
  const presented = /^Bearer +(\S+) *$/i.exec(header)?.[1] ?? "";
  const configured = c.env.OPERATOR_TOKEN ?? "";
  if (configured.length < MIN_OPERATOR_TOKEN_LENGTH) {
    log("error", "operator_token_misconfigured", { request_id: c.var.requestId });
  }
  const ok = (await constantTimeEqual(presented, configured)) && configured.length >= MIN_OPERATOR_TOKEN_LENGTH;
  if (!ok) {
    throw new ApiError("invalid_token", "Invalid operator credentials.", {
      headers: { "WWW-Authenticate": 'Bearer realm="edgepay-admin", error="invalid_token"' },
    });
  }
  return next();
});

/** An audit-log entry for an operator action on `targetId`, stamped with this request's id. */
export function operatorAudit(
  c: { var: { requestId: string } },
  action: string,
  targetId: string,
  details: Record<string, unknown> = {},
): AuditEntry {
  return {
    id: newId("aud"),
    actor: OPERATOR_ACTOR,
    action,
    targetId,
    requestId: c.var.requestId,
    details,
    created: nowSeconds(),
  };
}

/**
 * Merchant authentication for `/v1/*`: verifies the Bearer access token (RFC 9068 JWT; a token
 * verified before in this isolate is taken from crypto/verified-tokens.ts), refuses a
 * suspended merchant or revoked client (from the per-isolate status cache, see db/access-status.ts),
 * and sets `c.var.auth` and `c.var.merchantDb` (the merchant's database, from the same cache). `requireScope(scope)` then guards each route.
 *
 * Every token failure gets the same 401 and message, so a caller cannot tell which check failed,
 * and the token itself never appears in a response or log.
 */
import { createMiddleware } from "hono/factory";
import { tokenConfig } from "../crypto/jwt";
import { verifyAccessTokenCached } from "../crypto/verified-tokens";
import { callerStatus } from "../db/access-status";
import { isScope, type Scope } from "../domain/scopes";
import { ApiError } from "../errors";
import type { AppEnv } from "../types";

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

function invalidToken(): ApiError {
  return new ApiError("invalid_token", "The access token is invalid, expired or revoked.", {
    headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
  });
}

/** Verifies the merchant's access token and sets `c.var.auth`; a second run on the same request is a no-op. */
export const merchantAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("auth")) return next();
  const header = c.req.header("authorization");
  if (header === undefined || header.trim() === "") {
    throw new ApiError(
      "authentication_required",
      "You did not provide an access token. Send it as 'Authorization: Bearer <token>'; get one from POST /v1/oauth/token.",
      { headers: { "WWW-Authenticate": 'Bearer realm="edgepay"' } },
    );
  }
  const token = BEARER.exec(header)?.[1];
  if (!token) throw invalidToken();
  const result = await verifyAccessTokenCached(await tokenConfig(c.env), token);
  if (!result.ok) throw invalidToken();
  const { merchantId, clientId, scopes, tokenId } = result.claims;
  // Checked on every request, cached token or not: revocation and suspension hold within its bound.
  const status = await callerStatus(c.env, clientId, merchantId);
  if (!status) throw invalidToken();
  c.set("auth", {
    merchantId,
    clientId,
    scopes: new Set(scopes),
    tokenId,
    rateLimit: status.rateLimit,
    routeReadAt: status.readAt,
  });
  c.set("merchantDb", status.db);
  return next();
});

/** Route guard: 403 `insufficient_scope` naming `scope` unless the token carries it. Checked when built. */
export function requireScope(scope: Scope) {
  if (!isScope(scope)) throw new Error(`requireScope: unknown scope ${String(scope)}`);
  return createMiddleware<AppEnv>(async (c, next) => {
    const auth = c.get("auth");
    if (!auth) throw new Error("requireScope used on a route without merchantAuth");
    if (!auth.scopes.has(scope)) {
      throw new ApiError("insufficient_scope", `This access token lacks the required scope: ${scope}.`, {
        headers: { "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${scope}"` },
        extra: { required_scope: scope },
      });
    }
    return next();
  });
}

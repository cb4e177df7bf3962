/**
 * Merchant authentication for `/v1/*`. Two credentials, one outcome:
 * - an OAuth2 access token (RFC 9068 JWT; a token verified before in this isolate is taken from
 *   crypto/verified-tokens.ts), whose client and merchant must still be active (the per-isolate
 *   status cache, db/access-status.ts);
 * - a Stripe-style API key (`sk_…`, `rk_…`, `pk_…`; domain/api-keys.ts) as `Bearer <key>` or as the
 *   Basic user name with an empty password, found by its keyed HMAC in the same status cache.
 * Either sets `c.var.auth` and `c.var.merchantDb` (the merchant's shard). `requireScope(scope)` then
 * guards each route; a publishable key is refused on every route not marked `allowPublishable`.
 *
 * Every credential failure gets the same 401 and message, so a caller cannot tell which check
 * failed, and the credential itself never appears in a response or log.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import { matchedRoutes } from "hono/route";
import { tokenConfig } from "../crypto/jwt";
import { hashClientSecret } from "../crypto/secrets";
import { verifyAccessTokenCached } from "../crypto/verified-tokens";
import { callerStatus, keyStatus } from "../db/access-status";
import type { Db } from "../db/client";
import { type ApiKeyKind, keyMode, looksLikeApiKey, parseApiKey } from "../domain/api-keys";
import { isScope, type Scope } from "../domain/scopes";
import { ApiError } from "../errors";
import { markScope } from "../lib/route-scopes";
import type { AppEnv, CredentialKind, MerchantAuth } from "../types";

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
const BASIC = /^Basic +([A-Za-z0-9+/]+=*) *$/i;

const KEY_CREDENTIAL = {
  secret: "secret_key",
  restricted: "restricted_key",
  publishable: "publishable_key",
} as const satisfies Record<ApiKeyKind, CredentialKind>;

function invalidToken(): ApiError {
  return new ApiError("invalid_token", "The access token or API key is invalid, expired or revoked.", {
    headers: { "WWW-Authenticate": 'Bearer error="invalid_token"' },
  });
}

/**
 * Route marker: a publishable key may call this route (today: tokenizing a card). Put it in the
 * route's `middleware` and list `publishableKey` in its `security`; merchantAuth finds it among the
 * matched handlers, so every unmarked route, present or future, refuses publishable keys.
 */
export const allowPublishable = createMiddleware<AppEnv>(async (_c, next) => next());

/** The OpenAPI `security` of a route a publishable key may call (beside `allowPublishable`). */
export const PUBLISHABLE_SECURITY: Record<string, string[]>[] = [{ merchantToken: [] }, { publishableKey: [] }];

/** The credential in the header: a Bearer token or key, or an API key as Basic user name with no password. */
function presented(header: string): string | undefined {
  const bearer = BEARER.exec(header)?.[1];
  if (bearer) return bearer;
  const basic = BASIC.exec(header)?.[1];
  if (!basic) return undefined;
  let text: string;
  try {
    text = atob(basic);
  } catch {
    return undefined;
  }
  // Stripe's form (`curl -u sk_test_…:`): the key, a colon, nothing after it.
  const user = text.endsWith(":") ? text.slice(0, -1) : "";
  return looksLikeApiKey(user) ? user : undefined;
}

type Caller = { auth: MerchantAuth; db: Db };

/** The caller behind an access token, or undefined when the token or its client or merchant is not valid. */
async function tokenCaller(env: Env, token: string): Promise<Caller | undefined> {
  const result = await verifyAccessTokenCached(await tokenConfig(env), token);
  if (!result.ok) return undefined;
  const { merchantId, clientId, scopes, tokenId } = result.claims;
  // Checked on every request, cached token or not: revocation and suspension hold within its bound.
  const status = await callerStatus(env, clientId, merchantId);
  if (!status) return undefined;
  const auth: MerchantAuth = {
    merchantId,
    clientId,
    scopes: new Set(scopes),
    tokenId,
    credential: "access_token",
    rateLimit: status.rateLimit,
    routeReadAt: status.readAt,
  };
  return { auth, db: status.db };
}

/** The caller behind an API key: shape and mode checked first (no lookup), then the key's HMAC in the status cache. */
async function keyCaller(env: Env, key: string): Promise<Caller | undefined> {
  const parsed = parseApiKey(key, keyMode(env.EDGEPAY_MODE));
  if (!parsed.ok) return undefined;
  const hash = await hashClientSecret(env.CLIENT_SECRET_PEPPER, key);
  const status = await keyStatus(env, hash, Math.floor(Date.now() / 1000));
  if (!status || status.kind !== parsed.kind) return undefined;
  const auth: MerchantAuth = {
    merchantId: status.merchantId,
    clientId: status.keyId,
    scopes: new Set(status.scopes),
    tokenId: status.keyId,
    credential: KEY_CREDENTIAL[status.kind],
    rateLimit: status.rateLimit,
    routeReadAt: status.readAt,
  };
  return { auth, db: status.db };
}

/** True when the route this request matched carries the `allowPublishable` marker. */
function publishableAllowed(c: Context<AppEnv>): boolean {
  return matchedRoutes(c).some((route) => route.handler === allowPublishable);
}

/** Verifies the merchant's access token or API key and sets `c.var.auth`; a second run on the same request is a no-op. */
export const merchantAuth = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("auth")) return next();
  const header = c.req.header("authorization");
  if (header === undefined || header.trim() === "") {
    throw new ApiError(
      "authentication_required",
      "You did not provide an access token or API key. Send it as 'Authorization: Bearer <token or key>'; get a token from POST /v1/oauth/token.",
      { headers: { "WWW-Authenticate": 'Bearer realm="edgepay"' } },
    );
  }
  const credential = presented(header);
  if (!credential) throw invalidToken();
  const caller = looksLikeApiKey(credential)
    ? await keyCaller(c.env, credential)
    : await tokenCaller(c.env, credential);
  if (!caller) throw invalidToken();
  // Before the gate, like a 401: a publishable key's refused call spends no rate-limit token.
  if (caller.auth.credential === "publishable_key" && !publishableAllowed(c)) {
    throw new ApiError(
      "publishable_key_not_allowed",
      "This API call cannot be made with a publishable API key. Use a secret or restricted key, or an access token.",
    );
  }
  c.set("auth", caller.auth);
  c.set("merchantDb", caller.db);
  return next();
});

/** Route guard: 403 `insufficient_scope` naming `scope` unless the token or key carries it. Checked when built. */
export function requireScope(scope: Scope) {
  if (!isScope(scope)) throw new Error(`requireScope: unknown scope ${String(scope)}`);
  const guard = createMiddleware<AppEnv>(async (c, next) => {
    const auth = c.get("auth");
    if (!auth) throw new Error("requireScope used on a route without merchantAuth");
    if (!auth.scopes.has(scope)) {
      throw new ApiError("insufficient_scope", `This access token or API key lacks the required scope: ${scope}.`, {
        headers: { "WWW-Authenticate": `Bearer error="insufficient_scope", scope="${scope}"` },
        extra: { required_scope: scope },
      });
    }
    return next();
  });
  return markScope(guard, { scope, publishable: false });
}

/**
 * Route guard of the routes a publishable key reaches with a client secret (retrieve and confirm
 * one intent): `requireScope(scope)` for every other credential; a publishable key passes, and the
 * handler then admits it only with the intent's client secret (payments/client-secret.ts).
 */
export function requireScopeOrPublishable(scope: Scope) {
  const guard = requireScope(scope);
  const either = createMiddleware<AppEnv>(async (c, next) =>
    c.get("auth")?.credential === "publishable_key" ? next() : guard(c, next),
  );
  return markScope(either, { scope, publishable: true });
}

/**
 * `POST /v1/oauth/token`: OAuth2 client credentials (RFC 6749 §4.4) issuing RFC 9068 access tokens,
 * and `GET /.well-known/jwks.json`: the public keys that verify them.
 *
 * Unlike every other route, errors here use RFC 6749 §5.2's body (`{error, error_description}`), so
 * standard OAuth2 clients understand them; app.ts routes body-parsing failures on this path here too.
 * Clients authenticate with HTTP Basic (`client_secret_basic`; id and secret form-urlencoded before
 * base64) or with `client_id`/`client_secret` in the body (`client_secret_post`), never both.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { fromBase64 } from "../crypto/encoding";
import { accessTokenTtl, publicJwks, signAccessToken, tokenConfig } from "../crypto/jwt";
import { verifyClientSecret } from "../crypto/secrets";
import { controlDb } from "../db/client";
import { type ClientPrincipal, findClientPrincipal, nowSeconds, touchClient } from "../db/merchants";
import { sourceKey } from "../domain/limits";
import { formatScopes, isScope, parseScopes } from "../domain/scopes";
import { authVerdict, refundAuthBudgets, takeAuthBudgets } from "../durable/client-throttle";
import { inBackground } from "../lib/http";
import { log } from "../lib/log";
import { meterError } from "../lib/meter";
import { errorResponses, NoQuery } from "../lib/openapi";
import type { App, AppEnv } from "../types";

/** The RFC 6749 §5.2 error codes this endpoint uses. */
export type OAuthErrorCode = "invalid_request" | "invalid_client" | "unsupported_grant_type" | "invalid_scope";

/** `last_used` is written at most this often per client, so token bursts do not each cost a D1 write. */
export const LAST_USED_RESOLUTION_SECONDS = 60;

/** The RFC 6749 error response: 400, or 401 with a Basic challenge for invalid_client. */
export function oauthError(c: Context<AppEnv>, error: OAuthErrorCode, description: string) {
  meterError(error);
  const headers: Record<string, string> = { "Cache-Control": "no-store", "Request-Id": c.var.requestId };
  const body = { error, error_description: description };
  if (error !== "invalid_client") return c.json(body, 400, headers);
  headers["WWW-Authenticate"] = 'Basic realm="edgepay", charset="UTF-8"';
  return c.json(body, 401, headers);
}

/** 429 for a source or client id over its failed-authentication budget, in the RFC 6749 body, with Retry-After. */
function throttled(c: Context<AppEnv>, retryAfterSec: number) {
  const headers = { "Cache-Control": "no-store", "Request-Id": c.var.requestId, "Retry-After": String(retryAfterSec) };
  const description = `Too many failed client authentications. Retry after ${retryAfterSec} seconds.`;
  return c.json({ error: "slow_down" as const, error_description: description }, 429, headers);
}

/**
 * Called on every failed client authentication: logs the event (never the secret). The counting
 * itself happens before the secret is checked (takeAuthBudgets in the handler), so parallel
 * guesses are bounded too.
 */
export function recordClientAuthFailure(c: Context<AppEnv>, clientId: string | undefined): void {
  log("warn", "oauth_client_auth_failed", {
    request_id: c.var.requestId,
    client_id: clientId !== undefined && /^cli_[0-9A-Za-z]{1,64}$/.test(clientId) ? clientId : null,
  });
}

type Credentials = { ok: true; id: string; secret: string } | { ok: false; error: OAuthErrorCode; why: string };

/** Reads the client's credentials from Basic auth or the body, rejecting mixtures and malformed input. */
function readCredentials(header: string | undefined, body: Record<string, unknown>): Credentials {
  const postId = body.client_id;
  const postSecret = body.client_secret;
  if (header !== undefined && /^basic /i.test(header)) {
    if (postSecret !== undefined) {
      return { ok: false, error: "invalid_request", why: "Use one client authentication method, not two." };
    }
    const basic = decodeBasic(header.slice(6).trim());
    if (!basic) return { ok: false, error: "invalid_client", why: "Malformed Basic credentials." };
    if (postId !== undefined && postId !== basic.id) {
      return { ok: false, error: "invalid_request", why: "client_id in the body does not match Basic credentials." };
    }
    return { ok: true, ...basic };
  }
  if (header !== undefined) return { ok: false, error: "invalid_client", why: "Unsupported authentication scheme." };
  if (typeof postId === "string" && typeof postSecret === "string" && postId !== "" && postSecret !== "") {
    return { ok: true, id: postId, secret: postSecret };
  }
  return { ok: false, error: "invalid_client", why: "Client authentication is required." };
}

/** RFC 6749 §2.3.1: base64 of `urlencode(id):urlencode(secret)`. */
function decodeBasic(b64: string): { id: string; secret: string } | undefined {
  try {
    const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(fromBase64(b64));
    const colon = text.indexOf(":");
    if (colon < 0) return undefined;
    const decode = (s: string) => decodeURIComponent(s.replaceAll("+", " "));
    const id = decode(text.slice(0, colon));
    const secret = decode(text.slice(colon + 1));
    return id !== "" && secret !== "" ? { id, secret } : undefined;
  } catch {
    return undefined;
  }
}

/** A stand-in verifier so an unknown client id costs the same HMAC as a known one. */
const DUMMY_HASH = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

const TokenResponse = z
  .object({
    access_token: z
      .string()
      .openapi({ description: "The access token: a signed JWT to send as `Authorization: Bearer …`." }),
    token_type: z.literal("Bearer").openapi({ description: "Always `Bearer`." }),
    expires_in: z
      .int()
      .openapi({ description: "Seconds until the token expires (ACCESS_TOKEN_TTL, at most 3600).", example: 900 }),
    scope: z
      .string()
      .openapi({ description: "The scopes granted, space-separated.", example: "payments:read payments:write" }),
  })
  .openapi("AccessTokenResponse");

const OAuthErrorSchema = z
  .object({
    error: z
      .enum(["invalid_request", "invalid_client", "unsupported_grant_type", "invalid_scope", "slow_down"])
      .openapi({ description: "The RFC 6749 §5.2 error code.", example: "invalid_client" }),
    error_description: z.string().openapi({
      description: "A human-readable explanation.",
      example: "Client authentication failed.",
    }),
  })
  .openapi("OAuthError");

const TokenRequest = z
  .object({
    grant_type: z.literal("client_credentials").openapi({ description: "Always `client_credentials`." }),
    scope: z.string().optional().openapi({
      description: "Space-separated subset of the client's scopes; default: all of them.",
      example: "payments:read payments:write",
    }),
    client_id: z
      .string()
      .optional()
      .openapi({ description: "The client's id (`cli_…`); client_secret_post only (else HTTP Basic)." }),
    client_secret: z
      .string()
      .optional()
      .openapi({ description: "The client's secret; client_secret_post only (else HTTP Basic)." }),
  })
  .openapi("AccessTokenRequest");

const tokenRoute = createRoute({
  method: "post",
  path: "/v1/oauth/token",
  tags: ["OAuth"],
  security: [],
  summary: "Get an access token with client credentials",
  description:
    "RFC 6749 §4.4. Authenticate with HTTP Basic (client_secret_basic) or client_id/client_secret in the body. " +
    "Errors use RFC 6749 §5.2 bodies, not the error envelope.",
  // A $ref, not the zod schema: the handler validates the body itself so errors keep the RFC 6749 shape.
  request: {
    body: {
      required: true,
      content: { "application/x-www-form-urlencoded": { schema: { $ref: "#/components/schemas/AccessTokenRequest" } } },
    },
  },
  responses: {
    200: { description: "An access token", content: { "application/json": { schema: TokenResponse } } },
    400: {
      description: "invalid_request, unsupported_grant_type or invalid_scope",
      content: { "application/json": { schema: OAuthErrorSchema } },
    },
    401: { description: "invalid_client", content: { "application/json": { schema: OAuthErrorSchema } } },
    429: {
      description:
        "slow_down: too many failed authentications from this source, or wrong secrets for this client id (see Retry-After)",
      content: { "application/json": { schema: OAuthErrorSchema } },
    },
  },
});

const jwksRoute = createRoute({
  method: "get",
  path: "/.well-known/jwks.json",
  tags: ["OAuth"],
  security: [],
  summary: "Public keys that verify access tokens",
  request: { query: NoQuery },
  responses: {
    ...errorResponses(400),
    200: {
      description: "A JWK Set",
      content: {
        "application/json": {
          schema: z
            .object({
              keys: z
                .array(z.record(z.string(), z.string()))
                .openapi({ description: "The public keys (JWKs) that verify access tokens, each named by its `kid`." }),
            })
            .openapi("JwkSet"),
        },
      },
    },
  },
});

/** Seconds a JWKS response may be cached; key rotation waits at least this long between steps. */
export const JWKS_MAX_AGE_SECONDS = 300;

/** Registers the token endpoint and the JWKS. */
export function registerOAuth(app: App): void {
  app.openAPIRegistry.register("AccessTokenRequest", TokenRequest);
  app.openapi(tokenRoute, async (c) => {
    const body = c.var.body;
    for (const name of ["grant_type", "scope", "client_id", "client_secret"]) {
      if (body[name] !== undefined && typeof body[name] !== "string") {
        return oauthError(c, "invalid_request", `The ${name} parameter must be a single string.`);
      }
    }
    // RFC 6749 §3.2: parameters sent without a value are treated as omitted.
    const param = (name: string) => (body[name] === "" ? undefined : (body[name] as string | undefined));
    const grantType = param("grant_type");
    if (grantType === undefined) return oauthError(c, "invalid_request", "Missing grant_type.");
    if (grantType !== "client_credentials") {
      return oauthError(c, "unsupported_grant_type", "Only the client_credentials grant is supported.");
    }

    const creds = readCredentials(c.req.header("authorization"), body);
    if (!creds.ok) {
      if (creds.error === "invalid_client") recordClientAuthFailure(c, undefined);
      return oauthError(c, creds.error, creds.why);
    }
    // Brute-force throttle (durable/client-throttle.ts): the budgets are taken in parallel with the
    // lookup and HMAC, and decide only what a failure, or a source over its own limit, is told.
    const db = controlDb(c.env);
    const [budgets, client] = await Promise.all([
      takeAuthBudgets(c.env, creds.id, sourceKey(c.req.header("cf-connecting-ip"))),
      findClientPrincipal(db, creds.id),
    ]);
    const secretOk = await verifyClientSecret(
      c.env.CLIENT_SECRET_PEPPER,
      creds.secret,
      client?.secretHash ?? DUMMY_HASH,
    );
    const verdict = authVerdict(budgets);
    if (verdict.kind === "source_limited") return throttled(c, verdict.retryAfterSec);
    if (!client || !secretOk || client.clientStatus !== "active" || client.merchantStatus !== "active") {
      recordClientAuthFailure(c, creds.id);
      if (verdict.kind === "wrong_secret_limited") return throttled(c, verdict.retryAfterSec);
      return oauthError(c, "invalid_client", "Client authentication failed.");
    }

    inBackground(c, "client_auth_refund_failed", refundAuthBudgets(c.env, budgets));
    const granted = grantScopes(client, param("scope"));
    if (!granted.ok) return oauthError(c, "invalid_scope", granted.why);

    const ttl = accessTokenTtl(c.env);
    const now = nowSeconds();
    const accessToken = await signAccessToken(
      await tokenConfig(c.env),
      {
        merchantId: client.merchantId,
        clientId: client.clientId,
        scopes: granted.scopes,
        ttlSeconds: ttl,
      },
      now,
    );
    if (client.lastUsed === null || now - client.lastUsed >= LAST_USED_RESOLUTION_SECONDS) {
      inBackground(c, "client_last_used_failed", touchClient(db, client.clientId, now).run());
    }
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json(
      {
        access_token: accessToken,
        token_type: "Bearer" as const,
        expires_in: ttl,
        scope: formatScopes(granted.scopes),
      },
      200,
    );
  });

  app.openapi(jwksRoute, async (c) => {
    const { keys } = await tokenConfig(c.env);
    c.header("Cache-Control", `public, max-age=${JWKS_MAX_AGE_SECONDS}`);
    return c.json(publicJwks(keys) as { keys: Record<string, string>[] }, 200);
  });
}

/** The scopes to grant: the requested subset of the client's scopes, or all of them when none is requested. */
function grantScopes(
  client: ClientPrincipal,
  requested: string | undefined,
): { ok: true; scopes: string[] } | { ok: false; why: string } {
  // A stored scope that is no longer known (the set shrank) is simply not granted.
  const allowed = client.scopes.split(" ").filter(isScope);
  if (requested === undefined) return { ok: true, scopes: allowed };
  const asked = parseScopes(requested);
  if (!asked.ok) return { ok: false, why: `Unknown scope: ${asked.unknown.slice(0, 64)}.` };
  const missing = asked.scopes.find((s) => !allowed.includes(s));
  if (missing) return { ok: false, why: `The client is not allowed the scope ${missing}.` };
  if (asked.scopes.length === 0) return { ok: false, why: "No scope requested." };
  return { ok: true, scopes: asked.scopes };
}

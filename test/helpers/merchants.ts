/**
 * Test merchants. `newMerchant()` goes through the real operator API and token endpoint (create
 * merchant, create client, client-credentials token); `tokenFor()` signs a token with any scopes
 * for an existing merchant's client, for tests that need a scope set the endpoint would not grant.
 */
import { env } from "cloudflare:workers";
import { accessTokenTtl, signAccessToken, tokenConfig } from "../../src/crypto/jwt";
import { call, json } from "./http";

/** A merchant created for a test, with credentials ready to use. */
export interface TestMerchant {
  merchantId: string;
  clientId: string;
  clientSecret: string;
  /** An access token carrying the client's scopes. */
  token: string;
  /** `{ authorization: "Bearer <token>" }`. */
  headers: { authorization: string };
}

/** Authorization header of the operator API. */
export function operatorHeaders(): { authorization: string } {
  return { authorization: `Bearer ${env.OPERATOR_TOKEN}` };
}

/** Sends an operator API request with a JSON body (or none) and returns the parsed 200 body; throws otherwise. */
export async function operator<T = Record<string, unknown>>(path: string, body?: unknown): Promise<T> {
  const init = body === undefined ? { method: "GET" } : json(body);
  const res = await call(path, { ...init, headers: { ...init.headers, ...operatorHeaders() } });
  if (res.status !== 200) throw new Error(`operator ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * Creates an active merchant and client (all scopes unless `scopes` is given) and a token for it.
 * `rateLimit` sets the merchant's requests/s through the operator API (default: RATE_LIMIT_DEFAULT);
 * tests that burst more than that at one merchant must raise it, or they test the rate limiter.
 */
export async function newMerchant(
  opts: { name?: string; scopes?: readonly string[]; rateLimit?: number } = {},
): Promise<TestMerchant> {
  const merchant = await operator<{ id: string }>("/admin/v1/merchants", {
    name: opts.name ?? "Test merchant",
    ...(opts.rateLimit === undefined ? {} : { rate_limit: opts.rateLimit }),
  });
  const client = await operator<{ id: string; client_secret: string }>(
    `/admin/v1/merchants/${merchant.id}/clients`,
    opts.scopes ? { scopes: opts.scopes } : {},
  );
  const res = await call("/v1/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: client.id,
      client_secret: client.client_secret,
    }).toString(),
  });
  if (res.status !== 200) throw new Error(`token: ${res.status} ${await res.text()}`);
  const { access_token: token } = (await res.json()) as { access_token: string };
  return {
    merchantId: merchant.id,
    clientId: client.id,
    clientSecret: client.client_secret,
    token,
    headers: { authorization: `Bearer ${token}` },
  };
}

/** A fresh token for the merchant's client carrying exactly `scopes`, with its Authorization header. */
export async function tokenFor(
  merchant: Pick<TestMerchant, "merchantId" | "clientId">,
  scopes: readonly string[],
): Promise<{ token: string; headers: { authorization: string } }> {
  const token = await signAccessToken(await tokenConfig(env), {
    merchantId: merchant.merchantId,
    clientId: merchant.clientId,
    scopes,
    ttlSeconds: accessTokenTtl(env),
  });
  return { token, headers: { authorization: `Bearer ${token}` } };
}

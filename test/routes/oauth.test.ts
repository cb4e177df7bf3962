/** POST /v1/oauth/token and GET /.well-known/jwks.json: the happy paths. */
import { env, exports } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, type JSONWebKeySet, jwtVerify } from "jose";
import * as oauth from "oauth4webapi";
import { describe, expect, it } from "vitest";
import { SCOPES } from "../../src/domain/scopes";
import { BASE, call } from "../helpers/http";
import { newMerchant, operator } from "../helpers/merchants";
import { basic, tokenRequest } from "../helpers/oauth";

interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope: string;
}

describe("POST /v1/oauth/token", () => {
  it("issues a token for client_secret_basic, which verifies against the served JWKS and calls a protected route", async () => {
    const m = await newMerchant();
    const res = await tokenRequest(
      { grant_type: "client_credentials" },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as TokenBody;
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: "Bearer",
      expires_in: Number(env.ACCESS_TOKEN_TTL),
      scope: SCOPES.join(" "),
    });

    const jwks = (await (await call("/.well-known/jwks.json")).json()) as JSONWebKeySet;
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), {
      issuer: env.JWT_ISSUER,
      audience: env.JWT_AUDIENCE,
      typ: "at+jwt",
      algorithms: ["ES256"],
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: m.merchantId, client_id: m.clientId, scope: SCOPES.join(" ") });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(Number(env.ACCESS_TOKEN_TTL));

    const account = await call("/v1/account", { headers: { authorization: `Bearer ${body.access_token}` } });
    expect(account.status).toBe(200);
    expect(await account.json()).toMatchObject({ id: m.merchantId, client_id: m.clientId });
  });

  it("issues a token for client_secret_post", async () => {
    const m = await newMerchant();
    const res = await tokenRequest({
      grant_type: "client_credentials",
      client_id: m.clientId,
      client_secret: m.clientSecret,
    });
    expect(res.status).toBe(200);
    const { access_token } = (await res.json()) as TokenBody;
    expect((await call("/v1/account", { headers: { authorization: `Bearer ${access_token}` } })).status).toBe(200);
  });

  it("grants a requested subset of the client's scopes, in canonical order", async () => {
    const m = await newMerchant({ scopes: ["payments:read", "payments:write", "refunds:read"] });
    const res = await tokenRequest(
      { grant_type: "client_credentials", scope: "refunds:read payments:read" },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as TokenBody).scope).toBe("payments:read refunds:read");
  });

  it("treats an empty scope parameter as omitted", async () => {
    const m = await newMerchant({ scopes: ["balance:read"] });
    const res = await tokenRequest(
      { grant_type: "client_credentials", scope: "" },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    expect(((await res.json()) as TokenBody).scope).toBe("balance:read");
  });

  it("records last_used on the client without the caller waiting for it", async () => {
    const m = await newMerchant();
    // newMerchant obtained a token already; waitUntil work finishes shortly after the response.
    let lastUsed: number | null = null;
    for (let i = 0; i < 50 && lastUsed === null; i++) {
      const row = await env.DB.prepare("select last_used from api_clients where client_id = ?")
        .bind(m.clientId)
        .first<{ last_used: number | null }>();
      lastUsed = row?.last_used ?? null;
      if (lastUsed === null) await new Promise((r) => setTimeout(r, 20));
    }
    expect(lastUsed).toBeGreaterThan(Math.floor(Date.now() / 1000) - 60);
    const list = await operator<{ data: { id: string; last_used: number | null }[] }>(
      `/admin/v1/merchants/${m.merchantId}/clients`,
    );
    expect(list.data[0]?.last_used).toBe(lastUsed);
  });

  it("works with a standard OAuth2 client library (oauth4webapi)", async () => {
    const m = await newMerchant({ scopes: ["payments:read", "payments:write"] });
    const as: oauth.AuthorizationServer = { issuer: env.JWT_ISSUER, token_endpoint: `${BASE}/v1/oauth/token` };
    const client: oauth.Client = { client_id: m.clientId };
    const options = {
      [oauth.customFetch]: (url: string, init: RequestInit) => exports.default.fetch(new Request(url, init)),
      [oauth.allowInsecureRequests]: true,
    };
    for (const auth of [oauth.ClientSecretBasic(m.clientSecret), oauth.ClientSecretPost(m.clientSecret)]) {
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: "payments:read" }, options);
      const result = await oauth.processClientCredentialsResponse(as, client, response);
      expect(result.token_type).toBe("bearer");
      expect(result.scope).toBe("payments:read");
      expect(decodeProtectedHeader(result.access_token).typ).toBe("at+jwt");
      const account = await call("/v1/account", { headers: { authorization: `Bearer ${result.access_token}` } });
      expect(account.status).toBe(200);
    }
  });
});

describe("GET /.well-known/jwks.json", () => {
  it("publishes every configured key's public half with a cache lifetime", async () => {
    const res = await call("/.well-known/jwks.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const { keys } = (await res.json()) as { keys: Record<string, string>[] };
    const configured = JSON.parse(env.JWT_SIGNING_KEYS) as { kid: string; d: string }[];
    expect(keys.map((k) => k.kid)).toEqual(configured.map((k) => k.kid));
    for (const k of keys) expect(k).not.toHaveProperty("d");
    const text = JSON.stringify(keys);
    for (const k of configured) expect(text).not.toContain(k.d);
  });
});

describe("OpenAPI", () => {
  it("documents the token request body, which the handler validates itself", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, { post?: { requestBody?: { content: Record<string, { schema: { $ref: string } }> } } }>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const body = doc.paths["/v1/oauth/token"]?.post?.requestBody?.content["application/x-www-form-urlencoded"];
    expect(body?.schema.$ref).toBe("#/components/schemas/AccessTokenRequest");
    expect(Object.keys(doc.components.schemas.AccessTokenRequest?.properties ?? {})).toEqual([
      "grant_type",
      "scope",
      "client_id",
      "client_secret",
    ]);
  });
});

/** POST /v1/oauth/token: every RFC 6749 §5.2 error, and credentials that need careful decoding. */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { hashClientSecret } from "../../src/crypto/secrets";
import { controlDb } from "../../src/db/client";
import { insertClient, nowSeconds } from "../../src/db/merchants";
import { newId } from "../../src/lib/ids";
import { call } from "../helpers/http";
import { newMerchant, operator } from "../helpers/merchants";
import { basic, type OAuthErrorBody, tokenRequest } from "../helpers/oauth";

const grant = { grant_type: "client_credentials" };

async function expectOAuthError(res: Response, status: number, error: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  const body = (await res.json()) as OAuthErrorBody;
  expect(body).toEqual({ error, error_description: expect.any(String) });
  return body;
}

describe("client secrets that need form-urlencoding inside Basic", () => {
  it("accepts a secret containing ':' and '+' sent over Basic, and over post", async () => {
    const m = await newMerchant();
    // Generated secrets are base64url; a client registered elsewhere could hold any characters.
    const secret = "s3cr:et+with/odd=chars%and spaces:++";
    const clientId = newId("cli");
    const db = controlDb(env);
    await insertClient(db, {
      clientId,
      merchantId: m.merchantId,
      secretHash: await hashClientSecret(env.CLIENT_SECRET_PEPPER, secret),
      scopes: "payments:read",
      created: nowSeconds(),
    });
    expect((await tokenRequest(grant, { authorization: basic(clientId, secret) })).status).toBe(200);
    expect((await tokenRequest({ ...grant, client_id: clientId, client_secret: secret })).status).toBe(200);
    // Without the form-urlencoding step, '+' decodes to a space and the secret no longer matches.
    const raw = `Basic ${btoa(`${clientId}:${secret}`)}`;
    await expectOAuthError(await tokenRequest(grant, { authorization: raw }), 401, "invalid_client");
  });
});

describe("invalid_request", () => {
  it("when grant_type is missing", async () => {
    const m = await newMerchant();
    await expectOAuthError(
      await tokenRequest({}, { authorization: basic(m.clientId, m.clientSecret) }),
      400,
      "invalid_request",
    );
  });

  it("when a parameter is repeated", async () => {
    const m = await newMerchant();
    const res = await call("/v1/oauth/token", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: basic(m.clientId, m.clientSecret),
      },
      body: "grant_type=client_credentials&grant_type=client_credentials",
    });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("when the body is not parseable", async () => {
    const res = await call("/v1/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("when a parameter is not a string", async () => {
    const m = await newMerchant();
    const res = await call("/v1/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json", authorization: basic(m.clientId, m.clientSecret) },
      body: JSON.stringify({ grant_type: ["client_credentials"] }),
    });
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("when the client uses Basic and client_secret_post at once", async () => {
    const m = await newMerchant();
    const res = await tokenRequest(
      { ...grant, client_id: m.clientId, client_secret: m.clientSecret },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    await expectOAuthError(res, 400, "invalid_request");
  });

  it("when the body client_id contradicts Basic", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const res = await tokenRequest(
      { ...grant, client_id: b.clientId },
      { authorization: basic(a.clientId, a.clientSecret) },
    );
    await expectOAuthError(res, 400, "invalid_request");
  });
});

describe("invalid_client", () => {
  async function expectInvalidClient(res: Response) {
    await expectOAuthError(res, 401, "invalid_client");
    expect(res.headers.get("WWW-Authenticate")).toBe('Basic realm="edgepay", charset="UTF-8"');
  }

  it("for a wrong secret over Basic, with a Basic challenge", async () => {
    const m = await newMerchant();
    await expectInvalidClient(await tokenRequest(grant, { authorization: basic(m.clientId, `${m.clientSecret}x`) }));
  });

  it("for a wrong secret over post", async () => {
    const m = await newMerchant();
    await expectInvalidClient(await tokenRequest({ ...grant, client_id: m.clientId, client_secret: "nope" }));
  });

  it("for an unknown client, with the same answer as a wrong secret", async () => {
    const res = await tokenRequest(grant, { authorization: basic(newId("cli"), "eps_whatever") });
    await expectInvalidClient(res);
  });

  it("without any client authentication", async () => {
    await expectInvalidClient(await tokenRequest(grant));
  });

  it("for malformed Basic credentials", async () => {
    for (const authorization of ["Basic !!!", `Basic ${btoa("no-colon")}`, `Basic ${btoa("cli_x:%zz")}`, "Basic "]) {
      await expectInvalidClient(await tokenRequest(grant, { authorization }));
    }
  });

  it("for an unsupported authentication scheme", async () => {
    const m = await newMerchant();
    await expectInvalidClient(await tokenRequest(grant, { authorization: `Bearer ${m.token}` }));
  });

  it("for a revoked client", async () => {
    const m = await newMerchant();
    await operator(`/admin/v1/merchants/${m.merchantId}/clients/${m.clientId}/revoke`, {});
    await expectInvalidClient(await tokenRequest(grant, { authorization: basic(m.clientId, m.clientSecret) }));
  });

  it("for a suspended merchant's client", async () => {
    const m = await newMerchant();
    await operator(`/admin/v1/merchants/${m.merchantId}/suspend`, {});
    await expectInvalidClient(await tokenRequest(grant, { authorization: basic(m.clientId, m.clientSecret) }));
  });
});

describe("unsupported_grant_type", () => {
  it.each(["authorization_code", "password", "refresh_token", "CLIENT_CREDENTIALS"])("for %s", async (grantType) => {
    const m = await newMerchant();
    const res = await tokenRequest({ grant_type: grantType }, { authorization: basic(m.clientId, m.clientSecret) });
    await expectOAuthError(res, 400, "unsupported_grant_type");
  });
});

describe("invalid_scope", () => {
  it("for a scope the client does not hold", async () => {
    const m = await newMerchant({ scopes: ["payments:read"] });
    const res = await tokenRequest(
      { ...grant, scope: "payments:read payments:write" },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    const body = await expectOAuthError(res, 400, "invalid_scope");
    expect(body.error_description).toContain("payments:write");
  });

  it("for an unknown scope", async () => {
    const m = await newMerchant();
    const res = await tokenRequest({ ...grant, scope: "admin" }, { authorization: basic(m.clientId, m.clientSecret) });
    await expectOAuthError(res, 400, "invalid_scope");
  });

  it("for a scope of only spaces", async () => {
    const m = await newMerchant();
    const res = await tokenRequest({ ...grant, scope: "   " }, { authorization: basic(m.clientId, m.clientSecret) });
    await expectOAuthError(res, 400, "invalid_scope");
  });
});

describe("failure responses", () => {
  it("never echo the client secret", async () => {
    const m = await newMerchant();
    const res = await tokenRequest({ ...grant, client_id: m.clientId, client_secret: `${m.clientSecret}WRONG` });
    expect(await res.text()).not.toContain(m.clientSecret);
  });

  it("record each failed client authentication (the throttling hook) without the secret", async () => {
    const m = await newMerchant();
    const lines: string[] = [];
    const spy = vi.spyOn(console, "warn").mockImplementation((line: unknown) => void lines.push(String(line)));
    const res = await tokenRequest(grant, { authorization: basic(m.clientId, `${m.clientSecret}WRONG`) }).finally(() =>
      spy.mockRestore(),
    );
    expect(res.status).toBe(401);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toEqual({
      level: "warn",
      event: "oauth_client_auth_failed",
      request_id: res.headers.get("Request-Id"),
      client_id: m.clientId,
    });
    expect(lines[0]).not.toContain(m.clientSecret);
  });
});

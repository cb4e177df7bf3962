/**
 * The attack suite against merchant authentication: forged, altered or misdirected tokens, and
 * valid tokens of suspended merchants or revoked clients. Every case must get 401 invalid_token.
 */
import { env } from "cloudflare:workers";
import {
  base64url,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTHeaderParameters,
  type JWTPayload,
  SignJWT,
} from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { STATUS_CACHE_TTL_MS } from "../../src/db/access-status";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";

const configured = (JSON.parse(env.JWT_SIGNING_KEYS) as JWK[])[0] as JWK & { kid: string };
const publicJwk: JWK = { kty: "EC", crv: "P-256", x: configured.x, y: configured.y };
const now = () => Math.floor(Date.now() / 1000);

/** Claims of a well-formed token for `m`; cases override one thing at a time. */
function claimsFor(m: TestMerchant): JWTPayload {
  return {
    iss: env.JWT_ISSUER,
    aud: env.JWT_AUDIENCE,
    sub: m.merchantId,
    client_id: m.clientId,
    scope: "payments:read",
    iat: now(),
    exp: now() + 300,
    jti: crypto.randomUUID(),
  };
}

const goodHeader = (): JWTHeaderParameters => ({ alg: "ES256", typ: "at+jwt", kid: configured.kid });

async function sign(claims: JWTPayload, header: JWTHeaderParameters = goodHeader(), key?: CryptoKey | Uint8Array) {
  return new SignJWT(claims).setProtectedHeader(header).sign(key ?? (await importJWK(configured, "ES256")));
}

function encode(part: object): string {
  return base64url.encode(JSON.stringify(part));
}

async function expectRefused(token: string) {
  const res = await call("/v1/account", { headers: { authorization: `Bearer ${token}` } });
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  const body = (await res.json()) as ErrorBody;
  expect(body.error).toMatchObject({ type: "authentication_error", code: "invalid_token" });
  expect(JSON.stringify(body)).not.toContain(token.split(".")[1] ?? "-");
}

describe("access-token attacks", () => {
  it("control: the forging helper makes tokens the gateway accepts", async () => {
    const m = await newMerchant();
    const res = await call("/v1/account", { headers: { authorization: `Bearer ${await sign(claimsFor(m))}` } });
    expect(res.status).toBe(200);
  });

  it("refuses alg none", async () => {
    const m = await newMerchant();
    await expectRefused(`${encode({ alg: "none", typ: "at+jwt", kid: configured.kid })}.${encode(claimsFor(m))}.`);
  });

  it("refuses HS256 signed with the public key as SPKI PEM", async () => {
    const m = await newMerchant();
    const pem = await exportSPKI((await importJWK(publicJwk, "ES256")) as CryptoKey);
    const header = { alg: "HS256", typ: "at+jwt", kid: configured.kid };
    await expectRefused(await sign(claimsFor(m), header, new TextEncoder().encode(pem)));
  });

  it("refuses HS256 signed with the public key as JWK JSON", async () => {
    const m = await newMerchant();
    const header = { alg: "HS256", typ: "at+jwt", kid: configured.kid };
    await expectRefused(await sign(claimsFor(m), header, new TextEncoder().encode(JSON.stringify(publicJwk))));
  });

  it("refuses an unknown kid", async () => {
    const m = await newMerchant();
    await expectRefused(await sign(claimsFor(m), { ...goodHeader(), kid: "not-a-configured-kid" }));
  });

  it("refuses a token without kid", async () => {
    const m = await newMerchant();
    await expectRefused(await sign(claimsFor(m), { alg: "ES256", typ: "at+jwt" }));
  });

  it("refuses an expired token", async () => {
    const m = await newMerchant();
    await expectRefused(await sign({ ...claimsFor(m), iat: now() - 3600, exp: now() - 60 }));
  });

  it("refuses nbf in the future", async () => {
    const m = await newMerchant();
    await expectRefused(await sign({ ...claimsFor(m), nbf: now() + 120 }));
  });

  it("refuses the wrong issuer", async () => {
    const m = await newMerchant();
    await expectRefused(await sign({ ...claimsFor(m), iss: "https://evil.example" }));
  });

  it("refuses the wrong audience", async () => {
    const m = await newMerchant();
    await expectRefused(await sign({ ...claimsFor(m), aud: "someone-else" }));
  });

  it("refuses the wrong typ", async () => {
    const m = await newMerchant();
    await expectRefused(await sign(claimsFor(m), { ...goodHeader(), typ: "JWT" }));
  });

  it("refuses a token without exp", async () => {
    const m = await newMerchant();
    const { exp: _exp, ...claims } = claimsFor(m);
    await expectRefused(await sign(claims));
  });

  it("refuses a token without client_id", async () => {
    const m = await newMerchant();
    const { client_id: _c, ...claims } = claimsFor(m);
    await expectRefused(await sign(claims));
  });

  it("refuses a tampered payload (another merchant's id, original signature)", async () => {
    const victim = await newMerchant();
    const attacker = await newMerchant();
    const [header, , signature] = attacker.token.split(".");
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(attacker.token.split(".")[1] ?? "")));
    await expectRefused(`${header}.${encode({ ...payload, sub: victim.merchantId })}.${signature}`);
  });

  it("refuses a token signed by another deployment's key, even under our kid", async () => {
    const m = await newMerchant();
    const { privateKey } = await generateKeyPair("ES256", { extractable: true });
    const foreign = await importJWK({ ...(await exportJWK(privateKey)) }, "ES256");
    await expectRefused(await sign(claimsFor(m), goodHeader(), foreign as CryptoKey));
  });

  it("refuses a token whose client belongs to another merchant", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    await expectRefused(await sign({ ...claimsFor(a), client_id: b.clientId }));
  });
});

describe("suspension and revocation", () => {
  it("refuses an unexpired token of a suspended merchant", async () => {
    const m = await newMerchant();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    await operator(`/admin/v1/merchants/${m.merchantId}/suspend`, {});
    await expectRefused(m.token);
  });

  it("accepts the same token again once the merchant is reactivated", async () => {
    const m = await newMerchant();
    await operator(`/admin/v1/merchants/${m.merchantId}/suspend`, {});
    await expectRefused(m.token);
    await operator(`/admin/v1/merchants/${m.merchantId}/reactivate`, {});
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
  });

  it("refuses an unexpired token of a revoked client", async () => {
    const m = await newMerchant();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    await operator(`/admin/v1/merchants/${m.merchantId}/clients/${m.clientId}/revoke`, {});
    await expectRefused(m.token);
  });

  it("refuses a merchant access token on the operator API", async () => {
    const m = await newMerchant();
    for (const [path, method] of [
      ["/admin/v1/merchants", "GET"],
      ["/admin/v1/merchants", "POST"],
      [`/admin/v1/merchants/${m.merchantId}`, "GET"],
      [`/admin/v1/merchants/${m.merchantId}/reactivate`, "POST"],
    ] as const) {
      const res = await call(path, {
        method,
        headers: { ...m.headers, "content-type": "application/json" },
        body: method === "POST" ? "{}" : null,
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe("invalid_token");
    }
  });
});

describe("status changes made elsewhere", () => {
  afterEach(() => vi.useRealTimers());

  it("are picked up once the status cache TTL has passed", async () => {
    const m = await newMerchant();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    // Suspend behind the cache's back, as another isolate's operator request would.
    await env.DB.prepare("update merchants set status = 'suspended' where id = ?").bind(m.merchantId).run();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + STATUS_CACHE_TTL_MS);
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(401);
  });
});

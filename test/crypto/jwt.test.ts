/** Access-token signing and verification at the function level, including key rotation. */
import { env } from "cloudflare:workers";
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import {
  accessTokenTtl,
  importKeySet,
  loadKeySet,
  publicJwks,
  signAccessToken,
  type TokenConfig,
  verifyAccessToken,
} from "../../src/crypto/jwt";
import { signingJwk } from "../helpers/keys";

async function config(jwks: object[]): Promise<TokenConfig> {
  return { issuer: "https://issuer.test", audience: "edgepay", keys: await importKeySet(JSON.stringify(jwks)) };
}

const request = { merchantId: "mer_1", clientId: "cli_1", scopes: ["payments:read"], ttlSeconds: 60 };

describe("signAccessToken", () => {
  it("writes an RFC 9068 header and the required claims", async () => {
    const cfg = await config([await signingJwk("a")]);
    const now = 1_800_000_000;
    const token = await signAccessToken(cfg, request, now);
    expect(decodeProtectedHeader(token)).toEqual({ alg: "ES256", typ: "at+jwt", kid: "a" });
    const { payload } = await jwtVerify(token, createLocalJWKSet(publicJwks(cfg.keys)), {
      currentDate: new Date(now * 1000),
    });
    expect(payload).toMatchObject({
      iss: "https://issuer.test",
      aud: "edgepay",
      sub: "mer_1",
      client_id: "cli_1",
      scope: "payments:read",
      iat: now,
      exp: now + 60,
    });
    expect(payload.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("gives every token its own jti", async () => {
    const cfg = await config([await signingJwk("a")]);
    const [a, b] = await Promise.all([signAccessToken(cfg, request), signAccessToken(cfg, request)]);
    const ra = await verifyAccessToken(cfg, a);
    const rb = await verifyAccessToken(cfg, b);
    expect(ra.ok && rb.ok && ra.claims.tokenId !== rb.claims.tokenId).toBe(true);
  });
});

describe("verifyAccessToken", () => {
  it("returns the merchant, client, scopes and token id", async () => {
    const cfg = await config([await signingJwk("a")]);
    const result = await verifyAccessToken(cfg, await signAccessToken(cfg, request));
    expect(result).toMatchObject({
      ok: true,
      claims: { merchantId: "mer_1", clientId: "cli_1", scopes: ["payments:read"] },
    });
  });

  it("reports an expired token as expired", async () => {
    const cfg = await config([await signingJwk("a")]);
    const token = await signAccessToken(cfg, request, Math.floor(Date.now() / 1000) - 3600);
    expect(await verifyAccessToken(cfg, token)).toEqual({ ok: false, reason: "expired" });
  });

  it("refuses garbage without throwing", async () => {
    const cfg = await config([await signingJwk("a")]);
    for (const junk of ["", "a.b.c", "x", "....", "eyJhbGciOiJFUzI1NiJ9.e30."]) {
      expect(await verifyAccessToken(cfg, junk)).toEqual({ ok: false, reason: "invalid" });
    }
  });
});

describe("key rotation", () => {
  it("signs with the first key and verifies tokens from every configured key", async () => {
    const oldKey = await signingJwk("old");
    const newKey = await signingJwk("new");
    const before = await config([oldKey]);
    const during = await config([newKey, oldKey]);
    const oldToken = await signAccessToken(before, request);
    const newToken = await signAccessToken(during, request);
    expect(decodeProtectedHeader(newToken).kid).toBe("new");
    expect((await verifyAccessToken(during, oldToken)).ok).toBe(true);
    expect((await verifyAccessToken(during, newToken)).ok).toBe(true);
  });

  it("refuses tokens of a key once it is removed", async () => {
    const oldKey = await signingJwk("old");
    const newKey = await signingJwk("new");
    const oldToken = await signAccessToken(await config([oldKey]), request);
    const after = await config([newKey]);
    expect(await verifyAccessToken(after, oldToken)).toEqual({ ok: false, reason: "invalid" });
  });

  it("publishes only public key material", async () => {
    const cfg = await config([await signingJwk("new"), await signingJwk("old")]);
    const { keys } = publicJwks(cfg.keys);
    expect(keys.map((k) => k.kid)).toEqual(["new", "old"]);
    for (const k of keys) {
      expect(Object.keys(k).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x", "y"]);
    }
  });
});

describe("importKeySet", () => {
  it("rejects malformed configurations with a clear message", async () => {
    const { publicKey } = await generateKeyPair("ES256", { extractable: true });
    const pub = { ...(await exportJWK(publicKey)), kid: "p" };
    const a = await signingJwk("a");
    await expect(importKeySet("not json")).rejects.toThrow(/not valid JSON/);
    await expect(importKeySet("[]")).rejects.toThrow(/non-empty/);
    await expect(importKeySet(JSON.stringify([pub]))).rejects.toThrow(/private P-256/);
    await expect(importKeySet(JSON.stringify([a, a]))).rejects.toThrow(/unique/);
    await expect(importKeySet(JSON.stringify([{ ...a, kid: undefined }]))).rejects.toThrow(/kid/);
  });

  it("caches the parsed set per secret value", async () => {
    expect(await loadKeySet(env.JWT_SIGNING_KEYS)).toBe(await loadKeySet(env.JWT_SIGNING_KEYS));
  });
});

describe("accessTokenTtl", () => {
  it("accepts 1..3600 and rejects anything else", () => {
    expect(accessTokenTtl({ ACCESS_TOKEN_TTL: "900" })).toBe(900);
    for (const bad of ["0", "3601", "1.5", "", "abc"]) {
      expect(() => accessTokenTtl({ ACCESS_TOKEN_TTL: bad })).toThrow(/ACCESS_TOKEN_TTL/);
    }
  });
});

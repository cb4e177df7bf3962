/** The per-isolate cache of verified access tokens: expiry, tampering and key rotation. */
import { describe, expect, it } from "vitest";
import { importKeySet, signAccessToken, type TokenConfig } from "../../src/crypto/jwt";
import { verifyAccessTokenCached } from "../../src/crypto/verified-tokens";
import { signingJwk } from "../helpers/keys";

async function config(kid: string): Promise<TokenConfig> {
  return {
    issuer: "https://issuer.test",
    audience: "edgepay",
    keys: await importKeySet(JSON.stringify([await signingJwk(kid)])),
  };
}

const request = { merchantId: "mer_1", clientId: "cli_1", scopes: ["payments:read"], ttlSeconds: 60 };
const b64 = (value: object) => btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");

describe("verifyAccessTokenCached", () => {
  it("answers a repeated token from the cache until exp, then refuses it as expired", async () => {
    const cfg = await config("a");
    const now = Math.floor(Date.now() / 1000);
    const token = await signAccessToken(cfg, request, now);
    expect((await verifyAccessTokenCached(cfg, token, now)).ok).toBe(true);
    expect(await verifyAccessTokenCached(cfg, token, now + 59)).toMatchObject({
      ok: true,
      claims: { clientId: "cli_1" },
    });
    // Past exp and the clock tolerance: cached or not, the token is refused.
    expect(await verifyAccessTokenCached(cfg, token, now + 66)).toEqual({ ok: false, reason: "expired" });
  });

  it("never accepts a tampered token because its original is cached", async () => {
    const cfg = await config("a");
    const token = await signAccessToken(cfg, request);
    expect((await verifyAccessTokenCached(cfg, token)).ok).toBe(true);
    const [header, payload, signature] = token.split(".") as [string, string, string];
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
    const forged = [
      `${header}.${b64({ ...claims, sub: "mer_other" })}.${signature}`,
      `${header}.${b64({ ...claims, scope: "payments:read payments:write" })}.${signature}`,
      `${header}.${payload}.${signature.slice(0, -2)}${signature.endsWith("AA") ? "BA" : "AA"}`,
      `${header}.${payload}.`,
      `${token}.`,
    ];
    for (const tampered of forged) expect((await verifyAccessTokenCached(cfg, tampered)).ok).toBe(false);
    expect((await verifyAccessTokenCached(cfg, token)).ok).toBe(true);
  });

  it("re-checks a cached token once the signing keys, issuer or audience change", async () => {
    const cfg = await config("a");
    const token = await signAccessToken(cfg, request);
    expect((await verifyAccessTokenCached(cfg, token)).ok).toBe(true);
    expect((await verifyAccessTokenCached(await config("b"), token)).ok).toBe(false);
    expect((await verifyAccessTokenCached({ ...cfg, issuer: "https://other.test" }, token)).ok).toBe(false);
    expect((await verifyAccessTokenCached({ ...cfg, audience: "other" }, token)).ok).toBe(false);
    expect((await verifyAccessTokenCached(cfg, token)).ok).toBe(true);
  });
});

/**
 * Key rotation end to end: the same gateway code under three JWT_SIGNING_KEYS values, the
 * README's rotation steps in order. Only that one secret differs; every binding is the real one.
 */
import { env } from "cloudflare:workers";
import { decodeProtectedHeader } from "jose";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE } from "../helpers/http";
import { signingJwk } from "../helpers/keys";
import { newMerchant } from "../helpers/merchants";
import { basic } from "../helpers/oauth";

const app = createApp();

function gatewayWith(keys: object[]) {
  const configured = { ...env, JWT_SIGNING_KEYS: JSON.stringify(keys) };
  return (path: string, init?: RequestInit) => app.request(`${BASE}${path}`, init, configured);
}

async function issue(gateway: ReturnType<typeof gatewayWith>, clientId: string, secret: string) {
  const res = await gateway("/v1/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: basic(clientId, secret) },
    body: "grant_type=client_credentials",
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { access_token: string }).access_token;
}

async function status(gateway: ReturnType<typeof gatewayWith>, token: string) {
  return (await gateway("/v1/account", { headers: { authorization: `Bearer ${token}` } })).status;
}

describe("signing-key rotation", () => {
  it("keeps old tokens valid while both keys are configured, and refuses them once the old key is gone", async () => {
    const m = await newMerchant();
    const oldKey = await signingJwk("2026-old");
    const newKey = await signingJwk("2026-new");
    const before = gatewayWith([oldKey]);
    const published = gatewayWith([oldKey, newKey]); // step 1: publish the new key, still sign with the old
    const during = gatewayWith([newKey, oldKey]); // step 2: sign with the new key
    const after = gatewayWith([newKey]); // step 3: drop the old key

    const oldToken = await issue(before, m.clientId, m.clientSecret);
    expect(decodeProtectedHeader(oldToken).kid).toBe("2026-old");

    const jwks = (await (await published("/.well-known/jwks.json")).json()) as { keys: { kid: string }[] };
    expect(jwks.keys.map((k) => k.kid)).toEqual(["2026-old", "2026-new"]);
    expect(decodeProtectedHeader(await issue(published, m.clientId, m.clientSecret)).kid).toBe("2026-old");

    const newToken = await issue(during, m.clientId, m.clientSecret);
    expect(decodeProtectedHeader(newToken).kid).toBe("2026-new");
    expect(await status(during, oldToken)).toBe(200);
    expect(await status(during, newToken)).toBe(200);

    expect(await status(after, oldToken)).toBe(401);
    expect(await status(after, newToken)).toBe(200);
  });
});

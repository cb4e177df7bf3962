/**
 * `/v1/api_keys` (a merchant manages its own keys) and authenticating with a key: the happy path,
 * Basic auth, and the errors (malformed, unknown, revoked, expired, other mode, bad parameters),
 * none of which echoes the key.
 */
import { describe, expect, it } from "vitest";
import { API_KEY_RANDOM_CHARS } from "../../src/domain/api-keys";
import { type ApiKeyBody, basicKey, bearer, newKey } from "../helpers/api-keys";
import { call, type ErrorBody, form, json } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

function post(path: string, body: unknown, headers: Record<string, string>) {
  const init = json(body);
  return call(path, { ...init, headers: { ...init.headers, ...headers } });
}

async function expectInvalid(res: Response, key: string): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
  const text = await res.text();
  expect(JSON.parse(text).error).toMatchObject({ type: "authentication_error", code: "invalid_token" });
  expect(text).not.toContain(key.slice(8));
}

describe("merchant API keys: happy path", () => {
  it("a merchant creates, lists, retrieves, rolls and revokes its own keys with a token", async () => {
    const m = await newMerchant();
    const res = await call("/v1/api_keys", {
      ...form({ type: "restricted", "scopes[0]": "payments:read" }),
      headers: { ...form({}).headers, ...m.headers },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const created = (await res.json()) as ApiKeyBody;
    expect(created).toMatchObject({
      type: "restricted",
      scopes: ["payments:read"],
      secret: expect.stringMatching(/^rk_test_/),
    });
    const keyHeaders = bearer(created.secret ?? "");
    expect(await (await call("/v1/account", { headers: keyHeaders })).json()).toMatchObject({
      id: m.merchantId,
      client_id: created.id,
      scopes: ["payments:read"],
    });
    expect((await call("/v1/payment_intents", { headers: keyHeaders })).status).toBe(200);

    const list = (await (await call("/v1/api_keys", { headers: m.headers })).json()) as {
      url: string;
      data: ApiKeyBody[];
    };
    expect(list.url).toBe("/v1/api_keys");
    expect(list.data.map((k) => k.id)).toEqual([created.id]);
    expect(JSON.stringify(list)).not.toContain(created.secret?.slice(8, -4));
    expect(await (await call(`/v1/api_keys/${created.id}`, { headers: m.headers })).json()).toMatchObject({
      id: created.id,
    });

    const rolled = (await (
      await post(`/v1/api_keys/${created.id}/roll`, { expires_in: 0 }, m.headers)
    ).json()) as ApiKeyBody;
    expect(rolled).toMatchObject({ type: "restricted", scopes: ["payments:read"], status: "active" });
    await expectInvalid(await call("/v1/account", { headers: keyHeaders }), created.secret ?? "");
    const newHeaders = bearer(rolled.secret ?? "");
    expect((await call("/v1/account", { headers: newHeaders })).status).toBe(200);
    const old = (await (await call(`/v1/api_keys/${created.id}`, { headers: m.headers })).json()) as ApiKeyBody;
    expect(old).toMatchObject({ status: "expired", rolled_to: rolled.id });

    const revoked = await post(`/v1/api_keys/${rolled.id}/revoke`, {}, m.headers);
    expect(await revoked.json()).toMatchObject({ id: rolled.id, status: "revoked" });
    await expectInvalid(await call("/v1/account", { headers: newHeaders }), rolled.secret ?? "");
  });

  it("a secret key manages keys itself; the old key keeps working through the roll's grace period", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    const made = (await (await post("/v1/api_keys", { type: "publishable" }, sk.headers)).json()) as ApiKeyBody;
    expect(made.secret).toMatch(/^pk_test_/);
    const rolled = await post(`/v1/api_keys/${sk.id}/roll`, {}, sk.headers);
    expect(rolled.status).toBe(200);
    const body = (await rolled.json()) as ApiKeyBody;
    expect((await call("/v1/account", { headers: sk.headers })).status).toBe(200);
    const old = (await (await call(`/v1/api_keys/${sk.id}`, { headers: sk.headers })).json()) as ApiKeyBody;
    const now = Math.floor(Date.now() / 1000);
    expect(old.expires_at).toBeGreaterThanOrEqual(now + 86400 - 10);
    expect(old.expires_at).toBeLessThanOrEqual(now + 86400);
    expect((await call("/v1/account", { headers: bearer(body.secret ?? "") })).status).toBe(200);
  });

  it("accepts Stripe's Basic form, the key as user name and no password", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    const res = await call("/v1/account", { headers: basicKey(sk.secret) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: m.merchantId, client_id: sk.id });
    // A password beside the key, or a client id instead of a key: refused.
    for (const text of [`${sk.secret}:x`, `${sk.secret}`, `${m.clientId}:${m.clientSecret}`]) {
      await expectInvalid(await call("/v1/account", { headers: { authorization: `Basic ${btoa(text)}` } }), sk.secret);
    }
  });

  it("a create answer with its key is never replayed from the Idempotency-Key store", async () => {
    const m = await newMerchant();
    const headers = { ...m.headers, "idempotency-key": "make-one-key" };
    const first = (await (await post("/v1/api_keys", { type: "secret" }, headers)).json()) as ApiKeyBody;
    const second = await post("/v1/api_keys", { type: "secret" }, headers);
    expect(second.headers.get("Idempotent-Replayed")).toBeNull();
    const body = (await second.json()) as ApiKeyBody;
    expect(body.id).not.toBe(first.id);
  });
});

describe("authenticating with a key: errors", () => {
  const random = "A".repeat(API_KEY_RANDOM_CHARS);
  it.each([
    ["malformed (short)", "sk_test_abc"],
    ["malformed (bad characters)", `sk_test_${random.slice(1)}!`],
    ["unknown", `sk_test_${random}`],
    ["live-prefixed in test mode", `sk_live_${random}`],
  ])("refuses a %s key with 401 invalid_token, echoing nothing", async (_name, key) => {
    await expectInvalid(await call("/v1/account", { headers: bearer(key) }), key);
  });

  it("refuses a real key presented with the other mode's prefix or another kind's prefix", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    for (const forged of [sk.secret.replace("sk_test_", "sk_live_"), sk.secret.replace("sk_test_", "rk_test_")]) {
      await expectInvalid(await call("/v1/account", { headers: bearer(forged) }), forged);
    }
  });

  it("refuses a revoked key, and a rolled key once its expiry passed", async () => {
    const m = await newMerchant();
    const a = await newKey(m.merchantId, "secret");
    const b = await newKey(m.merchantId, "secret");
    await post(`/v1/api_keys/${a.id}/revoke`, {}, m.headers);
    await expectInvalid(await call("/v1/account", { headers: a.headers }), a.secret);
    expect((await post(`/v1/api_keys/${b.id}/roll`, { expires_in: 3 }, m.headers)).status).toBe(200);
    expect((await call("/v1/account", { headers: b.headers })).status).toBe(200);
    await scheduler.wait(3100);
    await expectInvalid(await call("/v1/account", { headers: b.headers }), b.secret);
  });
});

describe("merchant API keys: parameter errors", () => {
  it.each([
    ["no type", {}, "type", "parameter_missing"],
    ["restricted without scopes", { type: "restricted" }, "scopes", "parameter_missing"],
    [
      "unknown scope",
      { type: "restricted", scopes: ["payments:read", "payments:delete"] },
      "scopes",
      "parameter_invalid",
    ],
    ["publishable with scopes", { type: "publishable", scopes: "payments:read" }, "scopes", "parameter_invalid"],
    ["unknown parameter", { type: "secret", name: "x" }, "name", "parameter_unknown"],
  ])("refuses %s with 400", async (_name, body, param, code) => {
    const m = await newMerchant();
    const res = await post("/v1/api_keys", body, m.headers);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ type: "invalid_request_error", param, code });
  });

  it("does not echo a key sent as a scope, nor a card number", async () => {
    const m = await newMerchant();
    const sk = await newKey(m.merchantId, "secret");
    for (const scope of [sk.secret, "4242424242424242"]) {
      const res = await post("/v1/api_keys", { type: "restricted", scopes: [scope] }, m.headers);
      expect(res.status).toBe(400);
      expect(await res.text()).not.toContain(scope);
    }
  });

  it("answers 404 for an unknown key id, and 400 for rolling a revoked key", async () => {
    const m = await newMerchant();
    expect((await post("/v1/api_keys/key_missing00000000000000000/revoke", {}, m.headers)).status).toBe(404);
    const k = await newKey(m.merchantId, "restricted", ["balance:read"]);
    await post(`/v1/api_keys/${k.id}/revoke`, {}, m.headers);
    const res = await post(`/v1/api_keys/${k.id}/roll`, {}, m.headers);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.code).toBe("api_key_inactive");
  });
});

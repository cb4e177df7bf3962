/** Operator API for API keys: create each kind (key once), list, roll, revoke, audit; errors and security. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SCOPES } from "../../src/domain/scopes";
import { type ApiKeyBody, bearer } from "../helpers/api-keys";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";

function post(path: string, body: unknown, headers: Record<string, string> = operatorHeaders()) {
  const init = json(body);
  return call(path, { ...init, headers: { ...init.headers, ...headers } });
}

async function merchant(name = "Keys"): Promise<string> {
  return (await operator<{ id: string }>("/admin/v1/merchants", { name })).id;
}

describe("operator API keys: happy path", () => {
  it("creates each kind with its prefix, shows the key once and stores only its hash", async () => {
    const id = await merchant();
    const cases = [
      { type: "secret", prefix: "sk_test_", scopes: [...SCOPES] },
      {
        type: "restricted",
        prefix: "rk_test_",
        scopes: ["payments:read", "refunds:read"],
        ask: "refunds:read payments:read",
      },
      { type: "publishable", prefix: "pk_test_", scopes: ["payment_methods:write"] },
    ];
    for (const k of cases) {
      const res = await post(`/admin/v1/merchants/${id}/api_keys`, {
        type: k.type,
        ...(k.ask ? { scopes: k.ask } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      const key = (await res.json()) as ApiKeyBody;
      const secret = key.secret ?? "";
      expect(secret).toMatch(new RegExp(`^${k.prefix}[0-9A-Za-z]{48}$`));
      expect(key).toEqual({
        id: expect.stringMatching(/^key_/),
        object: "api_key",
        type: k.type,
        livemode: false,
        redacted_key: `${k.prefix}…${secret.slice(-4)}`,
        scopes: k.scopes,
        status: "active",
        expires_at: null,
        rolled_to: null,
        created: expect.any(Number),
        secret,
      });
      const row = await env.DB.prepare("select * from api_keys where id = ?").bind(key.id).first();
      expect(JSON.stringify(row)).not.toContain(secret.slice(k.prefix.length, -4));
      expect((await call("/v1/account", { headers: bearer(secret) })).status).toBe(
        k.type === "publishable" ? 403 : 200,
      );
    }
    const listed = await operator<{ data: ApiKeyBody[] }>(`/admin/v1/merchants/${id}/api_keys`);
    // Created within the same second, so ordered by their random ids: compare as a set.
    expect(listed.data.map((k) => k.type).sort()).toEqual(["publishable", "restricted", "secret"]);
    for (const k of listed.data) expect(k).not.toHaveProperty("secret");
    const audit = await env.DB.prepare("select action, details from audit_log where target_id = ? order by rowid")
      .bind(id)
      .all<{ action: string; details: string }>();
    expect(audit.results.map((a) => a.action)).toEqual([
      "merchant.created",
      "api_key.created",
      "api_key.created",
      "api_key.created",
    ]);
  });

  it("rolls a key: a new key now, the old one works until expires_in, both audited", async () => {
    const m = await newMerchant();
    const created = await operator<ApiKeyBody>(`/admin/v1/merchants/${m.merchantId}/api_keys`, { type: "secret" });
    const rolled = await operator<ApiKeyBody>(`/admin/v1/merchants/${m.merchantId}/api_keys/${created.id}/roll`, {
      expires_in: 3600,
    });
    expect(rolled).toMatchObject({
      type: "secret",
      status: "active",
      expires_at: null,
      secret: expect.stringMatching(/^sk_test_/),
    });
    expect(rolled.secret).not.toBe(created.secret);
    expect((await call("/v1/account", { headers: bearer(rolled.secret ?? "") })).status).toBe(200);
    expect((await call("/v1/account", { headers: bearer(created.secret ?? "") })).status).toBe(200);
    const { data } = await operator<{ data: ApiKeyBody[] }>(`/admin/v1/merchants/${m.merchantId}/api_keys`);
    const old = data.find((k) => k.id === created.id);
    expect(old).toMatchObject({ status: "active", rolled_to: rolled.id });
    expect(old?.expires_at).toBeGreaterThanOrEqual(Math.floor(Date.now() / 1000) + 3590);
    const actions = await env.DB.prepare("select action from audit_log where target_id = ? order by rowid")
      .bind(m.merchantId)
      .all<{ action: string }>();
    expect(actions.results.map((a) => a.action).slice(-2)).toEqual(["api_key.created", "api_key.rolled"]);
  });

  it("revokes a key: it stops working at once, audited", async () => {
    const m = await newMerchant();
    const created = await operator<ApiKeyBody>(`/admin/v1/merchants/${m.merchantId}/api_keys`, { type: "secret" });
    const headers = bearer(created.secret ?? "");
    expect((await call("/v1/account", { headers })).status).toBe(200);
    const revoked = await operator<ApiKeyBody>(`/admin/v1/merchants/${m.merchantId}/api_keys/${created.id}/revoke`, {});
    expect(revoked).toMatchObject({ id: created.id, status: "revoked" });
    expect(revoked).not.toHaveProperty("secret");
    expect((await call("/v1/account", { headers })).status).toBe(401);
    const last = await env.DB.prepare("select action from audit_log where target_id = ? order by rowid desc limit 1")
      .bind(m.merchantId)
      .first<{ action: string }>();
    expect(last?.action).toBe("api_key.revoked");
  });
});

describe("operator API keys: errors", () => {
  it.each([
    ["no type", {}, "type", "parameter_missing"],
    ["unknown type", { type: "admin" }, "type", "parameter_invalid"],
    ["restricted without scopes", { type: "restricted" }, "scopes", "parameter_missing"],
    ["restricted with no scope", { type: "restricted", scopes: [] }, "scopes", "parameter_invalid"],
    [
      "restricted with an unknown scope",
      { type: "restricted", scopes: "payments:read root" },
      "scopes",
      "parameter_invalid",
    ],
    ["secret with scopes", { type: "secret", scopes: ["payments:read"] }, "scopes", "parameter_invalid"],
  ])("refuses %s with 400, writing nothing", async (_name, body, param, code) => {
    const id = await merchant();
    const res = await post(`/admin/v1/merchants/${id}/api_keys`, body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ param, code });
    const n = await env.DB.prepare("select count(*) as n from api_keys where merchant_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it("refuses expires_in outside 0 to 7 days, and a second roll of the same key", async () => {
    const id = await merchant();
    const key = await operator<ApiKeyBody>(`/admin/v1/merchants/${id}/api_keys`, { type: "secret" });
    for (const expires_in of [-1, 7 * 86400 + 1, "soon"]) {
      const res = await post(`/admin/v1/merchants/${id}/api_keys/${key.id}/roll`, { expires_in });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error.param).toBe("expires_in");
    }
    expect((await post(`/admin/v1/merchants/${id}/api_keys/${key.id}/roll`, { expires_in: 7 * 86400 })).status).toBe(
      200,
    );
    const again = await post(`/admin/v1/merchants/${id}/api_keys/${key.id}/roll`, {});
    expect(again.status).toBe(400);
    expect(((await again.json()) as ErrorBody).error.code).toBe("api_key_inactive");
  });

  it("two rolls of one key racing issue exactly one replacement, and one audit entry", async () => {
    const id = await merchant();
    const key = await operator<ApiKeyBody>(`/admin/v1/merchants/${id}/api_keys`, { type: "secret" });
    const answers = await Promise.all(
      [0, 1, 2].map(() => post(`/admin/v1/merchants/${id}/api_keys/${key.id}/roll`, { expires_in: 60 })),
    );
    expect(answers.map((r) => r.status).sort()).toEqual([200, 400, 400]);
    const n = await env.DB.prepare("select count(*) as n from api_keys where merchant_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(n?.n).toBe(2);
    const rolls = await env.DB.prepare(
      "select count(*) as n from audit_log where target_id = ? and action = 'api_key.rolled'",
    )
      .bind(id)
      .first<{ n: number }>();
    expect(rolls?.n).toBe(1);
  });

  it("answers 404 for an unknown merchant or another merchant's key, which keeps working", async () => {
    const a = await merchant("A");
    const b = await merchant("B");
    const bKey = await operator<ApiKeyBody>(`/admin/v1/merchants/${b}/api_keys`, { type: "secret" });
    for (const action of ["revoke", "roll"]) {
      const res = await post(`/admin/v1/merchants/${a}/api_keys/${bKey.id}/${action}`, {});
      expect(res.status).toBe(404);
      expect(((await res.json()) as ErrorBody).error.code).toBe("resource_missing");
    }
    expect((await post("/admin/v1/merchants/mer_missing000000000000000/api_keys", { type: "secret" })).status).toBe(
      404,
    );
    expect((await call("/v1/account", { headers: bearer(bKey.secret ?? "") })).status).toBe(200);
  });
});

describe("operator API keys: security", () => {
  it("refuses merchants' credentials, API keys included", async () => {
    const m = await newMerchant();
    const key = await operator<ApiKeyBody>(`/admin/v1/merchants/${m.merchantId}/api_keys`, { type: "secret" });
    for (const headers of [m.headers, bearer(key.secret ?? ""), {}]) {
      const res = await post(`/admin/v1/merchants/${m.merchantId}/api_keys`, { type: "secret" }, headers);
      expect(res.status).toBe(401);
    }
  });
});

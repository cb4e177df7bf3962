/** Operator API for API clients: create (secret once), list, revoke; errors and security. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SCOPES } from "../../src/domain/scopes";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";
import { basic, tokenRequest } from "../helpers/oauth";

interface Client {
  id: string;
  object: string;
  merchant: string;
  scopes: string[];
  status: string;
  created: number;
  last_used: number | null;
  client_secret?: string;
}

function post(path: string, body: unknown, headers: Record<string, string> = operatorHeaders()) {
  const init = json(body);
  return call(path, { ...init, headers: { ...init.headers, ...headers } });
}

describe("operator clients: happy path", () => {
  it("creates a client whose secret is shown once and stored only as a hash", async () => {
    const { id: merchant } = await operator<{ id: string }>("/admin/v1/merchants", { name: "Clients" });
    const res = await post(`/admin/v1/merchants/${merchant}/clients`, { scopes: "refunds:read payments:read" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const client = (await res.json()) as Client;
    expect(client).toEqual({
      id: expect.stringMatching(/^cli_/),
      object: "api_client",
      merchant,
      scopes: ["payments:read", "refunds:read"],
      status: "active",
      created: expect.any(Number),
      last_used: null,
      client_secret: expect.stringMatching(/^eps_[A-Za-z0-9_-]{43}$/),
    });
    const row = await env.DB.prepare("select * from api_clients where client_id = ?").bind(client.id).first();
    expect(JSON.stringify(row)).not.toContain(client.client_secret?.slice(4));
    const listed = await operator<{ data: Client[] }>(`/admin/v1/merchants/${merchant}/clients`);
    const { client_secret: _secret, ...shown } = client;
    expect(listed.data).toEqual([shown]);
    const audit = await env.DB.prepare("select action, details from audit_log where target_id = ? order by rowid")
      .bind(merchant)
      .all<{ action: string; details: string }>();
    expect(audit.results.map((a) => a.action)).toEqual(["merchant.created", "client.created"]);
    expect(audit.results[1]?.details).not.toContain(client.client_secret?.slice(4));
  });

  it("gives a new client every scope by default, as an array or a string", async () => {
    const { id } = await operator<{ id: string }>("/admin/v1/merchants", { name: "Defaults" });
    expect((await operator<Client>(`/admin/v1/merchants/${id}/clients`, {})).scopes).toEqual([...SCOPES]);
    expect((await operator<Client>(`/admin/v1/merchants/${id}/clients`, { scopes: ["balance:read"] })).scopes).toEqual([
      "balance:read",
    ]);
  });

  it("revokes a client: no new tokens, and the revocation is audited", async () => {
    const m = await newMerchant();
    const revoked = await operator<Client>(`/admin/v1/merchants/${m.merchantId}/clients/${m.clientId}/revoke`, {});
    expect(revoked).toMatchObject({ id: m.clientId, status: "revoked" });
    const res = await tokenRequest(
      { grant_type: "client_credentials" },
      { authorization: basic(m.clientId, m.clientSecret) },
    );
    expect(res.status).toBe(401);
    const audit = await env.DB.prepare("select action from audit_log where target_id = ? order by rowid")
      .bind(m.merchantId)
      .all();
    expect(audit.results.map((a) => a.action)).toEqual(["merchant.created", "client.created", "client.revoked"]);
  });

  it("lists a merchant's clients newest first with pagination", async () => {
    const { id } = await operator<{ id: string }>("/admin/v1/merchants", { name: "Many" });
    for (let i = 0; i < 3; i++) await operator(`/admin/v1/merchants/${id}/clients`, {});
    const all = await operator<{ has_more: boolean; url: string; data: Client[] }>(`/admin/v1/merchants/${id}/clients`);
    expect(all).toMatchObject({ has_more: false, url: `/admin/v1/merchants/${id}/clients` });
    expect(all.data).toHaveLength(3);
    const page = await operator<{ has_more: boolean; data: Client[] }>(
      `/admin/v1/merchants/${id}/clients?limit=1&starting_after=${all.data[0]?.id}`,
    );
    expect(page).toMatchObject({ has_more: true, data: [{ id: all.data[1]?.id }] });
  });
});

describe("operator clients: errors", () => {
  it("refuses unknown or empty scopes", async () => {
    const { id } = await operator<{ id: string }>("/admin/v1/merchants", { name: "Bad scopes" });
    for (const scopes of ["payments:read admin", [], "   "]) {
      const res = await post(`/admin/v1/merchants/${id}/clients`, { scopes });
      expect(res.status).toBe(400);
      expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "parameter_invalid", param: "scopes" });
    }
  });

  it("answers 404 for an unknown merchant, and writes nothing", async () => {
    const res = await post("/admin/v1/merchants/mer_missing000000000000000/clients", {});
    expect(res.status).toBe(404);
    const n = await env.DB.prepare(
      "select count(*) as n from api_clients where merchant_id = 'mer_missing000000000000000'",
    ).first<{ n: number }>();
    expect(n?.n).toBe(0);
  });

  it("answers 404 when revoking another merchant's client, which stays active", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const res = await post(`/admin/v1/merchants/${a.merchantId}/clients/${b.clientId}/revoke`, {});
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe("resource_missing");
    expect((await call("/v1/account", { headers: b.headers })).status).toBe(200);
  });

  it("refuses a cursor from another merchant's client list", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const res = await call(`/admin/v1/merchants/${a.merchantId}/clients?starting_after=${b.clientId}`, {
      headers: operatorHeaders(),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      code: "resource_missing",
      param: "starting_after",
    });
  });
});

describe("operator clients: security", () => {
  it("refuses requests without the operator token, or with a merchant's token", async () => {
    const m = await newMerchant();
    const paths = [
      `/admin/v1/merchants/${m.merchantId}/clients`,
      `/admin/v1/merchants/${m.merchantId}/clients/${m.clientId}/revoke`,
    ];
    for (const path of paths) {
      expect((await post(path, {}, {})).status).toBe(401);
      expect((await post(path, {}, m.headers)).status).toBe(401);
      expect((await post(path, {}, { authorization: "Bearer nope" })).status).toBe(401);
    }
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
  });
});

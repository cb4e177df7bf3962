/** Operator API for merchants: happy paths, errors, security, and the audit trail. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";

interface Merchant {
  id: string;
  object: string;
  name: string;
  status: string;
  rate_limit: number | null;
  created: number;
}

interface AuditRow {
  actor: string;
  action: string;
  target_id: string;
  request_id: string;
  details: string;
  created: number;
}

async function auditFor(targetId: string): Promise<AuditRow[]> {
  const { results } = await env.DB.prepare("select * from audit_log where target_id = ? order by rowid")
    .bind(targetId)
    .all<AuditRow>();
  return results;
}

function post(path: string, body: unknown, headers: Record<string, string> = operatorHeaders()) {
  const init = json(body);
  return call(path, { ...init, headers: { ...init.headers, ...headers } });
}

describe("operator merchants: happy path", () => {
  it("creates a merchant and audits it with the request id", async () => {
    const res = await post("/admin/v1/merchants", { name: "Acme", rate_limit: 50 });
    expect(res.status).toBe(200);
    const m = (await res.json()) as Merchant;
    expect(m).toEqual({
      id: expect.stringMatching(/^mer_/),
      object: "merchant",
      name: "Acme",
      status: "active",
      rate_limit: 50,
      created: expect.any(Number),
    });
    const [entry, ...rest] = await auditFor(m.id);
    expect(rest).toEqual([]);
    expect(entry).toMatchObject({
      actor: "root",
      action: "merchant.created",
      request_id: res.headers.get("Request-Id"),
    });
    expect(JSON.parse(entry?.details ?? "")).toEqual({ name: "Acme", rate_limit: 50 });
  });

  it("accepts form-encoded bodies like every other route", async () => {
    const res = await call("/admin/v1/merchants", {
      method: "POST",
      headers: { ...operatorHeaders(), "content-type": "application/x-www-form-urlencoded" },
      body: "name=Form+Co&rate_limit=7",
    });
    expect(await res.json()).toMatchObject({ name: "Form Co", rate_limit: 7 });
  });

  it("retrieves a merchant", async () => {
    const created = await operator<Merchant>("/admin/v1/merchants", { name: "Get Co" });
    expect(await operator<Merchant>(`/admin/v1/merchants/${created.id}`)).toEqual(created);
  });

  it("sets and clears a merchant's rate limit, auditing each change", async () => {
    const created = await operator<Merchant>("/admin/v1/merchants", { name: "Limits" });
    expect((await operator<Merchant>(`/admin/v1/merchants/${created.id}`, { rate_limit: "120" })).rate_limit).toBe(120);
    const cleared = await operator<Merchant>(`/admin/v1/merchants/${created.id}`, { rate_limit: "" });
    expect(cleared).toMatchObject({ rate_limit: null, name: "Limits" });
    expect((await auditFor(created.id)).map((a) => [a.action, JSON.parse(a.details).rate_limit])).toEqual([
      ["merchant.created", null],
      ["merchant.updated", 120],
      ["merchant.updated", null],
    ]);
  });

  it("suspends and reactivates, auditing both", async () => {
    const created = await operator<Merchant>("/admin/v1/merchants", { name: "Sus" });
    expect((await operator<Merchant>(`/admin/v1/merchants/${created.id}/suspend`, {})).status).toBe("suspended");
    expect((await operator<Merchant>(`/admin/v1/merchants/${created.id}`)).status).toBe("suspended");
    expect((await operator<Merchant>(`/admin/v1/merchants/${created.id}/reactivate`, {})).status).toBe("active");
    expect((await auditFor(created.id)).map((a) => a.action)).toEqual([
      "merchant.created",
      "merchant.suspended",
      "merchant.reactivated",
    ]);
  });

  it("lists merchants newest first with Stripe pagination", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await operator<Merchant>("/admin/v1/merchants", { name: `List ${i}` })).id);
    const all = await operator<{ object: string; url: string; has_more: boolean; data: Merchant[] }>(
      "/admin/v1/merchants?limit=100",
    );
    expect(all).toMatchObject({ object: "list", url: "/admin/v1/merchants", has_more: false });
    expect(all.data.map((m) => m.id).filter((id) => ids.includes(id))).toHaveLength(5);
    // Newest first; same-second creations ordered by id, descending.
    const sorted = [...all.data].sort((a, b) => b.created - a.created || (a.id < b.id ? 1 : -1));
    expect(all.data).toEqual(sorted);
    const first = await operator<{ has_more: boolean; data: Merchant[] }>("/admin/v1/merchants?limit=2");
    expect(first.has_more).toBe(true);
    expect(first.data.map((m) => m.id)).toEqual(all.data.slice(0, 2).map((m) => m.id));
    const next = await operator<{ data: Merchant[] }>(
      `/admin/v1/merchants?limit=2&starting_after=${first.data[1]?.id}`,
    );
    expect(next.data.map((m) => m.id)).toEqual(all.data.slice(2, 4).map((m) => m.id));
    const back = await operator<{ has_more: boolean; data: Merchant[] }>(
      `/admin/v1/merchants?limit=2&ending_before=${next.data[0]?.id}`,
    );
    expect(back).toMatchObject({ has_more: false });
    expect(back.data.map((m) => m.id)).toEqual(first.data.map((m) => m.id));
  });
});

describe("operator merchants: errors", () => {
  it.each([
    [{}, "parameter_missing", "name"],
    [{ name: "" }, "parameter_invalid_empty", "name"],
    [{ name: "x", rate_limit: "1.5" }, "parameter_invalid_integer", "rate_limit"],
    [{ name: "x", rate_limit: 0 }, "parameter_invalid", "rate_limit"],
    [{ name: "x", rate_limit: 10_001 }, "parameter_invalid", "rate_limit"],
    [{ name: "x", status: "suspended" }, "parameter_unknown", "status"],
  ])("create %j → 400 %s", async (body, code, param) => {
    const res = await post("/admin/v1/merchants", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code, param });
  });

  it("writes nothing for an invalid create", async () => {
    const before = await env.DB.prepare("select count(*) as n from audit_log").first<{ n: number }>();
    await post("/admin/v1/merchants", { name: "x", rate_limit: -1 });
    const after = await env.DB.prepare("select count(*) as n from audit_log").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it.each([
    ["GET", "/admin/v1/merchants/mer_doesNotExist0000000000"],
    ["GET", "/admin/v1/merchants/not-an-id"],
    ["POST", "/admin/v1/merchants/mer_doesNotExist0000000000/suspend"],
    ["POST", "/admin/v1/merchants/mer_doesNotExist0000000000"],
  ])("%s %s → 404 resource_missing", async (method, path) => {
    const res = method === "GET" ? await call(path, { headers: operatorHeaders() }) : await post(path, {});
    expect(res.status).toBe(404);
    expect(((await res.json()) as ErrorBody).error.code).toBe("resource_missing");
  });

  it("refuses bad list parameters", async () => {
    const cases: [string, string, string][] = [
      ["limit=0", "parameter_invalid", "limit"],
      ["limit=101", "parameter_invalid", "limit"],
      ["limit=abc", "parameter_invalid_integer", "limit"],
      ["starting_after=mer_a&ending_before=mer_b", "parameter_invalid", "ending_before"],
      ["starting_after=mer_nope", "resource_missing", "starting_after"],
      ["colour=red", "parameter_unknown", "colour"],
    ];
    for (const [query, code, param] of cases) {
      const res = await call(`/admin/v1/merchants?${query}`, { headers: operatorHeaders() });
      expect([400, 404]).toContain(res.status);
      expect(((await res.json()) as ErrorBody).error, query).toMatchObject({ code, param });
    }
  });
});

describe("operator merchants: security", () => {
  it("answers 401 without a token", async () => {
    const res = await call("/admin/v1/merchants");
    expect(res.status).toBe(401);
    expect(((await res.json()) as ErrorBody).error.code).toBe("authentication_required");
  });

  it("answers 401 to a wrong token, including a prefix or extension of the real one", async () => {
    for (const token of [
      "op_wrong",
      env.OPERATOR_TOKEN.slice(0, -1),
      `${env.OPERATOR_TOKEN}x`,
      env.OPERATOR_TOKEN.toUpperCase(),
    ]) {
      const res = await call("/admin/v1/merchants", { headers: { authorization: `Bearer ${token}` } });
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe("invalid_token");
    }
  });

  it("answers 401 to the operator token in another scheme", async () => {
    const res = await call("/admin/v1/merchants", {
      headers: { authorization: `Basic ${btoa(`x:${env.OPERATOR_TOKEN}`)}` },
    });
    expect(res.status).toBe(401);
  });

  it("refuses a merchant access token and writes nothing", async () => {
    const m = await newMerchant();
    const res = await post(`/admin/v1/merchants/${m.merchantId}/suspend`, {}, m.headers);
    expect(res.status).toBe(401);
    expect((await operator<Merchant>(`/admin/v1/merchants/${m.merchantId}`)).status).toBe("active");
  });

  it("does not let the operator token call merchant routes", async () => {
    const res = await call("/v1/account", { headers: operatorHeaders() });
    expect(res.status).toBe(401);
  });
});

/** Operator API for named operators: happy paths, errors, and the audit trail with the acting operator. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";

interface Operator {
  id: string;
  object: string;
  name: string;
  status: string;
  rate_limit: number | null;
  created: number;
  created_by: string;
  disabled_at: number | null;
  secret?: string;
}

interface AuditRow {
  actor: string;
  action: string;
  target_id: string;
  request_id: string;
  details: string;
}

let seq = 0;
/** A name no other test in this file uses. */
const uniqueName = (base = "op") => `${base}-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

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

/** Creates an operator as root and returns it with its secret and Authorization header. */
async function newOperator(body: Record<string, unknown> = {}) {
  const op = await operator<Operator & { secret: string }>("/admin/v1/operators", { name: uniqueName(), ...body });
  return { ...op, headers: { authorization: `Bearer ${op.secret}` } };
}

describe("operators: happy path", () => {
  it("creates an operator whose secret is shown once, hashed at rest, and works as a Bearer credential", async () => {
    const res = await post("/admin/v1/operators", { name: "alice", rate_limit: 20 });
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const op = (await res.json()) as Operator;
    expect(op).toEqual({
      id: expect.stringMatching(/^opr_[0-9A-Za-z]{24}$/),
      object: "operator",
      name: "alice",
      status: "active",
      rate_limit: 20,
      created: expect.any(Number),
      created_by: "root",
      disabled_at: null,
      secret: expect.stringMatching(/^eop_[A-Za-z0-9_-]{43}$/),
    });
    const stored = await env.DB.prepare("select * from operators where id = ?")
      .bind(op.id)
      .first<Record<string, unknown>>();
    expect(JSON.stringify(stored)).not.toContain(op.secret?.slice(4));
    const retrieved = await call(`/admin/v1/operators/${op.id}`, { headers: { authorization: `Bearer ${op.secret}` } });
    expect(retrieved.status).toBe(200);
    const { secret: _, ...withoutSecret } = op;
    expect(await retrieved.json()).toEqual(withoutSecret);
  });

  it("records the acting operator in the audit log of every admin action", async () => {
    const alice = await newOperator();
    const created = await post("/admin/v1/merchants", { name: "By alice" }, alice.headers);
    const merchant = (await created.json()) as { id: string };
    await post(`/admin/v1/merchants/${merchant.id}/suspend`, {}, alice.headers);
    await post(`/admin/v1/merchants/${merchant.id}/clients`, {}, alice.headers);
    await post(`/admin/v1/merchants/${merchant.id}/reactivate`, {});
    expect((await auditFor(merchant.id)).map((a) => [a.action, a.actor])).toEqual([
      ["merchant.created", alice.id],
      ["merchant.suspended", alice.id],
      ["client.created", alice.id],
      ["merchant.reactivated", "root"],
    ]);
    expect((await auditFor(merchant.id))[0]?.request_id).toBe(created.headers.get("Request-Id"));
  });

  it("lets an operator create another, and records who did", async () => {
    const alice = await newOperator();
    const res = await post("/admin/v1/operators", { name: uniqueName("bob") }, alice.headers);
    const bob = (await res.json()) as Operator;
    expect(bob.created_by).toBe(alice.id);
    const [entry] = await auditFor(bob.id);
    expect(entry).toMatchObject({
      actor: alice.id,
      action: "operator.created",
      request_id: res.headers.get("Request-Id"),
    });
    expect(JSON.parse(entry?.details ?? "")).toEqual({ name: bob.name, rate_limit: null });
    expect(entry?.details).not.toContain("eop_");
  });

  it("disables an operator: its secret is refused on the next request, and the change is audited", async () => {
    const alice = await newOperator();
    const bob = await newOperator();
    expect((await call("/admin/v1/operators", { headers: bob.headers })).status).toBe(200);
    const res = await post(`/admin/v1/operators/${bob.id}/disable`, {}, alice.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: bob.id, status: "disabled", disabled_at: expect.any(Number) });
    const refused = await call("/admin/v1/operators", { headers: bob.headers });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("invalid_token");
    expect((await auditFor(bob.id)).map((a) => [a.action, a.actor])).toEqual([
      ["operator.created", "root"],
      ["operator.disabled", alice.id],
    ]);
    // Disabling again answers the disabled operator and audits nothing more.
    expect((await post(`/admin/v1/operators/${bob.id}/disable`, {}, alice.headers)).status).toBe(200);
    expect(await auditFor(bob.id)).toHaveLength(2);
  });

  it("lists operators newest first, never with secrets", async () => {
    const ids = [(await newOperator()).id, (await newOperator()).id];
    const list = await operator<{ object: string; url: string; data: Operator[] }>("/admin/v1/operators?limit=100");
    expect(list).toMatchObject({ object: "list", url: "/admin/v1/operators" });
    expect(list.data.map((o) => o.id)).toEqual(expect.arrayContaining(ids));
    expect(JSON.stringify(list)).not.toMatch(/eop_|secret/);
  });

  it("reports the root token's state", async () => {
    expect(await operator("/admin/v1/root_token")).toEqual({
      object: "root_token",
      status: "enabled",
      configured: true,
      updated: null,
      updated_by: null,
    });
  });
});

describe("operators: errors", () => {
  it.each([
    [{}, "parameter_missing", "name"],
    [{ name: "" }, "parameter_invalid_empty", "name"],
    [{ name: "has space" }, "parameter_invalid", "name"],
    [{ name: "x".repeat(65) }, "parameter_invalid", "name"],
    [{ name: "x", rate_limit: "1.5" }, "parameter_invalid_integer", "rate_limit"],
    [{ name: "x", rate_limit: 0 }, "parameter_invalid", "rate_limit"],
    [{ name: "x", rate_limit: 10_001 }, "parameter_invalid", "rate_limit"],
    [{ name: "x", secret: "eop_mine" }, "parameter_unknown", "secret"],
  ])("create %j → 400 %s", async (body, code, param) => {
    const res = await post("/admin/v1/operators", body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code, param });
  });

  it("refuses a taken name with 400 param name, and writes nothing", async () => {
    const name = uniqueName();
    await operator("/admin/v1/operators", { name });
    const before = await env.DB.prepare("select count(*) as n from audit_log").first<{ n: number }>();
    const res = await post("/admin/v1/operators", { name });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: "parameter_invalid", param: "name" });
    const after = await env.DB.prepare("select count(*) as n from audit_log").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });

  it.each([
    ["GET", "/admin/v1/operators/opr_doesNotExist000000000"],
    ["GET", "/admin/v1/operators/4242424242424242"],
    ["POST", "/admin/v1/operators/opr_doesNotExist000000000/disable"],
    ["POST", "/admin/v1/operators/mer_abc/disable"],
  ])("%s %s → 404 resource_missing", async (method, path) => {
    const res = await call(path, { method, headers: operatorHeaders() });
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as ErrorBody;
    expect(error).toMatchObject({ code: "resource_missing", param: "id" });
    expect(error.message).not.toContain("4242424242424242");
  });

  it("refuses merchant access tokens on every operator route", async () => {
    const m = await newMerchant();
    const op = await newOperator();
    for (const [method, path] of [
      ["GET", "/admin/v1/operators"],
      ["POST", "/admin/v1/operators"],
      ["GET", `/admin/v1/operators/${op.id}`],
      ["POST", `/admin/v1/operators/${op.id}/disable`],
      ["POST", "/admin/v1/root_token/disable"],
    ] as const) {
      const res = await call(path, {
        method,
        headers: { ...m.headers, "content-type": "application/json" },
        body: method === "POST" ? "{}" : null,
      });
      expect(res.status, `${method} ${path}`).toBe(401);
    }
    // Neither is the client secret, nor an operator secret on a merchant route.
    expect((await call("/admin/v1/operators", { headers: { authorization: `Bearer ${m.clientSecret}` } })).status).toBe(
      401,
    );
    expect((await call("/v1/account", { headers: op.headers })).status).toBe(401);
    expect((await operator<Operator>(`/admin/v1/operators/${op.id}`)).status).toBe("active");
  });
});

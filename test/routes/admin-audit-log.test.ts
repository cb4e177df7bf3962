/**
 * `GET /admin/v1/audit_log`: entries written by real operator actions, newest first, filtered by
 * actor, target, action and created, paged with the shared cursors; its errors (limit, cursors,
 * unknown parameters) name their parameter; only an active operator's credential reads it; no
 * entry carries a secret the action handed out.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/client";
import { insertAudit } from "../../src/db/merchants";
import type { AuditLogEntry } from "../../src/routes/admin-audit-log";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator, operatorHeaders } from "../helpers/merchants";
import { newIp } from "../helpers/throttle";

interface AuditList {
  object: string;
  url: string;
  has_more: boolean;
  data: AuditLogEntry[];
}

let seq = 0;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** A named operator created by root, with its Authorization header. */
async function newOperator() {
  const name = `audit-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", { name });
  return { ...op, headers: bearer(op.secret) };
}

/** A POST to the operator API with `headers`; throws unless 200. */
async function act<T = { id: string }>(path: string, body: unknown, headers: Record<string, string>): Promise<T> {
  const init = json(body);
  const res = await call(path, { ...init, headers: { ...init.headers, ...headers } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function list(query = "", headers: Record<string, string> = operatorHeaders()) {
  return call(`/admin/v1/audit_log${query}`, { headers });
}

async function listed(query = ""): Promise<AuditList> {
  const res = await list(query);
  expect(res.status).toBe(200);
  return (await res.json()) as AuditList;
}

/** True when the entries are newest first (created descending, then id descending). */
function newestFirst(entries: AuditLogEntry[]): boolean {
  return entries.every((e, i) => {
    const prev = entries[i - 1];
    return !prev || prev.created > e.created || (prev.created === e.created && prev.id > e.id);
  });
}

describe("audit log: happy path", () => {
  it("lists what an operator did, newest first, with the acting operator and request id", async () => {
    const alice = await newOperator();
    const created = await act<{ id: string }>("/admin/v1/merchants", { name: "Audited Ltd" }, alice.headers);
    await act(`/admin/v1/merchants/${created.id}`, { name: "Audited Ltd (renamed)" }, alice.headers);
    await act(`/admin/v1/merchants/${created.id}/suspend`, {}, alice.headers);
    // An older entry written straight into the log lists last.
    await insertAudit(controlDb(env), {
      id: "aud_old_entry_for_ordering",
      actor: alice.id,
      action: "test.older",
      targetId: created.id,
      requestId: "req_test",
      details: { note: "older" },
      created: 1_000,
    });

    const page = await listed(`?actor=${alice.id}`);
    expect(page).toMatchObject({ object: "list", url: "/admin/v1/audit_log", has_more: false });
    expect(page.data.map((e) => e.action).sort()).toEqual(
      ["merchant.created", "merchant.suspended", "merchant.updated", "test.older"].sort(),
    );
    expect(newestFirst(page.data)).toBe(true);
    expect(page.data.at(-1)?.id).toBe("aud_old_entry_for_ordering");
    const first = page.data.find((e) => e.action === "merchant.created");
    expect(first).toEqual({
      id: expect.stringMatching(/^aud_/),
      object: "audit_log_entry",
      actor: alice.id,
      action: "merchant.created",
      target_id: created.id,
      request_id: expect.stringMatching(/^req_/),
      details: { name: "Audited Ltd", rate_limit: null },
      created: expect.any(Number),
    });
    const all = await listed("?limit=100");
    expect(newestFirst(all.data)).toBe(true);
  });

  it("filters by actor, target, action and created, alone and together", async () => {
    const [alice, bob] = [await newOperator(), await newOperator()];
    const m1 = await act("/admin/v1/merchants", { name: "One" }, alice.headers);
    const m2 = await act("/admin/v1/merchants", { name: "Two" }, bob.headers);
    await act(`/admin/v1/merchants/${m1.id}/suspend`, {}, bob.headers);

    const byTarget = await listed(`?target=${m1.id}`);
    expect(byTarget.data.map((e) => [e.actor, e.action]).sort()).toEqual(
      [
        [alice.id, "merchant.created"],
        [bob.id, "merchant.suspended"],
      ].sort(),
    );
    const byBob = await listed(`?actor=${bob.id}`);
    expect(byBob.data.map((e) => e.target_id).sort()).toEqual([m1.id, m2.id].sort());
    const both = await listed(`?actor=${bob.id}&action=merchant.created`);
    expect(both.data.map((e) => e.target_id)).toEqual([m2.id]);
    const suspends = await listed("?action=merchant.suspended&limit=100");
    expect(suspends.data.every((e) => e.action === "merchant.suspended")).toBe(true);
    expect(suspends.data.map((e) => e.target_id)).toContain(m1.id);
    expect((await listed(`?actor=${alice.id}&target=${m2.id}`)).data).toEqual([]);
    expect((await listed("?actor=opr_nobody")).data).toEqual([]);

    const future = Math.floor(Date.now() / 1000) + 3600;
    expect((await listed(`?actor=${bob.id}&created[gte]=${future}`)).data).toEqual([]);
    expect((await listed(`?actor=${bob.id}&created[lte]=${future}`)).data).toHaveLength(2);
  });

  it("pages with limit, starting_after and ending_before, and has_more", async () => {
    const op = await newOperator();
    for (let i = 0; i < 5; i++) await act("/admin/v1/merchants", { name: `Paged ${i}` }, op.headers);
    const everything = await listed(`?actor=${op.id}`);
    expect(everything.data).toHaveLength(5);

    const first = await listed(`?actor=${op.id}&limit=2`);
    expect(first.has_more).toBe(true);
    expect(first.data).toEqual(everything.data.slice(0, 2));
    const second = await listed(`?actor=${op.id}&limit=2&starting_after=${first.data[1]?.id}`);
    expect(second.data).toEqual(everything.data.slice(2, 4));
    expect(second.has_more).toBe(true);
    const last = await listed(`?actor=${op.id}&limit=2&starting_after=${second.data[1]?.id}`);
    expect(last.data).toEqual(everything.data.slice(4));
    expect(last.has_more).toBe(false);
    const back = await listed(`?actor=${op.id}&limit=2&ending_before=${last.data[0]?.id}`);
    expect(back.data).toEqual(everything.data.slice(2, 4));
    // A cursor from outside the filter still pages (as Stripe's filtered lists do).
    const other = await listed("?limit=1");
    expect((await list(`?actor=${op.id}&starting_after=${other.data[0]?.id}`)).status).toBe(200);
  });

  it("never holds a secret an action handed out (operator, client and API key secrets)", async () => {
    const op = await newOperator();
    const created = await act<{ id: string; secret: string }>(
      "/admin/v1/operators",
      { name: `s-${++seq}` },
      op.headers,
    );
    const m = await newMerchant();
    const client = await act<{ client_secret: string }>(`/admin/v1/merchants/${m.merchantId}/clients`, {}, op.headers);
    const key = await act<{ secret: string }>(
      `/admin/v1/merchants/${m.merchantId}/api_keys`,
      { type: "secret" },
      op.headers,
    );
    const text = JSON.stringify((await listed(`?actor=${op.id}`)).data);
    expect(text).toContain("operator.created");
    expect(text).toContain("client.created");
    expect(text).toContain("api_key.created");
    for (const secret of [created.secret, client.client_secret, key.secret, env.OPERATOR_TOKEN]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(secret.slice(-12));
    }
  });
});

describe("audit log: errors", () => {
  it("names the parameter of a bad limit, cursor or filter", async () => {
    const cases: [string, number, string][] = [
      ["?limit=0", 400, "limit"],
      ["?limit=101", 400, "limit"],
      ["?limit=ten", 400, "limit"],
      ["?starting_after=aud_doesnotexist", 404, "starting_after"],
      ["?ending_before=aud_doesnotexist", 404, "ending_before"],
      ["?starting_after=a&ending_before=b", 400, "ending_before"],
      ["?created[gte]=yesterday", 400, "created[gte]"],
      ["?actor=", 400, "actor"],
      ["?target_id=mer_x", 400, "target_id"],
    ];
    for (const [query, status, param] of cases) {
      const res = await list(query);
      const body = (await res.json()) as ErrorBody;
      expect([query, res.status, body.error.param]).toEqual([query, status, param]);
      expect(body.error.request_id).toMatch(/^req_/);
    }
  });
});

describe("audit log: security", () => {
  it("needs an operator credential: none, a wrong one, a merchant's token and a disabled operator's secret are 401", async () => {
    const ip = newIp("198.18");
    const from = (headers: Record<string, string>) => list("", { ...headers, "cf-connecting-ip": ip });
    const none = await from({});
    expect([none.status, ((await none.json()) as ErrorBody).error.code]).toEqual([401, "authentication_required"]);
    const m = await newMerchant();
    const op = await newOperator();
    expect((await from(op.headers)).status).toBe(200);
    await operator(`/admin/v1/operators/${op.id}/disable`, {});
    for (const headers of [bearer("eop_wrong"), m.headers, op.headers, bearer(`${env.OPERATOR_TOKEN}x`)]) {
      const res = await from(headers);
      expect(res.status).toBe(401);
      expect(((await res.json()) as ErrorBody).error.code).toBe("invalid_token");
    }
  });

  it("is read-only: no write method is routed", async () => {
    for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
      const res = await call("/admin/v1/audit_log", { method, headers: operatorHeaders() });
      expect([method, res.status]).toEqual([method, 405]);
    }
  });
});

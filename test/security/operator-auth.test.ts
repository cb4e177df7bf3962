/**
 * Operator authentication: the root token disabled by a named operator, a root token that is not
 * configured, the lockout guards, the per-operator rate limit and the per-source throttle of failed
 * authentications. Disabling the root token is a D1 change, so these tests run in their own file.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { operatorThrottleName, sourceThrottleName } from "../../src/durable/merchant-gate";
import { BASE, call, type ErrorBody, json } from "../helpers/http";
import { operator, operatorHeaders } from "../helpers/merchants";
import { freeze, newIp } from "../helpers/throttle";

let seq = 0;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** Creates an operator with `creds` (root by default) and returns its id, secret and header. */
async function newOperator(body: Record<string, unknown> = {}, creds = operatorHeaders()) {
  const init = json({ name: `sec-${++seq}-${Math.random().toString(36).slice(2, 8)}`, ...body });
  const res = await call("/admin/v1/operators", { ...init, headers: { ...init.headers, ...creds } });
  if (res.status !== 200) throw new Error(`create operator: ${res.status} ${await res.text()}`);
  const op = (await res.json()) as { id: string; secret: string };
  return { ...op, headers: bearer(op.secret) };
}

function post(path: string, headers: Record<string, string>, extra: Record<string, string> = {}) {
  return call(path, { method: "POST", headers: { ...headers, ...extra } });
}

describe("failed operator authentications, per source IP", () => {
  it("allow 30 a minute, then 429 for that source even with a right credential; other sources are unaffected", async () => {
    const op = await newOperator();
    const [a, b] = [newIp("203.0"), newIp("203.0")];
    const clock = await freeze(sourceThrottleName(a), sourceThrottleName(b));
    const from = (ip: string, headers: Record<string, string>) =>
      call("/admin/v1/operators", { headers: { ...headers, "cf-connecting-ip": ip } });
    for (let i = 0; i < 30; i++) expect((await from(a, bearer(`eop_wrong${i}`))).status).toBe(401);
    const blocked = await from(a, bearer("eop_wrong-again"));
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get("Retry-After")).toBe("2");
    expect(((await blocked.json()) as ErrorBody).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
    // The guessing source learns nothing, not even from the right secret...
    expect((await from(a, op.headers)).status).toBe(429);
    expect((await from(a, operatorHeaders())).status).toBe(429);
    // ...while the same credentials from anywhere else work.
    expect((await from(b, op.headers)).status).toBe(200);
    expect((await from(b, operatorHeaders())).status).toBe(200);
    clock.now += 2_000;
    expect((await from(a, op.headers)).status).toBe(200);
  });

  it("count only failures: a burst of right credentials drains nothing", async () => {
    const op = await newOperator({ rate_limit: 1000 });
    const ip = newIp("203.0");
    await freeze(sourceThrottleName(ip));
    const burst = await Promise.all(
      Array.from({ length: 40 }, () =>
        call("/admin/v1/root_token", { headers: { ...op.headers, "cf-connecting-ip": ip } }),
      ),
    );
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    const wrong = await call("/admin/v1/root_token", { headers: { ...bearer("eop_nope"), "cf-connecting-ip": ip } });
    expect(wrong.status).toBe(401);
  });
});

describe("per-operator rate limit", () => {
  it("answers 429 with Retry-After over the operator's own rate_limit, without touching other operators", async () => {
    const slow = await newOperator({ rate_limit: 3 });
    const other = await newOperator({ rate_limit: 3 });
    const clock = await freeze(operatorThrottleName(slow.id), operatorThrottleName(other.id));
    for (let i = 0; i < 3; i++) expect((await call("/admin/v1/operators", { headers: slow.headers })).status).toBe(200);
    const limited = await call("/admin/v1/operators", { headers: slow.headers });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("Retry-After")).toBe("1");
    expect(((await limited.json()) as ErrorBody).error).toMatchObject({ type: "rate_limit_error", code: "rate_limit" });
    expect((await call("/admin/v1/operators", { headers: other.headers })).status).toBe(200);
    clock.now += 1_000;
    expect((await call("/admin/v1/operators", { headers: slow.headers })).status).toBe(200);
  });

  it("applies to the root token too, at the default of 100 requests per second", async () => {
    const clock = await freeze(operatorThrottleName("root"));
    const statuses = await Promise.all(
      Array.from({ length: 101 }, () => call("/admin/v1/root_token", { headers: operatorHeaders() })),
    );
    expect(statuses.filter((r) => r.status === 200)).toHaveLength(100);
    expect(statuses.filter((r) => r.status === 429)).toHaveLength(1);
    clock.now += 1_000;
    expect((await call("/admin/v1/root_token", { headers: operatorHeaders() })).status).toBe(200);
  });
});

/** Disables (as root) every active operator earlier tests created. */
async function disableAllOperators(): Promise<void> {
  const { data } = await operator<{ data: { id: string; status: string }[] }>("/admin/v1/operators?limit=100");
  for (const o of data.filter((x) => x.status === "active")) await operator(`/admin/v1/operators/${o.id}/disable`, {});
}

describe("a root token that is not configured", () => {
  it("opens nothing, while named operators keep working; the last of them cannot be disabled", async () => {
    await disableAllOperators();
    const op = await newOperator();
    const app = createApp();
    for (const token of ["", "short", "x".repeat(31)]) {
      const brokenEnv = { ...env, OPERATOR_TOKEN: token };
      const root = await app.request(`${BASE}/admin/v1/operators`, { headers: bearer(token || "x") }, brokenEnv);
      expect(root.status).toBe(401);
      const named = await app.request(`${BASE}/admin/v1/operators`, { headers: op.headers }, brokenEnv);
      expect(named.status).toBe(200);
      // Root is unusable, so disabling the only active operator would lock the API.
      const init = { method: "POST", headers: op.headers };
      const lone = await app.request(`${BASE}/admin/v1/operators/${op.id}/disable`, init, brokenEnv);
      expect(lone.status).toBe(400);
      expect(((await lone.json()) as ErrorBody).error).toMatchObject({ code: "operator_lockout", param: "id" });
    }
  });
});

describe("disabling the root token", () => {
  it("is refused while no named operator is active, then works, is audited, and only a named operator undoes it", async () => {
    // Disable every operator earlier tests created (root is still enabled, so each disable may pass).
    const { data } = await operator<{ data: { id: string; status: string }[] }>("/admin/v1/operators?limit=100");
    for (const o of data.filter((x) => x.status === "active"))
      await operator(`/admin/v1/operators/${o.id}/disable`, {});

    const refused = await post("/admin/v1/root_token/disable", operatorHeaders());
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("operator_lockout");
    expect((await operator<{ status: string }>("/admin/v1/root_token")).status).toBe("enabled");

    const alice = await newOperator();
    const bob = await newOperator({}, alice.headers);
    const res = await post("/admin/v1/root_token/disable", alice.headers);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      object: "root_token",
      status: "disabled",
      configured: true,
      updated: expect.any(Number),
      updated_by: alice.id,
    });
    const audit = await env.DB.prepare("select actor, action from audit_log where target_id = 'root_token'").all();
    expect(audit.results).toEqual([{ actor: alice.id, action: "root_token.disabled" }]);

    // The right root token now gets exactly what a wrong one gets.
    const right = await call("/admin/v1/merchants", { headers: operatorHeaders() });
    const wrong = await call("/admin/v1/merchants", { headers: bearer(`${env.OPERATOR_TOKEN}x`) });
    expect(right.status).toBe(401);
    const [r, w] = [(await right.json()) as ErrorBody, (await wrong.json()) as ErrorBody];
    expect({ ...r.error, request_id: "" }).toEqual({ ...w.error, request_id: "" });
    expect(right.headers.get("WWW-Authenticate")).toBe(wrong.headers.get("WWW-Authenticate"));

    // Named operators keep working; alice may disable bob, but not then herself (the last way in).
    expect((await post(`/admin/v1/operators/${bob.id}/disable`, alice.headers)).status).toBe(200);
    const last = await post(`/admin/v1/operators/${alice.id}/disable`, alice.headers);
    expect(last.status).toBe(400);
    expect(((await last.json()) as ErrorBody).error).toMatchObject({ code: "operator_lockout", param: "id" });
    expect((await call("/admin/v1/operators", { headers: alice.headers })).status).toBe(200);

    // A named operator can enable root again; root works on the next request.
    const enabled = await post("/admin/v1/root_token/enable", alice.headers);
    expect(((await enabled.json()) as { status: string }).status).toBe("enabled");
    expect((await call("/admin/v1/merchants", { headers: operatorHeaders() })).status).toBe(200);
    // With root usable, the last named operator may be disabled.
    expect((await post(`/admin/v1/operators/${alice.id}/disable`, operatorHeaders())).status).toBe(200);
    expect((await call("/admin/v1/operators", { headers: alice.headers })).status).toBe(401);
  });

  it("cannot race the last operator's disable into a lockout", async () => {
    const [a, b] = [await newOperator(), await newOperator()];
    expect((await post("/admin/v1/root_token/disable", a.headers)).status).toBe(200);
    // Each disables the other at once: exactly one may succeed.
    const [x, y] = await Promise.all([
      post(`/admin/v1/operators/${b.id}/disable`, a.headers),
      post(`/admin/v1/operators/${a.id}/disable`, b.headers),
    ]);
    expect([x.status, y.status].sort()).toEqual([200, 400]);
    const active = await env.DB.prepare("select count(*) as n from operators where status = 'active'").first<{
      n: number;
    }>();
    expect(active?.n).toBe(1);
  });
});

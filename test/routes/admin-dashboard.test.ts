/**
 * The operator dashboard's page and sign-in (`/admin/dashboard`, `POST /admin/dashboard/session`,
 * `/logout`) and what its session cookie opens: the page's HTML has the strict policy and no inline
 * script; the right secret (root or a named operator's) sets exactly the `__Host-` cookie, a wrong
 * one gets the operator API's 401 on the same throttle; the cookie reads /admin/v1/metrics and
 * /admin/v1/audit_log (GET) and nothing else, never a write; a tampered, expired, foreign or
 * outlived session is a 401 that clears the cookie.
 */
import { env } from "cloudflare:workers";
import { decodeJwt } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signDashboardSession } from "../../src/crypto/dashboard-session";
import { tokenConfig } from "../../src/crypto/jwt";
import { sourceThrottleName } from "../../src/durable/merchant-gate";
import { DASHBOARD_CSP } from "../../src/routes/admin-dashboard";
import { call, type ErrorBody, json } from "../helpers/http";
import { newMerchant, operator } from "../helpers/merchants";
import { freeze, newIp } from "../helpers/throttle";

const COOKIE = "__Host-edgepay_dashboard";
const SET_COOKIE = new RegExp(`^${COOKIE}=([\\w.-]+); Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=900$`);
const CLEARED = `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`;

let seq = 0;
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });
const now = () => Math.floor(Date.now() / 1000);

async function newOperator() {
  const name = `dash-${++seq}-${Math.random().toString(36).slice(2, 8)}`;
  const op = await operator<{ id: string; secret: string }>("/admin/v1/operators", { name });
  return { ...op, headers: bearer(op.secret) };
}

/** POST /admin/dashboard/session with `secret` (JSON), from `ip`. */
function login(secret: unknown, ip = newIp("198.19"), extra: Record<string, string> = {}) {
  const init = json({ secret });
  return call("/admin/dashboard/session", { ...init, headers: { ...init.headers, "cf-connecting-ip": ip, ...extra } });
}

/** Signs in with `secret` and returns the session cookie's value. */
async function sessionFor(secret: string): Promise<string> {
  const res = await login(secret);
  expect(res.status).toBe(200);
  const value = SET_COOKIE.exec(res.headers.get("set-cookie") ?? "")?.[1];
  if (!value) throw new Error(`no session cookie: ${res.headers.get("set-cookie")}`);
  return value;
}

/** A request carrying only the session cookie. */
function withCookie(path: string, session: string, init: RequestInit = {}) {
  return call(path, { ...init, headers: { ...init.headers, cookie: `${COOKIE}=${session}` } });
}

async function errorOf(res: Response) {
  return [res.status, ((await res.json()) as ErrorBody).error.code];
}

describe("dashboard page", () => {
  it("is the static page with the strict policy, no inline script or style, and no secret", async () => {
    const res = await call("/admin/dashboard");
    expect(res.status).toBe(200);
    const headers = {
      "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
      "content-type": "text/html; charset=utf-8",
    };
    for (const [name, value] of Object.entries(headers)) expect([name, res.headers.get(name)]).toEqual([name, value]);
    expect(DASHBOARD_CSP).toBe(headers["content-security-policy"]);
    const html = await res.text();
    const scripts = html.match(/<script\b[^>]*>[\s\S]*?<\/script>/g) ?? [];
    expect(scripts).toEqual([
      '<script src="/admin/vendor/uPlot.iife.min.js" defer></script>',
      '<script type="module" src="/admin/dashboard.js"></script>',
    ]);
    expect(html).not.toMatch(/<style\b|\sstyle=|\son[a-z]+=|javascript:|https?:\/\//i);
    expect(html).not.toContain(env.OPERATOR_TOKEN);
    // The HTML is never an asset of its own; the page's own files are served by the assets.
    expect((await call("/admin/dashboard.html")).status).toBe(404);
    expect((await env.ASSETS.fetch("http://127.0.0.1/admin/dashboard.js")).status).toBe(200);
    expect((await env.ASSETS.fetch("http://127.0.0.1/admin/vendor/uPlot.iife.min.js")).status).toBe(200);
  });
});

describe("signing in", () => {
  it("with the root token sets exactly the __Host- session cookie, which is a signed session, not the secret", async () => {
    const res = await login(env.OPERATOR_TOKEN);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ object: "dashboard_session", operator: "root" });
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(SET_COOKIE);
    expect(cookie).not.toContain(env.OPERATOR_TOKEN);
    const claims = decodeJwt(SET_COOKIE.exec(cookie)?.[1] ?? "");
    expect(claims).toMatchObject({ sub: "root", aud: "edgepay-dashboard", iss: env.JWT_ISSUER });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(900);
    expect(JSON.stringify(claims)).not.toContain(env.OPERATOR_TOKEN.slice(-10));
  });

  it("with a named operator's secret (JSON or form) opens a session for that operator, audited", async () => {
    const op = await newOperator();
    const session = await sessionFor(op.secret);
    expect(decodeJwt(session).sub).toBe(op.id);
    const form = await call("/admin/dashboard/session", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ secret: op.secret }).toString(),
    });
    expect(form.status).toBe(200);
    const state = await withCookie("/admin/dashboard/session", session);
    expect(await state.json()).toEqual({ object: "dashboard_session", operator: op.id });
    const audit = await withCookie(`/admin/v1/audit_log?actor=${op.id}&action=dashboard.signed_in`, session);
    expect(((await audit.json()) as { data: unknown[] }).data).toHaveLength(2);
  });

  it("refuses a wrong secret with the operator API's 401 and no cookie; failures share its per-IP throttle", async () => {
    const m = await newMerchant();
    const ip = newIp("198.19");
    const clock = await freeze(sourceThrottleName(ip));
    for (const secret of ["eop_wrong", `${env.OPERATOR_TOKEN}x`, m.token]) {
      const res = await login(secret, ip);
      expect(await errorOf(res)).toEqual([401, "invalid_token"]);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    // 30 failures a minute per source, Bearer guesses and sign-in guesses together.
    for (let i = 0; i < 27; i++) {
      const res = await call("/admin/v1/operators", { headers: { ...bearer(`eop_x${i}`), "cf-connecting-ip": ip } });
      expect(res.status).toBe(401);
    }
    const blocked = await login(env.OPERATOR_TOKEN, ip);
    expect(await errorOf(blocked)).toEqual([429, "rate_limit"]);
    expect(blocked.headers.get("set-cookie")).toBeNull();
    clock.now += 2_000;
    expect((await login(env.OPERATOR_TOKEN, ip)).status).toBe(200);
  });

  it("refuses a missing or malformed secret (400 naming it) and another origin (403)", async () => {
    expect(await errorOf(await login(undefined))).toEqual([400, "parameter_missing"]);
    expect(await errorOf(await login(""))).toEqual([400, "parameter_missing"]);
    expect(await errorOf(await login(42))).toEqual([400, "parameter_invalid"]);
    expect(await errorOf(await login("x".repeat(4097)))).toEqual([400, "parameter_invalid"]);
    const foreign = await login(env.OPERATOR_TOKEN, newIp("198.19"), { origin: "https://evil.example" });
    expect(await errorOf(foreign)).toEqual([403, "cross_origin_request"]);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    const own = await login(env.OPERATOR_TOKEN, newIp("198.19"), { origin: "http://127.0.0.1:8787" });
    expect(own.status).toBe(200);
  });
});

describe("the session cookie", () => {
  it("reads the metrics and the audit log with GET, and nothing else", async () => {
    const session = await sessionFor(env.OPERATOR_TOKEN);
    const audit = await withCookie("/admin/v1/audit_log?limit=5", session);
    expect(audit.status).toBe(200);
    expect(((await audit.json()) as { object: string }).object).toBe("list");
    const metrics = await withCookie("/admin/v1/metrics?interval=300", session);
    expect(metrics.status).toBe(200);
    expect(await metrics.json()).toMatchObject({ object: "metrics", interval: 300, merchant: null });

    const refused: [string, string][] = [
      ["GET", "/admin/v1/merchants"],
      ["GET", "/admin/v1/operators"],
      ["GET", "/admin/v1/root_token"],
      ["GET", "/admin/v1/alerting"],
      ["POST", "/admin/v1/alerting"],
      ["GET", "/admin/v1/audit_log/"],
      ["HEAD", "/admin/v1/audit_log"],
      ["POST", "/admin/v1/merchants"],
      ["POST", "/admin/v1/operators"],
      ["POST", "/admin/v1/root_token/disable"],
      ["PATCH", "/admin/v1/audit_log"],
      ["POST", "/admin/v1/audit_log"],
      ["POST", "/admin/v1/metrics"],
      ["DELETE", "/admin/v1/metrics"],
    ];
    for (const [method, path] of refused) {
      const init = method === "GET" || method === "HEAD" ? { method } : { ...json({ name: "Cookie Co" }), method };
      const res = await withCookie(path, session, init);
      expect([method, path, res.status]).toEqual([method, path, 401]);
      if (method !== "HEAD") expect(((await res.json()) as ErrorBody).error.code).toBe("authentication_required");
    }
    const merchants = await operator<{ data: { name: string }[] }>("/admin/v1/merchants?limit=100");
    expect(merchants.data.map((m) => m.name)).not.toContain("Cookie Co");
    // A Bearer header is what counts when both are sent: a wrong one fails whatever the cookie.
    const both = await call("/admin/v1/audit_log", {
      headers: { ...bearer("eop_wrong"), cookie: `${COOKIE}=${session}`, "cf-connecting-ip": newIp("198.19") },
    });
    expect(both.status).toBe(401);
  });

  it("is refused (401, cookie cleared) when tampered with, forged for another operator, or not a session", async () => {
    const op = await newOperator();
    const session = await sessionFor(op.secret);
    const [header, payload, signature] = session.split(".") as [string, string, string];
    const swapped = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const forged = btoa(JSON.stringify({ ...swapped, sub: "root" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "BB" : "AA"}`;
    const m = await newMerchant();
    const config = await tokenConfig(env);
    const wrongTag = await signDashboardSession(config, { operatorId: "root", credential: "not-the-tag" }, now());
    for (const value of [
      `${header}.${payload}.${flipped}`,
      `${header}.${forged}.${signature}`,
      m.token,
      op.secret,
      env.OPERATOR_TOKEN,
      wrongTag,
      "garbage",
    ]) {
      const res = await withCookie("/admin/v1/audit_log", value, { headers: { "cf-connecting-ip": newIp("198.19") } });
      expect(await errorOf(res)).toEqual([401, "invalid_token"]);
      expect(res.headers.get("set-cookie")).toBe(CLEARED);
      const state = await withCookie("/admin/dashboard/session", value);
      expect(await state.json()).toEqual({ object: "dashboard_session", operator: null });
    }
    // Nor is a session a Bearer credential anywhere.
    expect((await call("/admin/v1/audit_log", { headers: bearer(session) })).status).toBe(401);
    expect((await call("/v1/balance", { headers: bearer(session) })).status).toBe(401);
  });

  it("is refused once expired (401)", async () => {
    const op = await newOperator();
    const live = await sessionFor(op.secret);
    const claims = decodeJwt(live);
    const config = await tokenConfig(env);
    const opened = now() - 900 - 10;
    const expired = await signDashboardSession(config, { operatorId: op.id, credential: String(claims.cred) }, opened);
    expect((await withCookie("/admin/v1/audit_log", live)).status).toBe(200);
    const res = await withCookie("/admin/v1/audit_log", expired);
    expect(await errorOf(res)).toEqual([401, "invalid_token"]);
    expect(res.headers.get("set-cookie")).toBe(CLEARED);
  });

  it("stops working when its operator is disabled", async () => {
    const op = await newOperator();
    const session = await sessionFor(op.secret);
    expect((await withCookie("/admin/v1/audit_log", session)).status).toBe(200);
    await operator(`/admin/v1/operators/${op.id}/disable`, {});
    expect(await errorOf(await withCookie("/admin/v1/audit_log", session))).toEqual([401, "invalid_token"]);
    const state = await withCookie("/admin/dashboard/session", session);
    expect(await state.json()).toEqual({ object: "dashboard_session", operator: null });
  });

  it("of root stops working while the root token is disabled", async () => {
    const session = await sessionFor(env.OPERATOR_TOKEN);
    const op = await newOperator();
    expect((await call("/admin/v1/root_token/disable", { method: "POST", headers: op.headers })).status).toBe(200);
    try {
      expect(await errorOf(await withCookie("/admin/v1/audit_log", session))).toEqual([401, "invalid_token"]);
    } finally {
      expect((await call("/admin/v1/root_token/enable", { method: "POST", headers: op.headers })).status).toBe(200);
    }
    expect((await withCookie("/admin/v1/audit_log", session)).status).toBe(200);
  });

  it("is cleared by signing out", async () => {
    const res = await call("/admin/dashboard/logout", { method: "POST" });
    expect(res.status).toBe(204);
    expect(res.headers.get("set-cookie")).toBe(CLEARED);
    const foreign = await call("/admin/dashboard/logout", {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    expect(await errorOf(foreign)).toEqual([403, "cross_origin_request"]);
    const none = await call("/admin/dashboard/session");
    expect(await none.json()).toEqual({ object: "dashboard_session", operator: null });
    expect(none.headers.get("set-cookie")).toBeNull();
  });
});

describe("logs", () => {
  afterEach(() => vi.restoreAllMocks());

  it("never hold a secret typed into the sign-in, nor the session", async () => {
    const spies = (["debug", "info", "warn", "error", "log"] as const).map((m) => vi.spyOn(console, m));
    const op = await newOperator();
    const session = await sessionFor(op.secret);
    await login(`${op.secret}x`);
    await login(env.OPERATOR_TOKEN);
    await withCookie("/admin/v1/audit_log", session);
    await withCookie("/admin/v1/audit_log", `${session}x`);
    const output = spies.flatMap((s) => s.mock.calls.map((args) => args.map(String).join(" "))).join("\n");
    expect(output).toContain("operator_auth_failed");
    for (const secret of [op.secret, env.OPERATOR_TOKEN, session, session.split(".")[2] ?? "-"]) {
      expect(output).not.toContain(secret);
    }
  });
});

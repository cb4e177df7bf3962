/** merchantAuth and requireScope: the happy path, missing and malformed credentials, and scopes. */
import { env } from "cloudflare:workers";
import { createRoute } from "@hono/zod-openapi";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { STATUS_CACHE_TTL_MS } from "../../src/db/access-status";
import { requireScope } from "../../src/middleware/merchant-auth";
import { BASE, call, type ErrorBody } from "../helpers/http";
import { newMerchant, operator, tokenFor } from "../helpers/merchants";

/** The real app plus one route guarded by `payments:write`. */
function appWithScopedRoute() {
  const app = createApp();
  app.openapi(
    createRoute({
      method: "post",
      path: "/v1/test/scoped",
      middleware: [requireScope("payments:write")] as const,
      responses: { 200: { description: "ok" } },
    }),
    (c) => c.json({ merchant: c.var.auth.merchantId }, 200),
  );
  return (path: string, init?: RequestInit) => app.request(`${BASE}${path}`, init, env);
}

describe("merchantAuth", () => {
  it("admits a valid token and exposes the merchant, client and scopes", async () => {
    const m = await newMerchant({ name: "Acme", scopes: ["payments:read", "refunds:read"] });
    const res = await call("/v1/account", { headers: m.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: m.merchantId,
      object: "account",
      name: "Acme",
      created: expect.any(Number),
      livemode: false,
      client_id: m.clientId,
      scopes: ["payments:read", "refunds:read"],
    });
  });

  it("answers a missing Authorization header with 401 authentication_required", async () => {
    const res = await call("/v1/account");
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="edgepay"');
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "authentication_error", code: "authentication_required" });
  });

  it("protects unknown /v1 paths too, so nothing about routes leaks before authentication", async () => {
    const res = await call("/v1/no_such_resource");
    expect(res.status).toBe(401);
    const m = await newMerchant();
    const authed = await call("/v1/no_such_resource", { headers: m.headers });
    expect(authed.status).toBe(404);
    expect(((await authed.json()) as ErrorBody).error.code).toBe("route_not_found");
  });

  it.each([
    ["Basic scheme", "Basic Y2xpOnNlY3JldA=="],
    ["empty bearer", "Bearer "],
    ["not a JWT", "Bearer not-a-jwt"],
    ["token with spaces", "Bearer a b"],
  ])("refuses %s with 401 invalid_token", async (_name, authorization) => {
    const res = await call("/v1/account", { headers: { authorization } });
    expect(res.status).toBe(401);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="invalid_token"');
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "authentication_error", code: "invalid_token" });
  });

  it("answers 401 before reading the body, so malformed bodies of strangers are never parsed", async () => {
    const res = await call("/v1/account", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(res.status).toBe(401);
    const admin = await call("/admin/v1/merchants", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    expect(admin.status).toBe(401);
  });

  it("never echoes the token in the error", async () => {
    const m = await newMerchant();
    const tampered = `${m.token.slice(0, -4)}AAAA`;
    const res = await call("/v1/account", { headers: { authorization: `Bearer ${tampered}` } });
    expect(res.status).toBe(401);
    const text = await res.text();
    for (const part of tampered.split(".")) expect(text).not.toContain(part);
  });
});

describe("verified-token cache and revocation", () => {
  it("refuses a revoked client's cached token at once in the isolate that revoked it", async () => {
    const m = await newMerchant();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    await operator(`/admin/v1/merchants/${m.merchantId}/clients/${m.clientId}/revoke`, {});
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(401);
  });

  it("refuses a cached token within STATUS_CACHE_TTL_MS once another isolate revoked its client", async () => {
    const m = await newMerchant();
    expect((await call("/v1/account", { headers: m.headers })).status).toBe(200);
    // Revoked in D1 by someone else: this isolate's caches are not told.
    await env.DB.prepare("update api_clients set status = 'revoked' where client_id = ?").bind(m.clientId).run();
    const revokedAt = Date.now();
    let lastAdmittedAt = revokedAt;
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < STATUS_CACHE_TTL_MS + 2_000) {
      await scheduler.wait(250);
      const sentAt = Date.now();
      status = (await call("/v1/account", { headers: m.headers })).status;
      if (status === 200) lastAdmittedAt = sentAt;
    }
    expect(status).toBe(401);
    // Nothing sent later than the status cache's TTL after the revocation was admitted.
    expect(lastAdmittedAt - revokedAt).toBeLessThan(STATUS_CACHE_TTL_MS);
  });
});

describe("requireScope", () => {
  it("lets a token with the scope through", async () => {
    const m = await newMerchant({ scopes: ["payments:write"] });
    const res = await appWithScopedRoute()("/v1/test/scoped", { method: "POST", headers: m.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ merchant: m.merchantId });
  });

  it("answers 403 permission_error naming the missing scope", async () => {
    const m = await newMerchant();
    const { headers } = await tokenFor(m, ["payments:read", "refunds:write"]);
    const res = await appWithScopedRoute()("/v1/test/scoped", { method: "POST", headers });
    expect(res.status).toBe(403);
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer error="insufficient_scope", scope="payments:write"');
    const body = (await res.json()) as ErrorBody & { error: { required_scope: string } };
    expect(body.error).toMatchObject({
      type: "permission_error",
      code: "insufficient_scope",
      required_scope: "payments:write",
    });
    expect(body.error.message).toContain("payments:write");
  });

  it("refuses an unknown scope when the route is built, not at request time", () => {
    expect(() => requireScope("payments:delete" as "payments:write")).toThrow(/unknown scope/);
  });
});

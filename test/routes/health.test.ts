/**
 * `GET /health`: every dependency probed and timed (happy path), a failing Durable Object making it
 * 503 `degraded` (errors), and an unauthenticated answer that names nothing internal (security).
 * Also the OpenAPI document (the reference page that renders it: test/routes/docs.test.ts).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { createApp } from "../../src/app";
import { shardBindings } from "../../src/db/shards";
import type { HealthJson } from "../../src/routes/health";
import { BASE, call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

const check = { status: "ok", latency_ms: expect.any(Number) };

describe("GET /health", () => {
  it("reports the control database, every shard by index and the Durable Object, each ok and timed", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as HealthJson;
    const shards = shardBindings(env).map((_, shard) => ({ shard, ...check }));
    expect(shards.length).toBeGreaterThanOrEqual(2);
    expect(body).toEqual({
      status: "ok",
      checks: { d1: { control: check, shards }, durable_objects: { merchant_gate: check } },
    });
    const latencies = [body.checks.d1.control, ...body.checks.d1.shards, body.checks.durable_objects.merchant_gate];
    for (const l of latencies) {
      expect(Number.isInteger(l.latency_ms)).toBe(true);
      expect(l.latency_ms).toBeGreaterThanOrEqual(0);
      expect(l.latency_ms).toBeLessThan(2000);
    }
  });

  it("answers from its last probes for a few seconds: a burst of /health costs the databases nothing more", async () => {
    const info = vi.spyOn(console, "info");
    const first = await call("/health");
    const burst = await Promise.all(Array.from({ length: 10 }, () => call("/health")));
    const bodies = await Promise.all([first, ...burst].map((r) => r.json()));
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
    const lines = info.mock.calls
      .map((args) => String(args[0]))
      .filter((l) => l.includes('"route":"GET /health"'))
      .map((l) => JSON.parse(l) as { d1_calls: number });
    info.mockRestore();
    expect(lines).toHaveLength(11);
    expect(lines.slice(1).every((l) => l.d1_calls === 0)).toBe(true);
  });

  it("is 503 degraded when a dependency fails, the others still ok", async () => {
    // The gate binding pointed at another (real) Durable Object class, which has no ping method.
    const broken = { ...env, MERCHANT_GATE: env.RISK_COUNTER } as unknown as Env;
    const res = await createApp().request(`${BASE}/health`, {}, broken);
    expect(res.status).toBe(503);
    const body = (await res.json()) as HealthJson;
    expect(body.status).toBe("degraded");
    expect(body.checks.durable_objects.merchant_gate).toEqual({ status: "fail", latency_ms: expect.any(Number) });
    expect(body.checks.d1.control.status).toBe("ok");
    expect(body.checks.d1.shards.every((s) => s.status === "ok")).toBe(true);
  });

  it("takes no credentials, refuses a query, and names no binding, database or error", async () => {
    const m = await newMerchant();
    for (const headers of [{}, m.headers, { authorization: "Bearer nope" }]) {
      const res = await call("/health", { headers });
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).not.toMatch(/SHARD_|MERCHANT_GATE|edgepay-|"DB"/);
      expect(text).not.toMatch(/error|message/i);
    }
    const broken = { ...env, MERCHANT_GATE: env.RISK_COUNTER } as unknown as Env;
    const degraded = await (await createApp().request(`${BASE}/health`, {}, broken)).text();
    expect(degraded).not.toMatch(/ping|RiskCounter|RISK_COUNTER|error|message|stack/i);
    expect((await call("/health?verbose=1")).status).toBe(400);
  });
});

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document generated from the route schemas", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/health"]).toBeDefined();
    expect(doc.components.schemas.Health).toBeDefined();
    expect(doc.components.schemas.HealthCheck).toBeDefined();
  });
});

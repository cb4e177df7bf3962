import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";

describe("GET /health", () => {
  it("reports D1 and the Durable Object as ok", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok", checks: { d1: "ok", durable_object: "ok" } });
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
  });
});

describe("GET /docs", () => {
  it("serves a self-contained HTML page that loads nothing from other hosts", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/(src|href)="https?:\/\//);
  });
});

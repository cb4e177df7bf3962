/**
 * The served OpenAPI document's metadata, which `npm run lint:openapi` (Redocly's recommended
 * ruleset) also checks: one unique Stripe-style operationId per operation, both body encodings
 * declared (and the body parser's 413 and 415), `security: []` exactly on the public routes, the gate's 409/429 and Idempotency-Key on
 * the routes it runs on, declared tags, servers and license; and the required scope of every
 * guarded operation, read from its own `requireScope` guard (lib/route-scopes.ts). The operations are read from the
 * document, so a route added later is checked without editing this file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { gatedPath, TOKEN_PATH } from "../../src/app";
import { operationIdFor } from "../../src/lib/openapi-document";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

interface Operation {
  operationId?: string;
  description?: string;
  "x-scopes"?: string[];
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: unknown }> };
  responses: Record<string, { headers?: Record<string, unknown> }>;
}
interface Doc {
  info: { license?: { name: string } };
  servers?: { url: string }[];
  tags?: { name: string; description?: string }[];
  paths: Record<string, Record<string, Operation>>;
}

let doc: Doc;
let operations: { method: string; path: string; op: Operation }[];
beforeAll(async () => {
  doc = (await (await call("/openapi.json")).json()) as Doc;
  operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, op })),
  );
});

const named = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;

describe("operationId", () => {
  it("is Stripe's name for the routes Stripe has, and Admin… for operator routes", () => {
    expect(operationIdFor("post", "/v1/payment_intents")).toBe("PostPaymentIntents");
    expect(operationIdFor("get", "/v1/payment_intents/{id}")).toBe("GetPaymentIntentsIntent");
    expect(operationIdFor("post", "/v1/payment_intents/{id}/confirm")).toBe("PostPaymentIntentsIntentConfirm");
    expect(operationIdFor("get", "/v1/customers/{id}/payment_methods")).toBe("GetCustomersCustomerPaymentMethods");
    expect(operationIdFor("get", "/v1/checkout/sessions/{id}/line_items")).toBe("GetCheckoutSessionsSessionLineItems");
    expect(operationIdFor("get", "/v1/radar/value_list_items/{id}")).toBe("GetRadarValueListItemsItem");
    expect(operationIdFor("get", "/v1/events/{id}")).toBe("GetEventsId");
    expect(operationIdFor("get", "/admin/v1/merchants")).toBe("AdminGetMerchants");
    expect(operationIdFor("get", "/.well-known/jwks.json")).toBe("GetWellKnownJwksJson");
  });

  it("is set on every operation of the document, and unique", () => {
    expect(operations.length).toBeGreaterThan(100);
    const ids = operations.map((o) => o.op.operationId);
    expect(operations.filter((o) => !o.op.operationId).map(named)).toEqual([]);
    expect(ids.filter((id, i) => ids.indexOf(id) !== i)).toEqual([]);
  });
});

describe("request bodies", () => {
  it("declare form and JSON with the same schema, as the body parser accepts both everywhere", () => {
    const wrong = operations
      .filter(({ op }) => op.requestBody)
      .filter(({ op }) => {
        const content = op.requestBody?.content ?? {};
        const [json, form] = [content["application/json"], content["application/x-www-form-urlencoded"]];
        return !json || !form || JSON.stringify(json.schema) !== JSON.stringify(form.schema);
      });
    expect(wrong.map(named)).toEqual([]);
  });

  it("may be answered with 413 and 415 on every POST and DELETE, as the body parser runs on each", () => {
    const bodied = operations.filter(
      ({ method, path }) => (method === "post" || method === "delete") && path !== TOKEN_PATH,
    );
    expect(bodied.length).toBeGreaterThan(40);
    expect(bodied.filter(({ op }) => !op.responses["413"] || !op.responses["415"]).map(named)).toEqual([]);
  });

  it("but the token endpoint, which answers the parser's refusals as an RFC 6749 400", async () => {
    const token = doc.paths[TOKEN_PATH]?.post;
    expect(Object.keys(token?.responses ?? {}).sort()).toEqual(["200", "400", "401", "429"]);
    const res = await call(TOKEN_PATH, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `grant_type=client_credentials&pad=${"x".repeat(70 * 1024)}`,
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toBe("invalid_request");
  });

  it("a 415 is what a POST with another media type gets, in the error envelope", async () => {
    const m = await newMerchant();
    const res = await call("/v1/payment_intents", {
      method: "POST",
      headers: { ...m.headers, "content-type": "text/plain" },
      body: "amount=1000",
    });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
  });
});

describe("security", () => {
  it("is [] exactly on the public routes, and names a scheme everywhere else", () => {
    const isPublic = (path: string) => !path.startsWith("/admin/") && !gatedPath(path);
    const wrong = operations.filter(({ path, op }) =>
      isPublic(path) ? op.security?.length !== 0 : (op.security?.length ?? 0) === 0,
    );
    expect(wrong.map(named)).toEqual([]);
    const publicOps = operations.filter((o) => isPublic(o.path)).map(named);
    expect(publicOps).toEqual(expect.arrayContaining(["GET /health", "POST /v1/oauth/token"]));
  });
});

describe("the gate's part", () => {
  it("documents 429 and the RateLimit headers on every gated route, and 409 and Idempotency-Key on its POSTs", () => {
    const wrong: string[] = [];
    for (const o of operations.filter((o) => gatedPath(o.path))) {
      const { responses, parameters = [] } = o.op;
      if (!responses["429"]) wrong.push(`${named(o)}: no 429`);
      const ok = Object.keys(responses).find((s) => s.startsWith("2"));
      if (!ok || !responses[ok]?.headers?.RateLimit) wrong.push(`${named(o)}: no RateLimit header`);
      if (o.method !== "post") continue;
      if (!responses["409"]) wrong.push(`${named(o)}: no 409`);
      if (!parameters.some((p) => p.in === "header" && p.name === "Idempotency-Key")) {
        wrong.push(`${named(o)}: no Idempotency-Key`);
      }
    }
    expect(wrong).toEqual([]);
    expect(operations.filter((o) => !gatedPath(o.path) && o.op.parameters?.some((p) => p.in === "header"))).toEqual([]);
  });
});

describe("the required scope", () => {
  it("is named (x-scopes and the description) on every /v1 operation but the token endpoint and GET /v1/account, as its guard checks it", () => {
    const v1 = operations.filter((o) => o.path.startsWith("/v1/"));
    const unscoped = v1.filter((o) => !o.op["x-scopes"]).map((o) => named(o));
    expect(unscoped.sort()).toEqual(["GET /v1/account", "POST /v1/oauth/token"]);
    for (const o of v1.filter((o) => o.op["x-scopes"])) {
      const [key, op] = [named(o), o.op];
      const scopes = op["x-scopes"] ?? [];
      expect([key, scopes.length]).toEqual([key, 1]);
      expect([key, op.description]).toEqual([key, expect.stringContaining(`**Required scope:** \`${scopes[0]}\`.`)]);
    }
    const byKey = Object.fromEntries(operations.map((o) => [named(o), o.op]));
    expect(byKey["POST /v1/refunds"]?.["x-scopes"]).toEqual(["refunds:write"]);
    expect(byKey["GET /v1/customers/{id}/payment_methods"]?.["x-scopes"]).toEqual(["payment_methods:read"]);
    expect(byKey["GET /v1/payment_intents/{id}"]?.description).toContain(
      "A publishable key may also call it, with the PaymentIntent's `client_secret`.",
    );
    expect(byKey["POST /v1/tokens"]?.description).toContain("A publishable key may also call it.");
  });
});

describe("document metadata", () => {
  it("declares every tag an operation uses, each with a description, and a server and a license", () => {
    const declared = new Map((doc.tags ?? []).map((t) => [t.name, t.description]));
    const used = new Set(operations.flatMap((o) => o.op.tags ?? []));
    expect([...used].filter((t) => !declared.has(t))).toEqual([]);
    expect([...declared].filter(([, description]) => !description)).toEqual([]);
    expect(doc.servers?.length).toBeGreaterThan(0);
    expect(doc.info.license?.name).toBe("Apache-2.0");
  });
});

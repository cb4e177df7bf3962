/**
 * Every GET route the OpenAPI document lists refuses a query parameter it does not declare, and
 * every POST route a body parameter it does not declare (400 `parameter_unknown` naming it),
 * merchant, operator and public routes alike; and every route
 * answering with an object that has expandable fields documents `expand` (query or body). The
 * routes are read from the document, so a route added later is checked without editing this file.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { EXPANDABLE, type ObjectType } from "../../src/expand/registry";
import { call } from "../helpers/http";
import { newMerchant, operatorHeaders, type TestMerchant } from "../helpers/merchants";

interface Operation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content: Record<string, { schema: { $ref?: string } }> };
  responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }>;
}
interface Schema {
  properties?: Record<string, Schema>;
  anyOf?: Schema[];
  type?: string;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let doc: Doc;
let m: TestMerchant;
beforeAll(async () => {
  doc = (await (await call("/openapi.json")).json()) as Doc;
  m = await newMerchant({ rateLimit: 1000 });
});

/** The credentials a path takes: the operator's under /admin, the merchant's under /v1, none elsewhere. */
function headersFor(path: string): Record<string, string> {
  if (path.startsWith("/admin/")) return operatorHeaders();
  if (path.startsWith("/v1/")) return m.headers;
  return {};
}

/** The document's path with each `{param}` filled in. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, "xx_000000000000000000000000");

describe("unknown query parameters", () => {
  it("are a 400 parameter_unknown naming the parameter on every GET route in the document", async () => {
    const gets = Object.entries(doc.paths).filter(([, ops]) => ops.get !== undefined);
    expect(gets.length).toBeGreaterThan(25);
    const wrong: string[] = [];
    for (const [path] of gets) {
      const res = await call(`${concrete(path)}?not_a_parameter=1`, { headers: headersFor(path) });
      const body = (await res.json()) as { error?: { code: string; param?: string } };
      if (res.status !== 400 || body.error?.code !== "parameter_unknown" || body.error.param !== "not_a_parameter") {
        wrong.push(`${path}: ${res.status} ${JSON.stringify(body.error ?? body).slice(0, 120)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("expand keys pass only in their own forms: expand[x] and a bare expand are unknown", async () => {
    for (const key of ["expand[x]", "expand", "expand[0][1]"]) {
      const res = await call(`/v1/payment_intents?${key}=data.customer`, { headers: m.headers });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("parameter_unknown");
    }
    const ok = await call("/v1/payment_intents?expand[3]=data.customer&limit=2", { headers: m.headers });
    expect(ok.status).toBe(200);
  });
});

describe("unknown body parameters", () => {
  // The token endpoint answers in RFC 6749's own error format (test/routes/oauth.test.ts checks it).
  const OWN_ERROR_FORMAT = new Set(["/v1/oauth/token"]);

  it("are a 400 on every POST route in the document (parameter_unknown naming it, or the first missing one)", async () => {
    const posts = Object.entries(doc.paths).filter(([path, ops]) => ops.post && !OWN_ERROR_FORMAT.has(path));
    expect(posts.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const [path, ops] of posts) {
      if (!ops.post?.requestBody) wrong.push(`${path}: no request body declared`);
      const res = await call(concrete(path), {
        method: "POST",
        headers: { ...headersFor(path), "content-type": "application/x-www-form-urlencoded" },
        body: "not_a_parameter=1",
      });
      const body = (await res.json()) as { error?: { code: string; param?: string } };
      // A route with required parameters names the first one missing before any unknown one.
      const refused =
        res.status === 400 &&
        ((body.error?.code === "parameter_unknown" && body.error.param === "not_a_parameter") ||
          body.error?.code === "parameter_missing");
      if (!refused) wrong.push(`${path}: ${res.status} ${JSON.stringify(body.error ?? body).slice(0, 120)}`);
    }
    expect(wrong).toEqual([]);
  });
});

describe("the expand parameter in the OpenAPI document", () => {
  const SCHEMAS = ["PaymentIntent", "Charge", "Refund", "Customer", "PaymentMethod"];
  const answers = (op: Operation) => {
    const ref = op.responses["200"]?.content?.["application/json"]?.schema.$ref ?? "";
    const name = ref.replace("#/components/schemas/", "");
    return SCHEMAS.includes(name) || SCHEMAS.some((type) => name === `${type}List`);
  };

  it("is shown on every route answering with an object that has expandable fields", () => {
    const missing: string[] = [];
    let seen = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (!answers(op)) continue;
        seen++;
        if (method === "get") {
          if (!op.parameters?.some((p) => p.in === "query" && p.name === "expand[]")) missing.push(`GET ${path}`);
        } else if (method === "post") {
          const ref = op.requestBody?.content["application/json"]?.schema.$ref?.replace("#/components/schemas/", "");
          const props = ref ? doc.components.schemas[ref]?.properties : undefined;
          if (!props?.expand) missing.push(`POST ${path}`);
        }
      }
    }
    expect(seen).toBeGreaterThan(15);
    expect(missing).toEqual([]);
  });

  it("shows each expandable field of a documented object as its id or the object", () => {
    const names: Partial<Record<ObjectType, string>> = {
      payment_intent: "PaymentIntent",
      charge: "Charge",
      refund: "Refund",
      customer: "Customer",
      payment_method: "PaymentMethod",
    };
    const plain: string[] = [];
    for (const [type, name] of Object.entries(names)) {
      for (const field of EXPANDABLE[type as ObjectType]) {
        let schema: Schema | undefined = doc.components.schemas[name];
        for (const part of field.path) schema = schema?.properties?.[part];
        if (!schema?.anyOf?.some((s) => s.type === "object")) plain.push(`${name}.${field.path.join(".")}`);
      }
    }
    expect(plain).toEqual([]);
  });
});

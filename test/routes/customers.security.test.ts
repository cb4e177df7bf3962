/**
 * Customers and saved cards, security: scopes (access tokens and restricted keys), publishable
 * keys, and tenant isolation (another merchant's customer or payment method is a 404, exactly as
 * a missing one, and changes nothing).
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { neighbours } from "../helpers/shards";

async function customer(m: Pick<TestMerchant, "headers">) {
  const res = await post(m, "/v1/customers", { name: "Ada" });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

/** Every customer and saved-card route, as [method, path, form fields]. */
function routes(cus: string, pm: string): [string, string, Record<string, string>?][] {
  return [
    ["POST", "/v1/customers", { name: "x" }],
    ["GET", "/v1/customers"],
    ["GET", `/v1/customers/${cus}`],
    ["POST", `/v1/customers/${cus}`, { name: "x" }],
    ["DELETE", `/v1/customers/${cus}`],
    ["GET", `/v1/customers/${cus}/payment_methods`],
    ["GET", `/v1/payment_methods?customer=${cus}`],
    ["POST", `/v1/payment_methods/${pm}/attach`, { customer: cus }],
  ];
}

function send(headers: { authorization: string }, method: string, path: string, fields?: Record<string, string>) {
  if (method === "POST") return post({ headers }, path, fields ?? {});
  return call(path, { method, headers }).then(async (res) => ({
    status: res.status,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
    body: (await res.json()) as any,
  }));
}

const SCOPE: Record<string, string> = {
  "POST /v1/customers": "customers:write",
  "GET /v1/customers": "customers:read",
  "GET /v1/customers/{id}": "customers:read",
  "POST /v1/customers/{id}": "customers:write",
  "DELETE /v1/customers/{id}": "customers:write",
  "GET /v1/customers/{id}/payment_methods": "payment_methods:read",
  "GET /v1/payment_methods": "payment_methods:read",
  "POST /v1/payment_methods/{id}/attach": "payment_methods:write",
};

const shape = (method: string, path: string) =>
  `${method} ${path.split("?")[0]?.replace(/(cus|pm)_[0-9A-Za-z]+/g, "{id}")}`;

describe("scopes", () => {
  it("every route needs its scope: another scope is a 403 naming it, for tokens and restricted keys", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const cus = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    const token = await tokenFor(m, ["payments:read", "payments:write"]);
    const rk = await newKey(m.merchantId, "restricted", ["payments:read", "payment_methods:read"]);
    for (const [method, path, fields] of routes(cus, pm)) {
      const required = SCOPE[shape(method, path)];
      for (const who of [token.headers, rk.headers]) {
        const res = await send(who, method, path, fields);
        if (required === "payment_methods:read" && who === rk.headers) continue;
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: required });
      }
    }
    // Nothing changed.
    expect((await get(m, `/v1/customers/${cus}`)).body.name).toBe("Ada");
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBeNull();
  });

  it("a restricted key with the scopes works", async () => {
    const m = await newMerchant();
    const rk = await newKey(m.merchantId, "restricted", ["customers:read", "customers:write", "payment_methods:write"]);
    const created = await post(rk, "/v1/customers", { email: "a@example.com" });
    expect(created.status).toBe(200);
    expect((await get(rk, `/v1/customers/${created.body.id}`)).status).toBe(200);
    expect((await get(rk, `/v1/customers/${created.body.id}/payment_methods`)).status).toBe(403);
  });

  it("a publishable key is refused on every route", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const cus = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    const pk = await newKey(m.merchantId, "publishable");
    for (const [method, path, fields] of routes(cus, pm)) {
      const res = await send(pk.headers, method, path, fields);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("publishable_key_not_allowed");
    }
    expect((await get(m, `/v1/customers/${cus}`)).status).toBe(200);
  });
});

describe("tenant isolation", () => {
  it("another merchant's customer is a 404 on every route, like a missing one, and changes nothing", async () => {
    const [a, b] = await neighbours();
    const cus = await customer(a);
    const pmB = await paymentMethod(b, "4242424242424242");
    const missing = "cus_MissingMissingMissingXy";
    let checked = 0;
    for (const [method, path, fields] of routes(cus, pmB).filter(
      ([, p, f]) => p.includes(cus) || f?.customer === cus,
    )) {
      const foreign = await send(b.headers, method, path, fields);
      const unknown = await send(
        b.headers,
        method,
        path.replace(cus, missing),
        fields?.customer ? { customer: missing } : fields,
      );
      expect(foreign.status, `${method} ${path}`).toBe(404);
      expect(foreign.body.error.code).toBe("resource_missing");
      expect(unknown.status).toBe(404);
      // The same answer but for the id named in the message.
      const { request_id: _f, message: foreignMessage, ...foreignRest } = foreign.body.error;
      const { request_id: _u, message: unknownMessage, ...unknownRest } = unknown.body.error;
      expect(foreignRest).toEqual(unknownRest);
      expect(foreignMessage.replace(cus, missing)).toBe(unknownMessage);
      checked++;
    }
    expect(checked).toBe(6);
    expect((await get(b, "/v1/customers")).body.data).toEqual([]);
    expect((await get(a, `/v1/customers/${cus}`)).body.name).toBe("Ada");
    expect((await get(b, `/v1/payment_methods/${pmB}`)).body.customer).toBeNull();
  });

  it("another merchant's payment method cannot be attached (404), nor listed", async () => {
    const [a, b] = await neighbours();
    const cusB = await customer(b);
    const pmA = await paymentMethod(a, "4242424242424242");
    const res = await post(b, `/v1/payment_methods/${pmA}/attach`, { customer: cusB });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("resource_missing");
    expect((await get(a, `/v1/payment_methods/${pmA}`)).body.customer).toBeNull();
    expect((await get(b, `/v1/customers/${cusB}/payment_methods`)).body.data).toEqual([]);
  });
});

/**
 * Radar routes, security: each needs its scope (tokens and restricted keys), publishable keys are
 * refused, and another merchant's list, item or rule is a 404 exactly like a missing one and
 * changes nothing; a rule cannot name another merchant's list.
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

function send(headers: { authorization: string }, method: string, path: string, fields?: Record<string, string>) {
  if (method === "POST") return post({ headers }, path, fields ?? {});
  return call(path, { method, headers }).then(async (res) => ({
    status: res.status,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
    body: (await res.json()) as any,
  }));
}

async function fixtures(m: TestMerchant) {
  const list = (await post(m, "/v1/radar/value_lists", { alias: "blocked", name: "Blocked", item_type: "email" })).body
    .id as string;
  const item = (await post(m, "/v1/radar/value_list_items", { value_list: list, value: "a@example.com" })).body
    .id as string;
  const rule = (await post(m, "/v1/radar/rules", { action: "block", predicate: ":email: in @blocked" })).body
    .id as string;
  return { list, item, rule };
}

/** Every Radar route, as [method, path, form fields, scope]. */
function routes(f: { list: string; item: string; rule: string }): [string, string, Record<string, string>?][] {
  return [
    ["POST", "/v1/radar/value_lists", { alias: "x", name: "x" }],
    ["GET", "/v1/radar/value_lists"],
    ["GET", `/v1/radar/value_lists/${f.list}`],
    ["POST", `/v1/radar/value_lists/${f.list}`, { name: "y" }],
    ["DELETE", `/v1/radar/value_lists/${f.list}`],
    ["POST", "/v1/radar/value_list_items", { value_list: f.list, value: "b@example.com" }],
    ["GET", `/v1/radar/value_list_items?value_list=${f.list}`],
    ["GET", `/v1/radar/value_list_items/${f.item}`],
    ["DELETE", `/v1/radar/value_list_items/${f.item}`],
    ["POST", "/v1/radar/rules", { action: "review", predicate: ":amount: > 1" }],
    ["GET", "/v1/radar/rules"],
    ["GET", `/v1/radar/rules/${f.rule}`],
    ["DELETE", `/v1/radar/rules/${f.rule}`],
  ];
}

const scopeOf = (method: string) => (method === "GET" ? "radar:read" : "radar:write");

describe("Radar security", () => {
  it("every route needs its scope, for tokens and restricted keys, and changes nothing without it", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const f = await fixtures(m);
    const token = await tokenFor(m, ["payments:read", "payments:write", "customers:write"]);
    const rk = await newKey(m.merchantId, "restricted", ["radar:read"]);
    for (const [method, path, fields] of routes(f)) {
      for (const who of [token.headers, rk.headers]) {
        if (who === rk.headers && method === "GET") {
          expect((await send(who, method, path, fields)).status, `${method} ${path}`).toBe(200);
          continue;
        }
        const res = await send(who, method, path, fields);
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error).toMatchObject({ code: "insufficient_scope", required_scope: scopeOf(method) });
      }
    }
    expect((await get(m, `/v1/radar/value_lists/${f.list}`)).body.name).toBe("Blocked");
    expect((await get(m, `/v1/radar/rules/${f.rule}`)).status).toBe(200);
  });

  it("a publishable key is refused on every route", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const f = await fixtures(m);
    const pk = await newKey(m.merchantId, "publishable");
    for (const [method, path, fields] of routes(f)) {
      const res = await send(pk.headers, method, path, fields);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("publishable_key_not_allowed");
    }
  });

  it("another merchant's list, item and rule are 404 like missing ones, and stay as they were", async () => {
    const a = await newMerchant({ rateLimit: 1000 });
    const b = await newMerchant({ rateLimit: 1000 });
    const f = await fixtures(a);
    for (const [method, path, fields] of routes(f).filter(([, p, fl]) =>
      /rs|rule_/.test(p + JSON.stringify(fl ?? {})),
    )) {
      if (path.endsWith("/v1/radar/rules") || path === "/v1/radar/value_lists") continue;
      const res = await send(b.headers, method, path, fields);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe("resource_missing");
    }
    // B's lists and rules show none of A's.
    expect((await get(b, "/v1/radar/value_lists")).body.data).toEqual([]);
    expect((await get(b, "/v1/radar/rules")).body.data.every((r: { default: boolean }) => r.default)).toBe(true);
    // B cannot write a rule over A's list, even knowing its alias.
    const rule = await post(b, "/v1/radar/rules", { action: "block", predicate: ":email: in @blocked" });
    expect(rule.status).toBe(400);
    expect((await get(a, `/v1/radar/value_list_items/${f.item}`)).status).toBe(200);
    expect((await get(a, `/v1/radar/value_lists/${f.list}`)).body.name).toBe("Blocked");
  });
});

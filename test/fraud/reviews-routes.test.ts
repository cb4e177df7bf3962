/**
 * The Reviews API: list (newest first, `open` filter, cursors, `created`, expand), retrieve and
 * approve; its errors (bad query, bad cursor, unknown id, closed review); and its security: each
 * route needs its Radar scope (tokens and restricted keys), publishable keys are refused, and
 * another merchant's review is a 404 exactly like a missing one and changes nothing.
 */
import { describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";

/** An intent held in review (Radar's elevated-risk test card): its id and its review's. */
async function held(m: TestMerchant, fields: Record<string, string> = {}) {
  const res = await pay(m, "4000000000009235", fields);
  expect(res.status).toBe(200);
  return { intent: res.body.id as string, review: res.body.review as string, charge: res.body.latest_charge as string };
}

describe("GET /v1/reviews", () => {
  it("lists newest first, filters open/closed, pages with cursors, and expands charge and payment_intent", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const a = await held(m);
    const b = await held(m);
    const c = await held(m);
    expect((await post(m, `/v1/reviews/${a.review}/approve`)).status).toBe(200);
    // Newest first, ties (same second) broken by id, as every list.
    const created = new Map<string, number>();
    for (const h of [a, b, c]) created.set(h.review, (await get(m, `/v1/reviews/${h.review}`)).body.created);
    const order = (ids: string[]) =>
      [...ids].sort((x, y) => (created.get(y) ?? 0) - (created.get(x) ?? 0) || (x < y ? 1 : x > y ? -1 : 0));
    const [n1, n2, n3] = order([a.review, b.review, c.review]);
    const all = await get(m, "/v1/reviews");
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ object: "list", url: "/v1/reviews", has_more: false });
    expect(all.body.data.map((r: { id: string }) => r.id)).toEqual([n1, n2, n3]);
    const open = await get(m, "/v1/reviews?open=true");
    expect(open.body.data.map((r: { id: string }) => r.id)).toEqual(order([b.review, c.review]));
    const closed = await get(m, "/v1/reviews?open=false");
    expect(closed.body.data.map((r: { id: string }) => r.id)).toEqual([a.review]);
    const first = await get(m, "/v1/reviews?limit=1");
    expect(first.body).toMatchObject({ has_more: true, data: [{ id: n1 }] });
    const next = await get(m, `/v1/reviews?limit=2&starting_after=${n1}`);
    expect(next.body).toMatchObject({ has_more: false });
    expect(next.body.data.map((r: { id: string }) => r.id)).toEqual([n2, n3]);
    const future = await get(m, `/v1/reviews?created[gt]=${Math.floor(Date.now() / 1000) + 3600}`);
    expect(future.body.data).toEqual([]);
    const expanded = await get(m, `/v1/reviews/${b.review}?expand[]=charge&expand[]=payment_intent`);
    expect(expanded.body).toMatchObject({
      charge: { id: b.charge, object: "charge", outcome: { type: "manual_review" } },
      payment_intent: { id: b.intent, object: "payment_intent", status: "requires_capture", review: b.review },
    });
    const listExpanded = await get(m, "/v1/reviews?limit=1&expand[]=data.payment_intent");
    const newest = [a, b, c].find((h) => h.review === n1);
    expect(listExpanded.body.data[0].payment_intent).toMatchObject({ id: newest?.intent, object: "payment_intent" });
  });

  it("refuses a bad query with a 400 naming the parameter, and an unknown cursor with a 404", async () => {
    const m = await newMerchant();
    const bad = await get(m, "/v1/reviews?open=maybe");
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("open");
    const unknown = await get(m, "/v1/reviews?reason=rule");
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe("reason");
    const limit = await get(m, "/v1/reviews?limit=101");
    expect(limit.body.error.param).toBe("limit");
    const expand = await get(m, "/v1/reviews?expand[]=data.customer");
    expect(expand.status).toBe(400);
    expect(expand.body.error.param).toMatch(/^expand/);
    const cursor = await get(m, "/v1/reviews?starting_after=prv_nope");
    expect(cursor.status).toBe(404);
    expect(cursor.body.error.param).toBe("starting_after");
  });
});

describe("GET /v1/reviews/:id and POST /v1/reviews/:id/approve", () => {
  it("an unknown id is a 404 naming id; approve takes no unknown parameter", async () => {
    const m = await newMerchant();
    for (const res of [await get(m, "/v1/reviews/prv_nope"), await post(m, "/v1/reviews/prv_nope/approve")]) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "id" });
    }
    const h = await held(m);
    const extra = await post(m, `/v1/reviews/${h.review}/approve`, { amount: "5" });
    expect(extra.status).toBe(400);
    expect(extra.body.error.param).toBe("amount");
    expect((await get(m, `/v1/reviews/${h.review}`)).body.open).toBe(true);
  });
});

function send(headers: { authorization: string }, method: string, path: string) {
  if (method === "POST") return post({ headers }, path);
  return call(path, { method, headers }).then(async (res) => ({
    status: res.status,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
    body: (await res.json()) as any,
  }));
}

const routes = (review: string): [string, string][] => [
  ["GET", "/v1/reviews"],
  ["GET", `/v1/reviews/${review}`],
  ["POST", `/v1/reviews/${review}/approve`],
];

describe("Reviews security", () => {
  it("another merchant's review is a 404 like a missing one, is not listed, and cannot be approved", async () => {
    const owner = await newMerchant();
    const other = await newMerchant();
    const h = await held(owner);
    for (const res of [
      await get(other, `/v1/reviews/${h.review}`),
      await post(other, `/v1/reviews/${h.review}/approve`),
    ]) {
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "id" });
    }
    expect((await get(other, "/v1/reviews")).body.data).toEqual([]);
    expect((await get(other, `/v1/reviews?starting_after=${h.review}`)).status).toBe(404);
    expect((await get(owner, `/v1/reviews/${h.review}`)).body.open).toBe(true);
    expect((await get(owner, `/v1/payment_intents/${h.intent}`)).body.status).toBe("requires_capture");
  });

  it("reads need radar:read and approve radar:write, for tokens and restricted keys; nothing changes without", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const h = await held(m);
    const token = await tokenFor(m, ["payments:read", "payments:write"]);
    const rk = await newKey(m.merchantId, "restricted", ["radar:read"]);
    for (const [method, path] of routes(h.review)) {
      for (const who of [token.headers, rk.headers]) {
        const res = await send(who, method, path);
        if (who === rk.headers && method === "GET") {
          expect(res.status, `${method} ${path}`).toBe(200);
          continue;
        }
        expect(res.status, `${method} ${path}`).toBe(403);
        expect(res.body.error).toMatchObject({
          code: "insufficient_scope",
          required_scope: method === "GET" ? "radar:read" : "radar:write",
        });
      }
    }
    expect((await get(m, `/v1/reviews/${h.review}`)).body.open).toBe(true);
    const writer = await newKey(m.merchantId, "restricted", ["radar:write"]);
    expect((await send(writer.headers, "POST", `/v1/reviews/${h.review}/approve`)).status).toBe(200);
  });

  it("a publishable key is refused on every route", async () => {
    const m = await newMerchant();
    const h = await held(m);
    const pk = await newKey(m.merchantId, "publishable");
    for (const [method, path] of routes(h.review)) {
      const res = await send(pk.headers, method, path);
      expect(res.status, `${method} ${path}`).toBe(403);
      expect(res.body.error.code).toBe("publishable_key_not_allowed");
    }
    expect((await get(m, `/v1/reviews/${h.review}`)).body.open).toBe(true);
  });
});

/**
 * The Events API: retrieve and list (type, * patterns, types[], created ranges, delivery_success,
 * pagination), the 30-day window, scopes and tenant isolation. The events are the ones a real
 * payment and refund emit; their `created` times are then spread one second apart (in the order
 * they were written) and two are marked undelivered, so every filter has a known answer. One event
 * older than 30 days is recorded with the outbox insert (`eventInsert`).
 */
import { asc, eq, sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_RETENTION_SECONDS, eventInsert } from "../../src/db/events";
import { events } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const VISA = "4242424242424242";
const now = () => Math.floor(Date.now() / 1000);

const ids = (page: { data: { id: string }[] }) => page.data.map((e) => e.id);

let m: TestMerchant;
let pi: { id: string; amount: number };
let re: { id: string };
/** The merchant's events, oldest first: created T0, T0 + 1, … */
const all: { id: string; type: string; created: number; pending: number }[] = [];
/** Event ids by type (each type is emitted once by a payment and one refund). */
const ev: Record<string, string> = {};
const T0 = now() - 1000;
/** Ids of the events matching `keep`, newest first (the list order). */
const newest = (keep: (e: (typeof all)[number]) => boolean = () => true) =>
  all
    .filter(keep)
    .map((e) => e.id)
    .reverse();

beforeAll(async () => {
  m = await newMerchant({ rateLimit: 500 });
  pi = (await pay(m, VISA, { amount: 2500 })).body;
  re = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 500 })).body;
  const db = await dbOf(m.merchantId);
  const rows = await db
    .select({ id: events.id, type: events.type })
    .from(events)
    .where(eq(events.merchantId, m.merchantId))
    .orderBy(asc(sql`rowid`))
    .all();
  for (const [i, row] of rows.entries()) {
    const pending = row.type === "charge.succeeded" ? 2 : row.type === "refund.created" ? 1 : 0;
    // As the dispatcher leaves them: dispatched, two still unacknowledged by some endpoint.
    await db
      .update(events)
      .set({ created: T0 + i, pendingWebhooks: pending, dispatched: 1 })
      .where(eq(events.id, row.id));
    all.push({ ...row, created: T0 + i, pending });
    ev[row.type] = row.id;
  }
  const old = newId("evt");
  await db.batch([
    eventInsert(db, {
      id: old,
      merchantId: m.merchantId,
      type: "payment_intent.canceled",
      objectType: "payment_intent",
      objectId: pi.id,
      created: now() - EVENT_RETENTION_SECONDS - 60,
      origin: null,
    }),
  ]);
  ev.old = old;
});

it("a payment and a refund emitted the events these tests read", () => {
  expect(Object.keys(ev)).toEqual(
    expect.arrayContaining([
      "payment_intent.created",
      "payment_intent.succeeded",
      "charge.succeeded",
      "refund.created",
      "charge.refunded",
    ]),
  );
  expect(all.length).toBeGreaterThanOrEqual(5);
});

describe("GET /v1/events/{id}", () => {
  it("returns Stripe's Event object with the snapshot of its object and the request that caused it", async () => {
    const charge = all.find((e) => e.type === "charge.succeeded");
    const res = await get(m, `/v1/events/${charge?.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: charge?.id,
      object: "event",
      api_version: expect.any(String),
      created: charge?.created,
      livemode: false,
      pending_webhooks: 2,
      request: { id: expect.stringMatching(/^req_/) },
      type: "charge.succeeded",
      data: { object: { object: "charge", payment_intent: pi.id, amount: 2500 } },
    });
    const refund = (await get(m, `/v1/events/${ev["refund.created"]}`)).body;
    expect(refund.data.object).toMatchObject({ id: re.id, object: "refund", amount: 500 });
  });

  it("answers 404 for unknown, older than 30 days, foreign and odd ids", async () => {
    const other = await newMerchant();
    for (const [who, id] of [
      [m, "evt_missing"],
      [m, ev.old],
      [other, ev["charge.succeeded"]],
      [m, "4242424242424242"],
      [m, "evt_' or 1=1 --"],
    ] as const) {
      const res = await call(`/v1/events/${encodeURIComponent(id as string)}`, { headers: who.headers });
      expect(res.status, id).toBe(404);
      expect(await res.text()).not.toContain("4242424242424242");
    }
  });
});

describe("GET /v1/events", () => {
  it("lists the last 30 days newest first", async () => {
    const page = (await get(m, "/v1/events?limit=100")).body;
    expect(page).toMatchObject({ object: "list", url: "/v1/events", has_more: false });
    expect(ids(page)).toEqual(newest());
    expect(ids(page)).not.toContain(ev.old);
  });

  it("filters by exact type, * patterns and types[] (both array spellings)", async () => {
    const by = async (query: string) => ids((await get(m, `/v1/events?limit=100&${query}`)).body);
    const typed = (...types: string[]) => newest((e) => types.includes(e.type));
    expect(await by("type=charge.succeeded")).toEqual(typed("charge.succeeded"));
    expect(await by("type=payment_intent.*")).toEqual(newest((e) => e.type.startsWith("payment_intent.")));
    expect(await by("type=*.succeeded")).toEqual(newest((e) => e.type.endsWith(".succeeded")));
    expect(await by("type=charge.*")).toEqual(newest((e) => e.type.startsWith("charge.")));
    expect(await by("type=*")).toEqual(newest());
    expect(await by("type=charge")).toEqual([]);
    expect(await by("types[]=refund.created&types[]=payment_intent.created")).toEqual(
      typed("refund.created", "payment_intent.created"),
    );
    expect(await by("types[0]=refund.created&types[1]=charge.refunded")).toEqual(
      typed("refund.created", "charge.refunded"),
    );
    expect(await by("types[]=refund.created")).toEqual(typed("refund.created"));
  });

  it("filters by created range and by delivery_success", async () => {
    const by = async (query: string) => ids((await get(m, `/v1/events?limit=100&${query}`)).body);
    expect(await by(`created[gt]=${T0 + 1}&created[lt]=${T0 + 4}`)).toEqual(
      newest((e) => e.created > T0 + 1 && e.created < T0 + 4),
    );
    expect(await by(`created[gte]=${T0 + 1}&created[lte]=${T0 + 2}`)).toEqual(
      newest((e) => e.created >= T0 + 1 && e.created <= T0 + 2),
    );
    expect(await by(`created=${T0 + 3}`)).toEqual(newest((e) => e.created === T0 + 3));
    expect(await by("delivery_success=false")).toEqual(newest((e) => e.pending > 0));
    expect(await by("delivery_success=false")).toHaveLength(2);
    expect(await by("delivery_success=true")).toEqual(newest((e) => e.pending === 0));
    expect(await by("delivery_success=false&type=charge.*")).toEqual([ev["charge.succeeded"]]);
    // An event not yet dispatched is still pending: not a success.
    const db = await dbOf(m.merchantId);
    const first = all[0] as (typeof all)[number];
    await db.update(events).set({ dispatched: 0 }).where(eq(events.id, first.id));
    expect(await by("delivery_success=false")).toEqual(newest((e) => e.pending > 0 || e.id === first.id));
    expect(await by("delivery_success=true")).not.toContain(first.id);
    await db.update(events).set({ dispatched: 1 }).where(eq(events.id, first.id));
    // The 30-day window holds whatever the range asks.
    expect(await by("created[gte]=0&type=payment_intent.canceled")).toEqual([]);
  });

  it("pages both ways with starting_after and ending_before", async () => {
    const order = newest();
    const first = (await get(m, "/v1/events?limit=2")).body;
    expect([ids(first), first.has_more]).toEqual([order.slice(0, 2), true]);
    const second = (await get(m, `/v1/events?limit=2&starting_after=${order[1]}`)).body;
    expect([ids(second), second.has_more]).toEqual([order.slice(2, 4), order.length > 4]);
    const back = (await get(m, `/v1/events?limit=2&ending_before=${order[2]}`)).body;
    expect([ids(back), back.has_more]).toEqual([order.slice(0, 2), false]);
    // The recovery recipe: everything after the last good event that is still undelivered, from a
    // cursor that itself matches no filter.
    const lastGood = ev["payment_intent.created"] as string;
    const recover = (await get(m, `/v1/events?ending_before=${lastGood}&delivery_success=false`)).body;
    expect(ids(recover)).toEqual(newest((e) => e.pending > 0));
  });

  it("refuses bad filters and pagination, naming the param", async () => {
    const many = Array.from({ length: 21 }, (_, i) => `types[]=t${String.fromCharCode(97 + i)}.x`).join("&");
    for (const [query, code, param] of [
      ["type=charge.succeeded&types[]=refund.created", "parameter_invalid", "types"],
      [many, "parameter_invalid", "types"],
      ["types[]=charge.*", "parameter_invalid", "types"],
      ["type=charge.[a-z]*", "parameter_invalid", "type"],
      ["type=Charge.Succeeded", "parameter_invalid", "type"],
      ["created[gt]=x", "parameter_invalid_integer", "created[gt]"],
      ["created[gte]=-1", "parameter_invalid", "created[gte]"],
      ["delivery_success=maybe", "parameter_invalid", "delivery_success"],
      ["limit=0", "parameter_invalid", "limit"],
      ["limit=101", "parameter_invalid", "limit"],
      [
        `starting_after=${ev["refund.created"]}&ending_before=${ev["charge.succeeded"]}`,
        "parameter_invalid",
        "ending_before",
      ],
      ["starting_after=evt_nope", "resource_missing", "starting_after"],
      [`starting_after=${ev.old}`, "resource_missing", "starting_after"],
      ["object=charge", "parameter_unknown", "object"],
    ] as const) {
      const res = await get(m, `/v1/events?${query}`);
      expect([res.status, res.body.error?.code, res.body.error?.param], query).toEqual([
        code === "resource_missing" ? 404 : 400,
        code,
        param,
      ]);
    }
  });
});

describe("scopes and isolation", () => {
  it("needs events:read; another merchant sees none of these events", async () => {
    for (const scopes of [["payments:read"], ["webhook_endpoints:read", "webhook_endpoints:write"]]) {
      const t = await tokenFor(m, scopes);
      expect((await get(t, "/v1/events")).status).toBe(403);
      expect((await get(t, `/v1/events/${ev["charge.succeeded"]}`)).status).toBe(403);
    }
    const reader = await tokenFor(m, ["events:read"]);
    expect(ids((await get(reader, "/v1/events?limit=100")).body)).toEqual(newest());
    const other = await newMerchant();
    expect((await get(other, "/v1/events")).body.data).toEqual([]);
    expect((await get(other, `/v1/events?starting_after=${ev["charge.succeeded"]}`)).status).toBe(404);
    expect((await call("/v1/events", {})).status).toBe(401);
  });
});

describe("OpenAPI document", () => {
  it("documents the Events and webhook endpoint routes with their parameters", async () => {
    const doc = (await (await call("/openapi.json")).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/v1/events",
        "/v1/events/{id}",
        "/v1/webhook_endpoints",
        "/v1/webhook_endpoints/{id}",
        "/v1/webhook_endpoints/{id}/roll_secret",
      ]),
    );
    expect(Object.keys(doc.paths["/v1/webhook_endpoints/{id}"] ?? {}).sort()).toEqual(["delete", "get", "post"]);
    const params = (doc.paths["/v1/events"]?.get?.parameters ?? []).map((p) => p.name);
    expect(params).toEqual(
      expect.arrayContaining(["type", "types[]", "created[gt]", "created[lte]", "delivery_success", "starting_after"]),
    );
  });
});

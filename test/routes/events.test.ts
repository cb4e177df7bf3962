/**
 * The Events API: retrieve and list (type, * patterns, types[], created ranges, delivery_success,
 * pagination), the 30-day window, scopes and tenant isolation. Events are recorded with the outbox
 * insert (`eventInsert`) over real payment intents and refunds, as the money batches record them.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { EVENT_RETENTION_SECONDS, eventInsert } from "../../src/db/events";
import { events } from "../../src/db/schema";
import type { EventObjectType } from "../../src/events/render";
import { newId } from "../../src/lib/ids";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const VISA = "4242424242424242";
const now = () => Math.floor(Date.now() / 1000);

/** Records one event about an existing object of the merchant, as a money batch would. */
async function record(
  m: TestMerchant,
  type: string,
  objectType: EventObjectType,
  objectId: string,
  opts: { created?: number; pending?: number; previous?: Record<string, unknown> } = {},
): Promise<string> {
  const db = await dbOf(m.merchantId);
  const id = newId("evt");
  await db.batch([
    eventInsert(db, {
      id,
      merchantId: m.merchantId,
      type,
      objectType,
      objectId,
      created: opts.created ?? now(),
      previous: opts.previous ?? null,
      origin: { requestId: "req_test", idempotencyKey: null },
    }),
  ]);
  if (opts.pending) await db.update(events).set({ pendingWebhooks: opts.pending }).where(eq(events.id, id));
  return id;
}

const ids = (page: { data: { id: string }[] }) => page.data.map((e) => e.id);

let m: TestMerchant;
let pi: { id: string; amount: number };
let re: { id: string };
/** Event ids by name, created one second apart, oldest first. */
const ev: Record<string, string> = {};
const T0 = now() - 1000;

beforeAll(async () => {
  m = await newMerchant({ rateLimit: 500 });
  pi = (await pay(m, VISA, { amount: 2500 })).body;
  re = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 500 })).body;
  const plan = [
    ["created", "payment_intent.created", "payment_intent", pi.id, 0],
    ["succeeded", "payment_intent.succeeded", "payment_intent", pi.id, 0],
    ["charge", "charge.succeeded", "charge", pi.id, 2],
    ["refund", "refund.created", "refund", re.id, 1],
    ["refunded", "charge.refunded", "charge", pi.id, 0],
  ] as const;
  for (const [i, [name, type, objectType, objectId, pending]] of plan.entries()) {
    ev[name] = await record(m, type, objectType, objectId, { created: T0 + i, pending });
  }
  ev.old = await record(m, "payment_intent.canceled", "payment_intent", pi.id, {
    created: now() - EVENT_RETENTION_SECONDS - 60,
  });
});

describe("GET /v1/events/{id}", () => {
  it("returns Stripe's Event object with the snapshot of its object", async () => {
    const res = await get(m, `/v1/events/${ev.charge}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      id: ev.charge,
      object: "event",
      api_version: expect.any(String),
      created: T0 + 2,
      livemode: false,
      pending_webhooks: 2,
      request: { id: "req_test", idempotency_key: null },
      type: "charge.succeeded",
      data: { object: { object: "charge", payment_intent: pi.id, amount: 2500 } },
    });
    const refund = (await get(m, `/v1/events/${ev.refund}`)).body;
    expect(refund.data.object).toMatchObject({ id: re.id, object: "refund", amount: 500 });
  });

  it("answers 404 for unknown, older than 30 days, foreign and odd ids", async () => {
    const other = await newMerchant();
    for (const [who, id] of [
      [m, "evt_missing"],
      [m, ev.old],
      [other, ev.charge],
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
    const page = (await get(m, "/v1/events")).body;
    expect(page).toMatchObject({ object: "list", url: "/v1/events", has_more: false });
    expect(ids(page)).toEqual([ev.refunded, ev.refund, ev.charge, ev.succeeded, ev.created]);
  });

  it("filters by exact type, * patterns and types[] (both array spellings)", async () => {
    const by = async (query: string) => ids((await get(m, `/v1/events?${query}`)).body);
    expect(await by("type=charge.succeeded")).toEqual([ev.charge]);
    expect(await by("type=payment_intent.*")).toEqual([ev.succeeded, ev.created]);
    expect(await by("type=*.succeeded")).toEqual([ev.charge, ev.succeeded]);
    expect(await by("type=charge.*")).toEqual([ev.refunded, ev.charge]);
    expect(await by("type=*")).toHaveLength(5);
    expect(await by("type=charge")).toEqual([]);
    expect(await by("types[]=refund.created&types[]=payment_intent.created")).toEqual([ev.refund, ev.created]);
    expect(await by("types[0]=refund.created&types[1]=charge.refunded")).toEqual([ev.refunded, ev.refund]);
    expect(await by("types[]=refund.created")).toEqual([ev.refund]);
  });

  it("filters by created range and by delivery_success", async () => {
    const by = async (query: string) => ids((await get(m, `/v1/events?${query}`)).body);
    expect(await by(`created[gt]=${T0 + 1}&created[lt]=${T0 + 4}`)).toEqual([ev.refund, ev.charge]);
    expect(await by(`created[gte]=${T0 + 1}&created[lte]=${T0 + 2}`)).toEqual([ev.charge, ev.succeeded]);
    expect(await by(`created=${T0 + 3}`)).toEqual([ev.refund]);
    expect(await by("delivery_success=false")).toEqual([ev.refund, ev.charge]);
    expect(await by("delivery_success=true")).toEqual([ev.refunded, ev.succeeded, ev.created]);
    expect(await by("delivery_success=false&type=charge.*")).toEqual([ev.charge]);
    // The 30-day window holds whatever the range asks.
    expect(await by("created[gte]=0&type=payment_intent.canceled")).toEqual([]);
  });

  it("pages both ways with starting_after and ending_before", async () => {
    const first = (await get(m, "/v1/events?limit=2")).body;
    expect([ids(first), first.has_more]).toEqual([[ev.refunded, ev.refund], true]);
    const second = (await get(m, `/v1/events?limit=2&starting_after=${ev.refund}`)).body;
    expect([ids(second), second.has_more]).toEqual([[ev.charge, ev.succeeded], true]);
    const back = (await get(m, `/v1/events?limit=2&ending_before=${ev.charge}`)).body;
    expect(ids(back)).toEqual([ev.refunded, ev.refund]);
    // The recovery recipe: everything after the last good event, still undelivered.
    const recover = (await get(m, `/v1/events?ending_before=${ev.succeeded}&delivery_success=false`)).body;
    expect(ids(recover)).toEqual([ev.refund, ev.charge]);
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
      [`starting_after=${ev.refund}&ending_before=${ev.charge}`, "parameter_invalid", "ending_before"],
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
      expect((await get(t, `/v1/events/${ev.charge}`)).status).toBe(403);
    }
    const reader = await tokenFor(m, ["events:read"]);
    expect((await get(reader, "/v1/events")).body.data).toHaveLength(5);
    const other = await newMerchant();
    expect((await get(other, "/v1/events")).body.data).toEqual([]);
    expect((await get(other, `/v1/events?starting_after=${ev.charge}`)).status).toBe(404);
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

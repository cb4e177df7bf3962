/**
 * Merchants on different shards never see each other's objects: one merchant on each shard pays,
 * refunds, tokenizes and adds a webhook endpoint through the HTTP API (and so has events), then tries every other-merchant id and list. Each
 * object lives only on its merchant's shard, and answers for a foreign id are the 404 of a missing one.
 */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import {
  events,
  ledgerEntries,
  paymentIntents,
  paymentMethods,
  refunds,
  tokens,
  webhookEndpoints,
} from "../../src/db/schema";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { cardToken, get, ledgerProblems, pay, post } from "../helpers/payments";
import { dbOf, shardIndexOf } from "../helpers/shards";

interface Objects {
  intent: string;
  paymentMethod: string;
  token: string;
  refund: string;
  endpoint: string;
  event: string;
}

async function objectsOf(m: TestMerchant, key: string): Promise<Objects> {
  const paid = await pay(m, "4242424242424242", { amount: 2500 });
  expect(paid.status).toBe(200);
  const refund = await post(m, "/v1/refunds", { payment_intent: paid.body.id, amount: 500 }, { idempotencyKey: key });
  expect(refund.status).toBe(200);
  return {
    intent: paid.body.id,
    paymentMethod: paid.body.payment_method,
    token: await cardToken(m, "4242424242424242"),
    refund: refund.body.id,
    endpoint: (await post(m, "/v1/webhook_endpoints", { url: "https://hooks.example.com/", "enabled_events[0]": "*" }))
      .body.id,
    event: (await get(m, "/v1/events?limit=1")).body.data[0].id,
  };
}

let a: TestMerchant;
let b: TestMerchant;
let objA: Objects;
let objB: Objects;

beforeAll(async () => {
  a = await newMerchant();
  b = await newMerchant();
  // The same Idempotency-Key on both: scoped to the merchant, so each gets its own objects.
  objA = await objectsOf(a, "same-key");
  objB = await objectsOf(b, "same-key");
});

describe("merchants on different shards", () => {
  it("are on different shards", async () => {
    expect(new Set([await shardIndexOf(a.merchantId), await shardIndexOf(b.merchantId)])).toEqual(new Set([0, 1]));
  });

  it("get a 404 for every object of the other, exactly like a missing id", async () => {
    for (const [me, theirs] of [
      [a, objB],
      [b, objA],
    ] as const) {
      for (const path of [
        `/v1/payment_intents/${theirs.intent}`,
        `/v1/payment_methods/${theirs.paymentMethod}`,
        `/v1/tokens/${theirs.token}`,
        `/v1/refunds/${theirs.refund}`,
        `/v1/webhook_endpoints/${theirs.endpoint}`,
        `/v1/events/${theirs.event}`,
      ]) {
        const res = await get(me, path);
        expect(res.status, path).toBe(404);
        expect(res.body.error.code).toBe("resource_missing");
      }
      for (const [path, fields] of [
        [`/v1/payment_intents/${theirs.intent}/capture`, {}],
        [`/v1/payment_intents/${theirs.intent}/cancel`, {}],
        [`/v1/webhook_endpoints/${theirs.endpoint}`, { description: "x" }],
        [`/v1/webhook_endpoints/${theirs.endpoint}/roll_secret`, {}],
        ["/v1/refunds", { payment_intent: theirs.intent }],
        [
          "/v1/payment_intents",
          { amount: 100, currency: "usd", payment_method: theirs.paymentMethod, confirm: "true" },
        ],
      ] as const) {
        const res = await post(me, path, fields);
        expect(res.status, path).toBe(404);
      }
    }
  });

  it("list only their own objects, and their balance counts only their own payments", async () => {
    for (const [me, mine] of [
      [a, objA],
      [b, objB],
    ] as const) {
      const intents = (await get(me, "/v1/payment_intents?limit=100")).body.data.map((o: { id: string }) => o.id);
      expect(intents).toEqual([mine.intent]);
      const listed = (await get(me, "/v1/refunds?limit=100")).body.data.map((o: { id: string }) => o.id);
      expect(listed).toEqual([mine.refund]);
      const endpoints = (await get(me, "/v1/webhook_endpoints")).body.data.map((o: { id: string }) => o.id);
      expect(endpoints).toEqual([mine.endpoint]);
      const theirs = me === a ? objB : objA;
      const seen = (await get(me, "/v1/events?limit=100")).body.data.map((o: { id: string }) => o.id);
      expect(seen).toContain(mine.event);
      expect(seen).not.toContain(theirs.event);
      const balance = (await get(me, "/v1/balance")).body;
      expect(balance.refunded).toEqual([{ amount: 500, currency: "usd" }]);
      expect(await ledgerProblems(me.merchantId)).toEqual([]);
    }
  });

  it("store every object only on their own shard", async () => {
    for (const [me, other] of [
      [a, b],
      [b, a],
    ] as const) {
      const mine = await dbOf(me.merchantId);
      const elsewhere = await dbOf(other.merchantId);
      for (const [table, column] of [
        [paymentIntents, paymentIntents.merchantId],
        [paymentMethods, paymentMethods.merchantId],
        [tokens, tokens.merchantId],
        [refunds, refunds.merchantId],
        [ledgerEntries, ledgerEntries.merchantId],
        [webhookEndpoints, webhookEndpoints.merchantId],
        [events, events.merchantId],
      ] as const) {
        expect((await mine.select().from(table).where(eq(column, me.merchantId)).all()).length).toBeGreaterThan(0);
        expect(await elsewhere.select().from(table).where(eq(column, me.merchantId)).all()).toEqual([]);
      }
    }
  });
});

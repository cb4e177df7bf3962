/** Stripe cursor pagination on /v1/payment_intents: limit, starting_after, ending_before, created filters. */
import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { paymentIntents } from "../../src/db/schema";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

let m: TestMerchant;
const ids: string[] = [];

beforeAll(async () => {
  m = await newMerchant();
  for (let i = 0; i < 7; i++) {
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000 + i, currency: "usd" })).body;
    // Spread creation times so newest-first order is observable (one second apart).
    await (await dbOf(m.merchantId))
      .update(paymentIntents)
      .set({ created: 1_700_000_000 + i })
      .where(eq(paymentIntents.id, pi.id));
    ids.push(pi.id);
  }
});

const newestFirst = () => [...ids].reverse();

describe("list pagination", () => {
  it("defaults to newest first with has_more", async () => {
    const page = (await get(m, "/v1/payment_intents")).body;
    expect(page).toMatchObject({ object: "list", url: "/v1/payment_intents", has_more: false });
    expect(page.data.map((p: { id: string }) => p.id)).toEqual(newestFirst());
  });

  it("walks forward with starting_after and back with ending_before", async () => {
    const seen: string[] = [];
    let cursor = "";
    for (;;) {
      const page = (await get(m, `/v1/payment_intents?limit=3${cursor && `&starting_after=${cursor}`}`)).body;
      seen.push(...page.data.map((p: { id: string }) => p.id));
      if (!page.has_more) break;
      cursor = page.data.at(-1).id;
    }
    expect(seen).toEqual(newestFirst());
    const back = (await get(m, `/v1/payment_intents?limit=2&ending_before=${ids[2]}`)).body;
    expect(back.data.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3]]);
    expect(back.has_more).toBe(true);
    const first = (await get(m, `/v1/payment_intents?limit=5&ending_before=${ids[4]}`)).body;
    expect(first.data.map((p: { id: string }) => p.id)).toEqual([ids[6], ids[5]]);
    expect(first.has_more).toBe(false);
  });

  it("filters by created[gte] and created[lte]", async () => {
    const page = (await get(m, "/v1/payment_intents?created[gte]=1700000002&created[lte]=1700000004")).body;
    expect(page.data.map((p: { id: string }) => p.id)).toEqual([ids[4], ids[3], ids[2]]);
  });

  it.each([
    ["limit=0", "limit"],
    ["limit=101", "limit"],
    ["limit=1.5", "limit"],
    ["starting_after=pi_nope", "starting_after"],
  ])("rejects %s", async (query, param) => {
    const res = await get(m, `/v1/payment_intents?${query}`);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.error.param).toBe(param);
  });

  it("refuses starting_after together with ending_before", async () => {
    const res = await get(m, `/v1/payment_intents?starting_after=${ids[1]}&ending_before=${ids[3]}`);
    expect([res.status, res.body.error.code]).toEqual([400, "parameter_invalid"]);
  });
});

describe("GET /v1/balance", () => {
  it("is empty for a merchant without money movements, and needs balance:read", async () => {
    expect((await get(m, "/v1/balance")).body).toEqual({
      object: "balance",
      available: [],
      pending: [],
      authorized: [],
      refund_reserved: [],
      refunded: [],
      livemode: false,
    });
    const other = await newMerchant({ scopes: ["payments:read"] });
    expect((await get(other, "/v1/balance")).status).toBe(403);
  });
});

/**
 * The expand applier's round trips: each level of a list page is read in one D1 batch holding one
 * query per object type (never one per object), nothing is read when no field holds an id, and a
 * request without `expand` has no plan at all.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { idChunks, MAX_IDS_PER_QUERY } from "../../src/db/by-ids";
import { dbOver } from "../../src/db/client";
import { paymentIntents } from "../../src/db/schema";
import { applyPlan } from "../../src/expand/apply";
import { planExpand } from "../../src/expand/plan";
import { countingDb, type RoundTrip } from "../helpers/d1-count";
import { newMerchant } from "../helpers/merchants";
import { get, pay, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const caller = {
  credential: "secret_key" as const,
  scopes: new Set(["payments:read", "customers:read", "payment_methods:read"]),
};

describe("applyPlan", () => {
  it("reads a list page one batch per level, one query per type, whatever the page size", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    for (let i = 0; i < 4; i++) {
      const pi = (await pay(m, "4242424242424242")).body;
      const cus = (await post(m, "/v1/customers", { name: `c${i}` })).body.id;
      await db.update(paymentIntents).set({ customer: cus }).where(eq(paymentIntents.id, pi.id)).run();
    }
    const page = (await get(m, "/v1/payment_intents?limit=4")).body;
    const plan = planExpand(
      "payment_intent",
      true,
      ["data.latest_charge.payment_intent", "data.customer", "data.payment_method"],
      caller,
    );
    if (!plan) throw new Error("no plan");
    const log: RoundTrip[] = [];
    await applyPlan(dbOver(countingDb(log, db.$client)), m.merchantId, false, plan, page);
    expect(log.map((r) => [r.kind, r.sql.length])).toEqual([
      ["batch", 3], // charges, customers, payment methods of all four intents
      ["batch", 1], // the charges' intents
    ]);
    for (const pi of page.data) {
      expect(pi.latest_charge.payment_intent.id).toBe(pi.id);
      expect(pi.customer.object).toBe("customer");
      expect(pi.payment_method.object).toBe("payment_method");
    }
  });

  it("reads nothing when no field to expand holds an id, and there is no plan without paths", async () => {
    const m = await newMerchant();
    const open = (await post(m, "/v1/payment_intents", { amount: 100, currency: "usd" })).body;
    const plan = planExpand("payment_intent", false, ["latest_charge", "customer", "payment_method"], caller);
    if (!plan) throw new Error("no plan");
    const log: RoundTrip[] = [];
    await applyPlan(dbOver(countingDb(log, (await dbOf(m.merchantId)).$client)), m.merchantId, false, plan, open);
    expect(log).toEqual([]);
    expect(open.latest_charge).toBeNull();
    expect(planExpand("payment_intent", false, [], caller)).toBeUndefined();
  });
});

describe("idChunks", () => {
  it("splits ids into runs D1 can bind (at most MAX_IDS_PER_QUERY, plus the merchant id)", () => {
    const ids = Array.from({ length: 181 }, (_, i) => `cus_${i}`);
    expect(idChunks(ids).map((c) => c.length)).toEqual([MAX_IDS_PER_QUERY, MAX_IDS_PER_QUERY, 1]);
    expect(MAX_IDS_PER_QUERY + 1).toBeLessThanOrEqual(100);
    expect(idChunks([])).toEqual([]);
  });
});

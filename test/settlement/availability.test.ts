/**
 * Settlement runs: funds become available exactly at the 00:00 UTC cut-off after the merchant's
 * delay, `GET /v1/balance` moves them from pending to available to the unit, `balance.available`
 * is sent, and a run repeated, run concurrently, or cut short half-way and run again settles
 * every balance transaction exactly once.
 */
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { balanceTransactionOf } from "../../src/db/balance-transactions";
import { ledgerEntries } from "../../src/db/schema";
import { availableOn, DAY } from "../../src/domain/fees";
import { settleShard } from "../../src/settlement/settle";
import { eventsOf } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, pay } from "../helpers/payments";
import { balanceTransactionsOf, setTerms, settleAsOf, settlementProblems } from "../helpers/settlement";
import { dbOf } from "../helpers/shards";

const VISA = "4242424242424242";

async function paid(m: TestMerchant, amount: number, currency = "usd") {
  const pi = (await pay(m, VISA, { amount, currency })).body;
  expect(pi.status).toBe("succeeded");
  return (await get(m, `/v1/balance_transactions/${balanceTransactionOf(pi.latest_charge)}`)).body as {
    id: string;
    available_on: number;
    created: number;
    net: number;
  };
}

async function settleEntries(merchantId: string) {
  const db = await dbOf(merchantId);
  return db
    .select()
    .from(ledgerEntries)
    .where(and(eq(ledgerEntries.merchantId, merchantId), eq(ledgerEntries.kind, "settle")))
    .all();
}

describe("availability", () => {
  it("funds become available exactly at the cut-off after the delay, not a second before", async () => {
    const m = await newMerchant();
    await setTerms(m.merchantId, { fee_bps: 290, fee_fixed: { usd: 30 } });
    const bt = await paid(m, 1000);
    expect(bt.available_on).toBe(availableOn(bt.created, 2));
    expect(bt.available_on % DAY).toBe(0);

    await settleAsOf(bt.available_on - 1);
    expect((await get(m, `/v1/balance_transactions/${bt.id}`)).body.status).toBe("pending");
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      available: [{ amount: 0, currency: "usd" }],
      pending: [{ amount: 941, currency: "usd" }],
    });

    await settleAsOf(bt.available_on);
    expect((await get(m, `/v1/balance_transactions/${bt.id}`)).body.status).toBe("available");
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      available: [{ amount: 941, currency: "usd" }],
      pending: [{ amount: 0, currency: "usd" }],
    });
    const available = (await eventsOf(m.merchantId)).filter((e) => e.type === "balance.available");
    expect(available).toHaveLength(1);
    expect(available[0]?.data.object).toEqual({
      object: "balance",
      available: [{ amount: 941, currency: "usd" }],
      pending: [{ amount: 0, currency: "usd" }],
      livemode: false,
    });
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("the delay is the merchant's: 0 days settles at the next midnight, 5 days five days later", async () => {
    for (const delay of [0, 5]) {
      const m = await newMerchant();
      await setTerms(m.merchantId, { delay_days: delay });
      const bt = await paid(m, 700);
      expect(bt.available_on).toBe(Math.ceil((bt.created + delay * DAY) / DAY) * DAY);
      await settleAsOf(bt.available_on - 1);
      expect((await get(m, `/v1/balance_transactions/${bt.id}`)).body.status).toBe("pending");
      await settleAsOf(bt.available_on);
      expect((await get(m, `/v1/balance_transactions/${bt.id}`)).body.status).toBe("available");
      expect(await settlementProblems(m.merchantId)).toEqual([]);
    }
  });

  it("later funds wait for their own cut-off", async () => {
    const m = await newMerchant();
    const first = await paid(m, 1000);
    await settleAsOf(first.available_on);
    const second = await paid(m, 500);
    // Captured now, but the settlement ran "in the future": the second capture is due two days after it.
    expect((await get(m, `/v1/balance_transactions/${second.id}`)).body.status).toBe("pending");
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      available: [{ amount: 1000, currency: "usd" }],
      pending: [{ amount: 500, currency: "usd" }],
    });
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });
});

describe("idempotent runs", () => {
  it("a run repeated, and ten runs at once, settle each balance transaction once", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const bts = [await paid(m, 1000), await paid(m, 2000), await paid(m, 3000)];
    const asOf = Math.max(...bts.map((b) => b.available_on));
    await Promise.all(Array.from({ length: 10 }, () => settleAsOf(asOf)));
    await settleAsOf(asOf);
    await settleAsOf(asOf + DAY);
    const entries = await settleEntries(m.merchantId);
    // One settle movement (two postings) for the merchant's one currency and cut-off.
    expect(entries).toHaveLength(2);
    expect(entries.find((e) => e.account === "available_balance")?.amount).toBe(6000);
    expect((await get(m, "/v1/balance")).body.available).toEqual([{ amount: 6000, currency: "usd" }]);
    expect((await eventsOf(m.merchantId)).filter((e) => e.type === "balance.available")).toHaveLength(1);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });

  it("a run cut short half-way is finished by the next, with nothing settled twice", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const bts = [await paid(m, 1000, "usd"), await paid(m, 2000, "eur"), await paid(m, 300, "jpy")];
    const asOf = Math.max(...bts.map((b) => b.available_on));
    const db = await dbOf(m.merchantId);
    // The clock jumps past the budget after the first pair: the run stops there, as if it had crashed.
    let calls = 0;
    const clock = () => (calls++ < 2 ? 0 : 1e12);
    const cut = await settleShard(db, asOf, { clock, skip: [] });
    expect(cut).toMatchObject({ truncated: true });
    const statuses = (await balanceTransactionsOf(m.merchantId)).map((b) => b.status);
    expect(statuses.filter((s) => s === "available").length).toBeLessThan(3);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
    await settleShard(db, asOf);
    await settleShard(db, asOf);
    expect((await balanceTransactionsOf(m.merchantId)).every((b) => b.status === "available")).toBe(true);
    expect(await settleEntries(m.merchantId)).toHaveLength(6);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await settlementProblems(m.merchantId)).toEqual([]);
  });
});

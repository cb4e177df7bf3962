/**
 * Automatic payouts through the real settlement and payout runs on a merchant's shard: a payout
 * holds exactly the available balance transactions no payout holds yet (never pending ones), its
 * schedule and bank account decide whether it runs, one run key makes one payout however often and
 * however concurrently it runs, and its life ends paid or failed with the balance restored.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createAutomaticPayout, movePayout } from "../../src/db/payout-batches";
import { payouts } from "../../src/db/schema";
import { DAY } from "../../src/domain/fees";
import { payoutRunKey, weekdayOf } from "../../src/domain/payouts";
import { cutoffOf, settleShard } from "../../src/settlement/settle";
import { pay, post } from "../helpers/payments";
import { funded, ledgerBalance, moneyProblems, runPayouts, setTerms, transactionsOf } from "../helpers/payouts";
import { neighbours } from "../helpers/shards";

const payoutsOf = (db: Awaited<ReturnType<typeof funded>>["db"], merchantId: string) =>
  db.select().from(payouts).where(eq(payouts.merchantId, merchantId)).all();

describe("automatic payouts", () => {
  it("pay out exactly the available transactions, never pending ones, and end paid", async () => {
    const { m, db, asOf } = await funded([1000, 2500, 730]);
    // A later payment under a 30-day delay stays pending at the payout's cut-off.
    await setTerms(db, m.merchantId, { delayDays: 30, bankLast4: "6789", bankBehaviour: "succeeds" });
    await pay(m, "4242424242424242", { amount: 999 });
    await runPayouts(db, asOf);
    const [po, ...others] = await payoutsOf(db, m.merchantId);
    expect(others).toEqual([]);
    expect(po).toMatchObject({ amount: 4230, status: "in_transit", automatic: 1, bankLast4: "6789" });
    const txns = await transactionsOf(db, m.merchantId);
    const inPayout = txns.filter((t) => t.payout === po?.id && t.id !== `txn_${po?.id.slice(3)}`);
    expect(inPayout.map((t) => t.net).sort()).toEqual([1000, 2500, 730].sort());
    expect(inPayout.every((t) => t.status === "available" && t.type === "charge")).toBe(true);
    const pending = txns.filter((t) => t.status === "pending");
    expect(pending.map((t) => [t.net, t.payout])).toEqual([[999, null]]);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(0);
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(4230);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);

    // On its arrival date the bank pays it.
    await runPayouts(db, po?.arrivalDate ?? 0);
    expect((await payoutsOf(db, m.merchantId))[0]?.status).toBe("paid");
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(0);
    expect(await ledgerBalance(db, m.merchantId, "paid_out")).toBe(4230);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a failed payout (no_account) restores the balance, and the next run pays it out again", async () => {
    const { m, db, asOf } = await funded([1200, 800], { bankBehaviour: "no_account" });
    await runPayouts(db, asOf);
    const [first] = await payoutsOf(db, m.merchantId);
    expect(first).toMatchObject({ amount: 2000, status: "in_transit" });
    await runPayouts(db, first?.arrivalDate ?? 0);
    const failed = (await payoutsOf(db, m.merchantId)).find((p) => p.id === first?.id);
    expect(failed).toMatchObject({ status: "failed", failureCode: "no_account" });
    const failureBt = (await transactionsOf(db, m.merchantId)).find((t) => t.id === failed?.failureBalanceTransaction);
    expect(failureBt).toMatchObject({
      type: "payout_failure",
      amount: 2000,
      net: 2000,
      status: "available",
      payout: null,
    });
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(2000);
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(0);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);

    // The account is fixed; the next day's run pays the returned funds out again.
    await setTerms(db, m.merchantId, { delayDays: 0, bankLast4: "6789", bankBehaviour: "succeeds" });
    await runPayouts(db, asOf + DAY);
    const second = (await payoutsOf(db, m.merchantId)).find((p) => p.id !== first?.id);
    expect(second).toMatchObject({ amount: 2000, status: "in_transit" });
    const txns = await transactionsOf(db, m.merchantId);
    expect(txns.find((t) => t.id === failureBt?.id)?.payout).toBe(second?.id);
    await runPayouts(db, second?.arrivalDate ?? 0);
    expect(await ledgerBalance(db, m.merchantId, "paid_out")).toBe(2000);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(0);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("one run key, after a crashed run, run again and 10 times concurrently, makes one payout a day", async () => {
    const { m, db, asOf } = await funded([1500, 500]);
    // Run A's batch lands and its worker dies before anything else; run B starts after.
    const cutoff = cutoffOf(asOf);
    const runA = await createAutomaticPayout(db, {
      merchantId: m.merchantId,
      currency: "usd",
      runKey: payoutRunKey("usd", cutoff),
      arrivalDate: cutoff + DAY,
      bankLast4: "6789",
      created: asOf,
    });
    expect(runA.ok).toBe(true);
    // More funds become available (the settlement run of the next cut-off, as the day's has run) before
    // the day's payout runs again: the day's key has its payout, so they wait for the next day's.
    expect((await pay(m, "4242424242424242", { amount: 300 })).body.status).toBe("succeeded");
    await settleShard(db, asOf + DAY);
    await runPayouts(db, asOf + 60);
    await Promise.all(Array.from({ length: 10 }, () => runPayouts(db, asOf + 120)));
    expect((await payoutsOf(db, m.merchantId)).map((p) => p.amount)).toEqual([2000]);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(300);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
    await Promise.all(Array.from({ length: 10 }, () => runPayouts(db, asOf + DAY)));
    expect((await payoutsOf(db, m.merchantId)).map((p) => p.amount).sort()).toEqual([2000, 300]);
    // The next day the first payout has arrived (paid) and the second is on its way.
    expect(await ledgerBalance(db, m.merchantId, "paid_out")).toBe(2000);
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(300);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a transition from a stale status moves nothing (a cancel racing the send, a failure after paid)", async () => {
    const { m, db, asOf } = await funded([900], { payoutSchedule: "manual" });
    expect((await post(m, "/v1/payouts", { amount: 900, currency: "usd" })).status).toBe(200);
    const [stale] = await payoutsOf(db, m.merchantId);
    if (!stale) throw new Error("no payout");
    await runPayouts(db, asOf);
    expect((await payoutsOf(db, m.merchantId))[0]?.status).toBe("in_transit");
    expect(await movePayout(db, stale, { to: "canceled" }, asOf)).toBe(false);
    const inTransit = (await payoutsOf(db, m.merchantId))[0];
    if (!inTransit) throw new Error("no payout");
    await runPayouts(db, inTransit.arrivalDate);
    expect((await payoutsOf(db, m.merchantId))[0]?.status).toBe("paid");
    expect(await movePayout(db, inTransit, { to: "failed", code: "no_account", message: "x" }, asOf)).toBe(false);
    expect(await movePayout(db, inTransit, { to: "paid" }, asOf)).toBe(false);
    expect((await transactionsOf(db, m.merchantId)).map((t) => t.type).sort()).toEqual(["charge", "payout"]);
    expect(await ledgerBalance(db, m.merchantId, "paid_out")).toBe(900);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("10 concurrent first runs of one key make one payout", async () => {
    const { m, db, asOf } = await funded([1500, 500, 250]);
    const reports = await Promise.all(Array.from({ length: 10 }, () => runPayouts(db, asOf)));
    const all = await payoutsOf(db, m.merchantId);
    expect(all.map((p) => p.amount)).toEqual([2250]);
    expect(reports.every((r) => r.errors === 0)).toBe(true);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("a zero or negative available balance makes no payout and leaves the transactions unassigned", async () => {
    const { m, db, asOf } = await funded([1000]);
    const first = (await transactionsOf(db, m.merchantId))[0];
    const second = (await pay(m, "4242424242424242", { amount: 1000 })).body;
    // Refunds are taken from the available balance at once: 1000 − 1000 − 1000 = −1000.
    expect((await post(m, "/v1/refunds", { payment_intent: second.id })).status).toBe(200);
    expect((await post(m, "/v1/refunds", { charge: first?.source ?? "" })).status).toBe(200);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(-1000);
    await runPayouts(db, asOf);
    expect(await payoutsOf(db, m.merchantId)).toEqual([]);
    const available = (await transactionsOf(db, m.merchantId)).filter((t) => t.status === "available");
    expect(available.map((t) => t.type).sort()).toEqual(["charge", "refund", "refund"]);
    expect(available.every((t) => t.payout === null)).toBe(true);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("manual schedule and no bank account make no payout; weekly runs only on its anchor day", async () => {
    const manual = await funded([1000], { payoutSchedule: "manual" });
    await runPayouts(manual.db, manual.asOf);
    expect(await payoutsOf(manual.db, manual.m.merchantId)).toEqual([]);

    const noBank = await funded([1000], { bankLast4: null });
    await runPayouts(noBank.db, noBank.asOf);
    expect(await payoutsOf(noBank.db, noBank.m.merchantId)).toEqual([]);

    const cutoff = cutoffOf(Math.floor(Date.now() / 1000) + DAY);
    const anchor = (weekdayOf(cutoff) + 1) % 7;
    const weekly = await funded([1000], { payoutSchedule: "weekly", weeklyAnchor: anchor });
    await runPayouts(weekly.db, cutoff + 60);
    expect(await payoutsOf(weekly.db, weekly.m.merchantId)).toEqual([]);
    await runPayouts(weekly.db, cutoff + DAY + 60);
    expect((await payoutsOf(weekly.db, weekly.m.merchantId)).map((p) => [p.amount, p.runKey])).toEqual([
      [1000, `usd:${new Date((cutoff + DAY) * 1000).toISOString().slice(0, 10)}`],
    ]);
  });

  it("merchants that cannot pay out (manual schedule) never hide the ones behind them, page after page", async () => {
    const [a, b] = await neighbours();
    const manual = await funded([1000], { payoutSchedule: "manual" }, { merchant: a });
    const daily = await funded([1000], {}, { merchant: b });
    await runPayouts(daily.db, daily.asOf, { page: 1 });
    expect(await payoutsOf(manual.db, a.merchantId)).toEqual([]);
    expect((await payoutsOf(daily.db, b.merchantId)).map((p) => p.amount)).toEqual([1000]);
  });
});

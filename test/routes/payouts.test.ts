/**
 * Payouts API: a manual payout from the available balance (and its replay), the refusal of one the
 * balance does not cover (nothing written), 20 concurrent payouts never together exceeding the
 * balance, cancel while pending, retrieve and list with filters and cursors; every scenario ends
 * with the ledger and balance transactions agreeing.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, payouts } from "../../src/db/schema";
import { get, post } from "../helpers/payments";
import { funded, ledgerBalance, moneyProblems, runPayouts, transactionsOf } from "../helpers/payouts";

const manual = { payoutSchedule: "manual" } as const;

describe("POST /v1/payouts", () => {
  it("pays out part of the available balance; a retry with the same key returns the same payout", async () => {
    const { m, db } = await funded([3000], manual);
    const res = await post(
      m,
      "/v1/payouts",
      { amount: 1200, currency: "usd", description: "weekly", "metadata[run]": "7" },
      { idempotencyKey: "po-key-1" },
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      object: "payout",
      amount: 1200,
      currency: "usd",
      status: "pending",
      automatic: false,
      description: "weekly",
      metadata: { run: "7" },
      balance_transaction: `txn_${res.body.id.slice(3)}`,
      bank_last4: "6789",
    });
    const again = await post(
      m,
      "/v1/payouts",
      { amount: 1200, currency: "usd", description: "weekly", "metadata[run]": "7" },
      { idempotencyKey: "po-key-1" },
    );
    expect(again.body.id).toBe(res.body.id);
    expect(await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all()).toHaveLength(1);
    const bt = (await transactionsOf(db, m.merchantId)).find((t) => t.source === res.body.id);
    expect(bt).toMatchObject({ type: "payout", amount: -1200, net: -1200, status: "available", payout: null });
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(1800);
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(1200);
    const created = await db.select().from(events).where(eq(events.objectId, res.body.id)).all();
    expect(created.map((e) => e.type)).toEqual(["payout.created"]);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);

    // Retrieve and the cron's lifecycle: sent, then paid on its arrival date.
    expect((await get(m, `/v1/payouts/${res.body.id}`)).body).toEqual(res.body);
    await runPayouts(db, res.body.arrival_date);
    await runPayouts(db, res.body.arrival_date);
    expect((await get(m, `/v1/payouts/${res.body.id}`)).body.status).toBe("paid");
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
    // Its events, through the Events API: each carries the payout as it was after that change.
    const evts = (await get(m, "/v1/events?type=payout.*")).body.data as {
      type: string;
      data: { object: { id: string; status: string } };
    }[];
    // (The two cron runs share a timestamp, so their events' order within it is the ids'.)
    expect(evts.map((e) => `${e.type}:${e.data.object.status}`).sort()).toEqual([
      "payout.created:pending",
      "payout.paid:paid",
      "payout.updated:in_transit",
      "payout.updated:paid",
    ]);
    expect(evts.every((e) => e.data.object.id === res.body.id)).toBe(true);
  });

  it("over the available balance: 400 balance_insufficient, and nothing is written", async () => {
    const { m, db } = await funded([1000], manual);
    const before = await transactionsOf(db, m.merchantId);
    const res = await post(m, "/v1/payouts", { amount: 1001, currency: "usd" });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({
      type: "invalid_request_error",
      code: "balance_insufficient",
      param: "amount",
    });
    expect(await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all()).toEqual([]);
    expect(await transactionsOf(db, m.merchantId)).toEqual(before);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(1000);
    const none = await db.select().from(events).where(eq(events.merchantId, m.merchantId)).all();
    expect(none.filter((e) => e.type.startsWith("payout."))).toEqual([]);
    // Another currency has no balance at all.
    expect((await post(m, "/v1/payouts", { amount: 1, currency: "eur" })).body.error.code).toBe("balance_insufficient");
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("20 concurrent payouts against a balance covering some never together exceed it", async () => {
    const { m, db } = await funded([2000, 1500], manual, { rateLimit: 1000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(m, "/v1/payouts", { amount: 400, currency: "usd" })),
    );
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status === 400);
    expect(ok.length + refused.length).toBe(20);
    expect(ok).toHaveLength(8);
    expect(refused.every((r) => r.body.error.code === "balance_insufficient")).toBe(true);
    const rows = await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all();
    expect(rows.reduce((s, r) => s + r.amount, 0)).toBe(3200);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(300);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("an automatic payout after a manual one pays only what is left (never the same funds twice)", async () => {
    const { m, db, asOf } = await funded([2000], { payoutSchedule: "daily" });
    expect((await post(m, "/v1/payouts", { amount: 500, currency: "usd" })).status).toBe(200);
    await runPayouts(db, asOf);
    const rows = await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all();
    expect(rows.map((r) => [r.automatic, r.amount]).sort()).toEqual([
      [0, 500],
      [1, 1500],
    ]);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(0);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("no bank account: 400 bank_account_unusable", async () => {
    const { m } = await funded([1000], { payoutSchedule: "manual", bankLast4: null });
    const res = await post(m, "/v1/payouts", { amount: 100, currency: "usd" });
    expect([res.status, res.body.error.code]).toEqual([400, "bank_account_unusable"]);
  });
});

describe("POST /v1/payouts/:id/cancel", () => {
  it("cancels a pending manual payout and returns its funds; once sent, 400", async () => {
    const { m, db } = await funded([1000], manual);
    const po = (await post(m, "/v1/payouts", { amount: 600, currency: "usd" })).body;
    const canceled = await post(m, `/v1/payouts/${po.id}/cancel`);
    expect(canceled.status).toBe(200);
    expect(canceled.body.status).toBe("canceled");
    const returned = (await transactionsOf(db, m.merchantId)).find((t) => t.type === "payout_cancel");
    expect(returned).toMatchObject({ amount: 600, net: 600, status: "available", payout: null, source: po.id });
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(1000);
    expect(await ledgerBalance(db, m.merchantId, "payouts_in_transit")).toBe(0);
    const again = await post(m, `/v1/payouts/${po.id}/cancel`);
    expect([again.status, again.body.error.code]).toEqual([400, "payout_unexpected_state"]);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);

    const sent = (await post(m, "/v1/payouts", { amount: 300, currency: "usd" })).body;
    await runPayouts(db, sent.created);
    expect((await get(m, `/v1/payouts/${sent.id}`)).body.status).toBe("in_transit");
    const late = await post(m, `/v1/payouts/${sent.id}/cancel`);
    expect([late.status, late.body.error.code]).toEqual([400, "payout_unexpected_state"]);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });

  it("concurrent cancels move the payout once", async () => {
    const { m, db } = await funded([1000], manual);
    const po = (await post(m, "/v1/payouts", { amount: 600, currency: "usd" })).body;
    const results = await Promise.all(Array.from({ length: 5 }, () => post(m, `/v1/payouts/${po.id}/cancel`)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect((await transactionsOf(db, m.merchantId)).filter((t) => t.type === "payout_cancel")).toHaveLength(1);
    expect(await ledgerBalance(db, m.merchantId, "available_balance")).toBe(1000);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });
});

describe("GET /v1/payouts", () => {
  it("lists newest first, filters by status and created, pages with cursors", async () => {
    const { m } = await funded([5000], manual);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await post(m, "/v1/payouts", { amount: 100, currency: "usd" })).body.id);
    await post(m, `/v1/payouts/${ids[1]}/cancel`);
    const all = await get(m, "/v1/payouts");
    expect(all.body).toMatchObject({ object: "list", url: "/v1/payouts", has_more: false });
    expect(new Set(all.body.data.map((p: { id: string }) => p.id))).toEqual(new Set(ids));
    const canceled = await get(m, "/v1/payouts?status=canceled");
    expect(canceled.body.data.map((p: { id: string }) => p.id)).toEqual([ids[1]]);
    const page1 = await get(m, "/v1/payouts?limit=2");
    expect([page1.body.data.length, page1.body.has_more]).toEqual([2, true]);
    const page2 = await get(m, `/v1/payouts?limit=2&starting_after=${page1.body.data[1].id}`);
    expect([page2.body.data.length, page2.body.has_more]).toEqual([1, false]);
    const future = await get(m, `/v1/payouts?created[gt]=${Math.floor(Date.now() / 1000) + 3600}`);
    expect(future.body.data).toEqual([]);
    expect((await get(m, "/v1/payouts?status=lost")).body.error).toMatchObject({
      code: "parameter_invalid",
      param: "status",
    });
  });
});

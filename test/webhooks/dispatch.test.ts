/**
 * The dispatcher: each (event, matching endpoint) goes on the queue once however many dispatchers
 * run at the same time; an event is matched by type; a lapsed claim is taken over by the minute
 * cron (through the Worker's real `scheduled` handler) and a fresh one is not.
 */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { CLAIM_TIMEOUT_SECONDS } from "../../src/db/outbox";
import { events } from "../../src/db/schema";
import worker from "../../src/index";
import { WEBHOOK_DISPATCH_CRON } from "../../src/scheduled";
import { dispatchAll, dispatchMerchant } from "../../src/webhooks/dispatch";
import { CARDS } from "../helpers/cards";
import { eventsOf, payQuietly, receiverScope, storeEndpoint, waitFor } from "../helpers/deliveries";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { dbOf, shardIndexOf, sweepAll } from "../helpers/shards";

/** A merchant with `payments` paid intents whose events are stored and not dispatched (app.request: no waitUntil). */
async function merchantWithEvents(payments: number) {
  const m = await newMerchant({ rateLimit: 1000 });
  for (let i = 0; i < payments; i++) expect((await payQuietly(m)).status).toBe(200);
  const stored = await eventsOf(m.merchantId);
  expect(stored.length).toBeGreaterThan(payments);
  expect(stored.every((e) => e.dispatched === 0)).toBe(true);
  return { m, stored, db: await dbOf(m.merchantId) };
}

describe("dispatchMerchant", () => {
  it("sends each (event, endpoint) once under dozens of parallel dispatches, matching types", async () => {
    const { m, stored, db } = await merchantWithEvents(4);
    const rx = receiverScope();
    const all = await storeEndpoint(m.merchantId, rx.url("ok"));
    const some = await storeEndpoint(m.merchantId, rx.url("only/ok"), ["payment_intent.succeeded"]);
    const reports = await Promise.all(Array.from({ length: 40 }, () => dispatchMerchant(env, db, m.merchantId)));
    const succeeded = stored.filter((e) => e.type === "payment_intent.succeeded").length;
    expect(succeeded).toBe(4);
    const expected = stored.length + succeeded;
    expect(reports.reduce((n, r) => n + r.events, 0)).toBe(stored.length);
    expect(reports.reduce((n, r) => n + r.messages, 0)).toBe(expected);

    const got = await waitFor(
      async () => {
        const r = await rx.received();
        return r.length >= expected ? r : undefined;
      },
      10_000,
      "deliveries",
    );
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive by now
    const again = await rx.received();
    expect(again).toHaveLength(expected);
    const ids = got.map((r) => r.headers["webhook-id"]);
    expect(new Set(ids).size).toBe(expected);
    expect(ids.filter((id) => id?.endsWith(some.id))).toHaveLength(succeeded);
    expect(ids.filter((id) => id?.endsWith(all.id))).toHaveLength(stored.length);

    const after = await eventsOf(m.merchantId);
    expect(after.every((e) => e.dispatched === 1)).toBe(true);
    // Delivered everywhere: nothing pending (set at dispatch, decremented on each 2xx, whatever came first).
    await waitFor(async () =>
      (await eventsOf(m.merchantId)).every((e) => e.pendingWebhooks === 0) ? true : undefined,
    );
  });

  it("marks events with no matching endpoint dispatched, with nothing pending", async () => {
    const { m, db } = await merchantWithEvents(1);
    const report = await dispatchMerchant(env, db, m.merchantId);
    expect(report.messages).toBe(0);
    expect((await eventsOf(m.merchantId)).every((e) => e.dispatched === 1 && e.pendingWebhooks === 0)).toBe(true);
    expect((await dispatchMerchant(env, db, m.merchantId)).events).toBe(0);
  });
});

describe("the minute cron", () => {
  it("takes over a claim older than a minute, leaves a fresh one", async () => {
    const { m, stored, db } = await merchantWithEvents(2);
    const rx = receiverScope();
    await storeEndpoint(m.merchantId, rx.url("ok"));
    const now = Math.floor(Date.now() / 1000);
    const half = Math.floor(stored.length / 2);
    const stale = stored.slice(0, half).map((e) => e.id);
    const fresh = stored.slice(half).map((e) => e.id);
    await db
      .update(events)
      .set({ claimedAt: now - CLAIM_TIMEOUT_SECONDS - 1 })
      .where(inArray(events.id, stale));
    await db
      .update(events)
      .set({ claimedAt: now - 10 })
      .where(inArray(events.id, fresh));

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: WEBHOOK_DISPATCH_CRON }), env, ctx);
    await waitOnExecutionContext(ctx);

    const after = new Map((await eventsOf(m.merchantId)).map((e) => [e.id, e]));
    for (const id of stale) expect(after.get(id)?.dispatched).toBe(1);
    for (const id of fresh) expect(after.get(id)?.dispatched).toBe(0);
    const got = await waitFor(async () => {
      const r = await rx.received();
      return r.length >= stale.length ? r : undefined;
    });
    expect(got.map((r) => (JSON.parse(r.body) as { id: string }).id).sort()).toEqual([...stale].sort());

    // A minute later the fresh claims have lapsed too.
    await db
      .update(events)
      .set({ claimedAt: now - CLAIM_TIMEOUT_SECONDS - 1 })
      .where(eq(events.merchantId, m.merchantId));
    const ctx2 = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: WEBHOOK_DISPATCH_CRON }), env, ctx2);
    await waitOnExecutionContext(ctx2);
    expect((await eventsOf(m.merchantId)).every((e) => e.dispatched === 1)).toBe(true);
  });

  it("claims each merchant's events at the time its dispatch starts, not the run's", async () => {
    // Three merchants over two shards: two of them share a shard, dispatched one after the other.
    const made = [await merchantWithEvents(1), await merchantWithEvents(1), await merchantWithEvents(1)];
    const withShard = await Promise.all(made.map(async (x) => ({ ...x, shard: await shardIndexOf(x.m.merchantId) })));
    const [first, second] = withShard.filter((x) => withShard.filter((y) => y.shard === x.shard).length > 1);
    if (!first || !second) throw new Error("no two merchants on one shard");
    // A clock 100 s further on at every reading: a long run, compressed.
    const start = Math.floor(Date.now() / 1000) - 1000;
    let readings = 0;
    await dispatchAll(env, () => start + 100 * ++readings);
    const claims = async (merchantId: string) => new Set((await eventsOf(merchantId)).map((e) => e.claimedAt));
    const [a, b] = [await claims(first.m.merchantId), await claims(second.m.merchantId)];
    expect([a.size, b.size]).toEqual([1, 1]);
    expect([...a][0]).not.toBeNull();
    expect([...a][0]).not.toBe([...b][0]);
  });

  it("delivers the events no request made (the sweep's expiry) from the minute cron", async () => {
    const m = await newMerchant();
    const rx = receiverScope();
    await storeEndpoint(m.merchantId, rx.url("ok"), ["payment_intent.canceled"]);
    const pm = await paymentMethod(m, CARDS.visa.number);
    const held = await post(m, "/v1/payment_intents", {
      amount: 900,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    expect(held.body.status).toBe("requires_capture");
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 8 * 24 * 3600 });
    const canceled = (await eventsOf(m.merchantId)).find((e) => e.type === "payment_intent.canceled");
    expect(canceled?.dispatched).toBe(0);

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: WEBHOOK_DISPATCH_CRON }), env, ctx);
    await waitOnExecutionContext(ctx);
    const [got] = await waitFor(async () => {
      const r = await rx.received();
      return r.length > 0 ? r : undefined;
    });
    expect(JSON.parse(got?.body ?? "{}")).toMatchObject({ id: canceled?.id, type: "payment_intent.canceled" });
  });
});

describe("the dispatch after each request", () => {
  it("runs after a request that wrote events, not after a GET, a refusal or a write without events", async () => {
    const m = await newMerchant();
    expect((await payQuietly(m)).status).toBe(200);
    const pending = async () => (await eventsOf(m.merchantId)).filter((e) => e.dispatched === 0).length;
    const before = await pending();
    expect(before).toBeGreaterThan(0);
    expect((await get(m, "/v1/payment_intents")).status).toBe(200);
    const readOnly = await tokenFor(m, ["payments:read"]);
    expect((await post(readOnly, "/v1/payment_intents", { amount: 100, currency: "usd" })).status).toBe(403);
    // Tokenizing a card writes no event: no dispatch either.
    const tokenized = await post(m, "/v1/payment_methods", {
      type: "card",
      "card[number]": "4242424242424242",
      "card[exp_month]": "12",
      "card[exp_year]": "2040",
    });
    expect(tokenized.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300)); // what a waitUntil would have done by now
    expect(await pending()).toBe(before);
    expect((await post(m, "/v1/payment_intents", { amount: 100, currency: "usd" })).status).toBe(200);
    await waitFor(async () => ((await pending()) === 0 ? true : undefined), 5_000, "the request's dispatch");
  });
});

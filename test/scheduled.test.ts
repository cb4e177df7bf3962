/** The Worker's cron handler sweeps every shard: week-old authorizations expire and held CVCs past their expiry are cleared on each. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../src/app";
import { EVENT_RETENTION_SECONDS, eventInsert } from "../src/db/events";
import { events, paymentIntents, paymentMethods, payouts } from "../src/db/schema";
import { DAY } from "../src/domain/fees";
import worker from "../src/index";
import { newId } from "../src/lib/ids";
import { AUTHORIZATION_TTL_SECONDS } from "../src/payments/actions";
import { settleShard } from "../src/settlement/settle";
import { newMerchant, type TestMerchant } from "./helpers/merchants";
import { get, pay, paymentMethod } from "./helpers/payments";
import { moneyProblems, setTerms } from "./helpers/payouts";
import { dbOf, shardIndexOf } from "./helpers/shards";

/** A manual authorization made to look older than the TTL, and a card whose held CVC has expired, on the merchant's shard. */
async function stale(m: TestMerchant) {
  const intent = (await pay(m, "4242424242424242", { capture_method: "manual" })).body.id as string;
  const pm = await paymentMethod(m, "5555555555554444");
  const db = await dbOf(m.merchantId);
  const old = Math.floor(Date.now() / 1000) - AUTHORIZATION_TTL_SECONDS - 3600;
  await db.update(paymentIntents).set({ authorizedAt: old }).where(eq(paymentIntents.id, intent));
  await db.update(paymentMethods).set({ cvcExpiresAt: 1 }).where(eq(paymentMethods.id, pm));
  return { intent, pm };
}

describe("scheduled", () => {
  it("sweeps every shard", async () => {
    const merchants = [await newMerchant(), await newMerchant(), await newMerchant()];
    expect(new Set(await Promise.all(merchants.map((m) => shardIndexOf(m.merchantId))))).toEqual(new Set([0, 1]));
    const objects = await Promise.all(merchants.map(stale));

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    for (const [i, m] of merchants.entries()) {
      const { intent, pm } = objects[i] as { intent: string; pm: string };
      expect((await get(m, `/v1/payment_intents/${intent}`)).body).toMatchObject({
        status: "canceled",
        cancellation_reason: "automatic",
      });
      const row = await (await dbOf(m.merchantId)).select().from(paymentMethods).where(eq(paymentMethods.id, pm)).get();
      expect(row).toMatchObject({ cvcCiphertext: null, cvcExpiresAt: null });
    }
  });

  it("prunes events older than 30 days on every shard, and keeps younger ones", async () => {
    const merchants = [await newMerchant(), await newMerchant(), await newMerchant()];
    const now = Math.floor(Date.now() / 1000);
    const kept: string[] = [];
    const pruned: string[] = [];
    for (const m of merchants) {
      const intent = (await pay(m, "4242424242424242")).body.id as string;
      const db = await dbOf(m.merchantId);
      for (const [created, list] of [
        [now - EVENT_RETENTION_SECONDS - 60, pruned],
        [now - EVENT_RETENTION_SECONDS + 3600, kept],
      ] as const) {
        const id = newId("evt");
        list.push(id);
        const spec = {
          id,
          merchantId: m.merchantId,
          type: "payment_intent.succeeded",
          objectType: "payment_intent" as const,
        };
        await db.batch([eventInsert(db, { ...spec, objectId: intent, created, origin: null })]);
      }
    }
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const rows = await Promise.all(
      merchants.map(async (m) => (await dbOf(m.merchantId)).select({ id: events.id }).from(events).all()),
    );
    const left = new Set(rows.flat().map((e) => e.id));
    expect(pruned.filter((id) => left.has(id))).toEqual([]);
    expect(kept.filter((id) => left.has(id))).toEqual(kept);
  });
});

describe("scheduled: payouts", () => {
  it("the cron pays out the available funds of a merchant on a daily schedule and sends the payout", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const db = await dbOf(m.merchantId);
    await setTerms(db, m.merchantId, { delayDays: 0, bankLast4: "6789", bankBehaviour: "succeeds" });
    // Paid two days ago (the app's clock), so the funds are due at today's cut-off; settled as of now.
    const past = Math.floor(Date.now() / 1000) - 2 * DAY;
    const paid = await pay(m, "4242424242424242", { amount: 1700 }, createApp({ payments: { now: () => past } }));
    expect(paid.body.status).toBe("succeeded");
    await settleShard(db, Math.floor(Date.now() / 1000));

    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);
    const rows = await db.select().from(payouts).where(eq(payouts.merchantId, m.merchantId)).all();
    expect(rows.map((r) => [r.amount, r.automatic, r.status])).toEqual([[1700, 1, "in_transit"]]);
    expect(await moneyProblems(db, m.merchantId)).toEqual([]);
  });
});

/**
 * Moving a merchant between shards (src/moves/move-merchant.ts): every object, ledger sum and
 * idempotent replay survives the move; a move stopped after any step is finished by running it
 * again; a request sent during the freeze gets a retryable 429 and lands once when retried; the
 * sweep leaves a moving merchant alone.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { controlDb } from "../../src/db/client";
import { merchantFootprint, merchantsToSkip } from "../../src/db/merchant-move";
import { paymentIntents } from "../../src/db/schema";
import { type MoveCheckpoint, moveMerchant } from "../../src/moves/move-merchant";
import { scheduledSweep } from "../../src/scheduled";
import { call, json } from "../helpers/http";
import { newMerchant, operatorHeaders, type TestMerchant } from "../helpers/merchants";
import { cardToken, get, ledgerProblems, pay, paymentMethod, post } from "../helpers/payments";
import { shard, shardIndexOf } from "../helpers/shards";

/** No waiting: tests run in one isolate, whose status cache the move clears itself. */
const fast = { drainMs: 0, settleMs: 0, freezeMs: 30_000, switchMarginMs: 0 };
const app = createApp({ moveTiming: fast });

async function operatorPost(path: string, body: unknown = {}) {
  const init = json(body);
  const res = await call(path, { ...init, headers: { ...init.headers, ...operatorHeaders() } }, app);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
  return { status: res.status, body: (await res.json()) as any };
}

function moveOverHttp(m: TestMerchant, to: number) {
  return operatorPost(`/admin/v1/merchants/${m.merchantId}/move`, { shard: to });
}

/** What the merchant sees of itself through the API. */
async function view(m: TestMerchant) {
  return {
    intents: (await get(m, "/v1/payment_intents?limit=100")).body.data,
    refunds: (await get(m, "/v1/refunds?limit=100")).body.data,
    balance: (await get(m, "/v1/balance")).body,
    customers: (await get(m, "/v1/customers?limit=100")).body.data,
    charges: (await get(m, "/v1/charges?limit=100")).body.data,
    reviews: (await get(m, "/v1/reviews?limit=100")).body.data,
  };
}

describe("moving a merchant", () => {
  it("keeps every object, ledger sum and idempotent replay, and the merchant works on its new shard", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    expect([await shardIndexOf(a.merchantId), await shardIndexOf(b.merchantId)]).toEqual([0, 1]);
    const paid = (await pay(a, "4242424242424242", { amount: 3000 })).body;
    const manual = (await pay(a, "5555555555554444", { amount: 2000, capture_method: "manual" })).body;
    // Held in review by Radar's elevated-risk test card: the review moves with the merchant.
    const held = (await pay(a, "4000000000009235", { amount: 1500 })).body;
    expect(held.review).toMatch(/^prv_/);
    const refundFields = { payment_intent: paid.id, amount: 700 };
    const refund = await post(a, "/v1/refunds", refundFields, { idempotencyKey: "move-refund" });
    expect(refund.status).toBe(200);
    const token = await cardToken(a, "4242424242424242");
    const customer = (await post(a, "/v1/customers", { email: "moved@example.com" })).body.id;
    const saved = await paymentMethod(a, "4242424242424242");
    expect((await post(a, `/v1/payment_methods/${saved}/attach`, { customer })).status).toBe(200);
    const savedCards = (await get(a, `/v1/customers/${customer}/payment_methods`)).body;
    expect(savedCards.data).toHaveLength(1);
    await pay(b, "4242424242424242");
    const before = { a: await view(a), footprint: await merchantFootprint(shard(0), a.merchantId) };
    expect(before.a.charges).toHaveLength(3);
    expect(before.a.reviews).toHaveLength(1);
    const bBefore = await merchantFootprint(shard(1), b.merchantId);

    const moved = await moveOverHttp(a, 1);
    expect(moved).toMatchObject({ status: 200, body: { object: "merchant_move", from_shard: 0, to_shard: 1 } });
    expect(await shardIndexOf(a.merchantId)).toBe(1);
    expect(await merchantFootprint(shard(1), a.merchantId)).toEqual(before.footprint);
    expect(await view(a)).toEqual(before.a);
    expect((await get(a, `/v1/customers/${customer}/payment_methods`)).body).toEqual(savedCards);
    expect(await merchantFootprint(shard(1), b.merchantId)).toEqual(bBefore);

    const replay = await post(a, "/v1/refunds", refundFields, { idempotencyKey: "move-refund" });
    expect(replay.body.id).toBe(refund.body.id);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect((await get(a, `/v1/tokens/${token}`)).status).toBe(200);
    const captured = await post(a, `/v1/payment_intents/${manual.id}/capture`);
    expect(captured.body.status).toBe("succeeded");
    const approved = await post(a, `/v1/reviews/${held.review}/approve`);
    expect(approved.body).toMatchObject({ id: held.review, open: false, closed_reason: "approved" });
    expect((await get(a, `/v1/payment_intents/${held.id}`)).body).toMatchObject({ status: "succeeded", review: null });
    // Its charge.captured event snapshots the charge row, which moved with the merchant.
    expect((await get(a, `/v1/charges/${manual.latest_charge}`)).body).toMatchObject({
      captured: true,
      amount_captured: 2000,
    });
    expect(await ledgerProblems(a.merchantId)).toEqual([]);
    // The capture was written to the new shard; the source copy is left as it was.
    expect(await merchantFootprint(shard(0), a.merchantId)).toEqual(before.footprint);

    expect((await moveOverHttp(a, 1)).body.error).toMatchObject({ code: "parameter_invalid", param: "shard" });
    expect((await moveOverHttp(a, 7)).body.error).toMatchObject({ code: "parameter_invalid", param: "shard" });

    // Later, the stale source copy is dropped; the merchant sees the same, B is untouched.
    const afterMove = await view(a);
    expect((await operatorPost(`/admin/v1/merchants/${b.merchantId}/move/drop_source`)).status).toBe(400);
    const dropped = await operatorPost(`/admin/v1/merchants/${a.merchantId}/move/drop_source`);
    expect(dropped).toMatchObject({ status: 200, body: { status: "source_dropped", from_shard: 0, to_shard: 1 } });
    expect((await merchantFootprint(shard(0), a.merchantId)).filter((line) => !line.endsWith(" rows 0"))).toEqual([]);
    expect((await operatorPost(`/admin/v1/merchants/${a.merchantId}/move/drop_source`)).status).toBe(200);
    expect(await view(a)).toEqual(afterMove);
    expect(await merchantFootprint(shard(1), b.merchantId)).toEqual(bBefore);
  });

  for (const step of ["frozen", "copied", "switched", "thawed"] as const satisfies MoveCheckpoint[]) {
    it(`finishes a move that stopped after "${step}" when run again`, async () => {
      const m = await newMerchant();
      const from = await shardIndexOf(m.merchantId);
      const to = 1 - from;
      await pay(m, "4242424242424242");
      await pay(m, "4242424242424242", { capture_method: "manual" });
      const before = { view: await view(m), footprint: await merchantFootprint(shard(from), m.merchantId) };
      const crash = (s: MoveCheckpoint) => {
        if (s === step) throw new Error(`crash after ${s}`);
      };
      await expect(moveMerchant(env, m.merchantId, to, { timing: fast, afterStep: crash })).rejects.toThrow("crash");
      // A mover that fails before the switch thaws the merchant on its source, which is still the
      // truth; after the switch the merchant stays frozen (a retryable 429, nothing runs) until the
      // move is finished.
      const meanwhile = await post(m, "/v1/payment_intents", { amount: 100, currency: "usd" });
      if (step === "switched") {
        expect(meanwhile).toMatchObject({ status: 429, body: { error: { code: "lock_timeout" } } });
        expect(meanwhile.headers.get("stripe-should-retry")).toBe("true");
      } else expect(meanwhile.status).toBe(200);
      const beforeRerun = await merchantFootprint(shard(from), m.merchantId);

      const done = await moveMerchant(env, m.merchantId, to, { timing: fast });
      expect(done).toMatchObject({ ok: true, move: { step: "done", fromShard: from, toShard: to } });
      expect(await shardIndexOf(m.merchantId)).toBe(to);
      // A resumed move does not know when its switch landed and refuses every route read before its
      // thaw: this isolate's first request may get one retryable 429, never a write to the source.
      const first = await get(m, "/v1/payment_intents");
      if (first.status !== 200) expect(first).toMatchObject({ status: 429, body: { error: { code: "lock_timeout" } } });
      if (step === "switched") {
        expect(await merchantFootprint(shard(to), m.merchantId)).toEqual(before.footprint);
        expect(await view(m)).toEqual(before.view);
      } else if (step !== "thawed") {
        // The intent created meanwhile landed on the source, and the re-run copied it along.
        expect(await merchantFootprint(shard(to), m.merchantId)).toEqual(beforeRerun);
        expect(beforeRerun).not.toEqual(before.footprint);
      }
      expect((await get(m, "/v1/payment_intents")).status).toBe(200);
      expect(await ledgerProblems(m.merchantId)).toEqual([]);
    });
  }

  it("refuses a request during the freeze with a retryable 429, and the retry lands once, on the new shard", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const to = 1 - from;
    const pm = await paymentMethod(m, "4242424242424242");
    const fields = { amount: 1500, currency: "usd", payment_method: pm, confirm: "true" };
    let during: Awaited<ReturnType<typeof post>> | undefined;
    const outcome = await moveMerchant(env, m.merchantId, to, {
      timing: fast,
      afterStep: async (s) => {
        if (s === "frozen") during = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "during-move" });
      },
    });
    expect(outcome.ok).toBe(true);
    expect(during).toMatchObject({ status: 429, body: { error: { code: "lock_timeout" } } });
    expect(during?.headers.get("stripe-should-retry")).toBe("true");

    const retry = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "during-move" });
    expect(retry).toMatchObject({ status: 200, body: { status: "succeeded" } });
    const keyed = (db: number) =>
      shard(db)
        .select({ id: paymentIntents.id })
        .from(paymentIntents)
        .where(and(eq(paymentIntents.merchantId, m.merchantId), eq(paymentIntents.idempotencyKey, "during-move")))
        .all();
    expect(await keyed(to)).toEqual([{ id: retry.body.id }]);
    expect(await keyed(from)).toEqual([]);
  });

  it("runs one call at a time: a second call during a move is refused, then finds it done", async () => {
    const m = await newMerchant();
    const to = 1 - (await shardIndexOf(m.merchantId));
    await pay(m, "4242424242424242");
    let second: Awaited<ReturnType<typeof moveMerchant>> | undefined;
    const first = await moveMerchant(env, m.merchantId, to, {
      timing: fast,
      afterStep: async (s) => {
        if (s === "frozen") second = await moveMerchant(env, m.merchantId, to, { timing: fast });
      },
    });
    expect(second).toEqual({ ok: false, reason: "in_progress" });
    expect(first).toMatchObject({ ok: true, move: { step: "done" } });
    expect(await moveMerchant(env, m.merchantId, to, { timing: fast })).toEqual({ ok: false, reason: "already_there" });
  });

  it("throws a copy made while the freeze lapsed away, leaves the merchant working on its source, and copies again", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    await pay(m, "4242424242424242");
    const lapsing = { drainMs: 20, settleMs: 0, freezeMs: 1, switchMarginMs: 0 };
    expect(await moveMerchant(env, m.merchantId, 1 - from, { timing: lapsing })).toEqual({
      ok: false,
      reason: "copy_differs",
      differences: ["the freeze lapsed"],
    });
    expect(await shardIndexOf(m.merchantId)).toBe(from);
    expect((await post(m, "/v1/payment_intents", { amount: 100, currency: "usd" })).status).toBe(200);
    const before = await merchantFootprint(shard(from), m.merchantId);
    expect((await moveMerchant(env, m.merchantId, 1 - from, { timing: fast })).ok).toBe(true);
    expect(await merchantFootprint(shard(1 - from), m.merchantId)).toEqual(before);
  });

  it("refuses a request routed by a directory entry older than the move, once, and the retry finds the new shard", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const beforeMove = Date.now();
    expect((await moveMerchant(env, m.merchantId, 1 - from, { timing: fast })).ok).toBe(true);
    // The move told the gate when it landed.
    const admitted = await env.MERCHANT_GATE.getByName(`m:${m.merchantId}:0`).admit({
      policies: [{ name: "probe", quota: 10, windowSec: 1 }],
    });
    expect(admitted.outcome === "proceed" && admitted.movedAt >= beforeMove).toBe(true);
    // This isolate's status cache holds the merchant's route, read at some time t. Another mover
    // then records a move that landed after t: this isolate's entry must not route a request.
    expect((await get(m, "/v1/payment_intents")).status).toBe(200);
    await scheduler.wait(5);
    await env.MERCHANT_GATE.getByName(`m:${m.merchantId}:0`).thaw(Date.now());
    await scheduler.wait(5);
    const fields = { amount: 100, currency: "usd" };
    const stale = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "stale-route" });
    expect(stale).toMatchObject({ status: 429, body: { error: { code: "lock_timeout" } } });
    expect(stale.headers.get("stripe-should-retry")).toBe("true");
    const retry = await post(m, "/v1/payment_intents", fields, { idempotencyKey: "stale-route" });
    expect(retry.status).toBe(200);
    const onShard = (db: number) =>
      shard(db)
        .select({ id: paymentIntents.id })
        .from(paymentIntents)
        .where(eq(paymentIntents.idempotencyKey, "stale-route"))
        .all();
    expect(await onShard(1 - from)).toEqual([{ id: retry.body.id }]);
    expect(await onShard(from)).toEqual([]);
  });

  it("leaves the stale source copy of a finished move to itself in the sweep", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const manual = (await pay(m, "4242424242424242", { capture_method: "manual" })).body;
    expect((await moveMerchant(env, m.merchantId, 1 - from, { timing: fast })).ok).toBe(true);
    expect((await post(m, `/v1/payment_intents/${manual.id}/capture`, {})).body.status).toBe("succeeded");
    // Both copies look a week old: only the live one (captured) may be judged, never the stale one.
    for (const db of [from, 1 - from]) {
      await shard(db).update(paymentIntents).set({ authorizedAt: 1 }).where(eq(paymentIntents.id, manual.id));
    }
    await scheduledSweep(env);
    const status = async (db: number) =>
      (await shard(db).select().from(paymentIntents).where(eq(paymentIntents.id, manual.id)).get())?.status;
    expect(await status(from)).toBe("requires_capture");
    expect(await status(1 - from)).toBe("succeeded");
  });

  it("names the merchants a shard's background jobs skip: a copy in progress or unfinished, a stale source until dropped", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const to = 1 - from;
    const skipped = async () => [
      (await merchantsToSkip(controlDb(env), from, Date.now())).includes(m.merchantId),
      (await merchantsToSkip(controlDb(env), to, Date.now())).includes(m.merchantId),
    ];
    expect(await skipped()).toEqual([false, false]);
    let during: boolean[] = [];
    const crash = async (s: MoveCheckpoint) => {
      during = await skipped();
      if (s === "copied") throw new Error("crash");
    };
    await expect(moveMerchant(env, m.merchantId, to, { timing: fast, afterStep: crash })).rejects.toThrow();
    // While a call works on the move, both copies are left alone; once it failed, the merchant works
    // (and is swept) on its source, and the unverified target copy is left alone.
    expect(during).toEqual([true, true]);
    expect(await skipped()).toEqual([false, true]);
    expect((await moveMerchant(env, m.merchantId, to, { timing: fast })).ok).toBe(true);
    expect(await skipped()).toEqual([true, false]);
    expect((await operatorPost(`/admin/v1/merchants/${m.merchantId}/move/drop_source`)).status).toBe(200);
    expect(await skipped()).toEqual([false, false]);
    expect((await operatorPost(`/admin/v1/merchants/${m.merchantId}/move/drop_source`)).status).toBe(200);
  });

  it("moves back onto a finished move's undropped source, replacing the stale copy there", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    await pay(m, "4242424242424242");
    expect((await moveMerchant(env, m.merchantId, 1 - from, { timing: fast })).ok).toBe(true);
    await pay(m, "4242424242424242");
    const live = await merchantFootprint(shard(1 - from), m.merchantId);
    expect((await moveMerchant(env, m.merchantId, from, { timing: fast })).ok).toBe(true);
    expect(await merchantFootprint(shard(from), m.merchantId)).toEqual(live);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("is left alone by the sweep while a call moves it, and swept where it lives otherwise", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const manual = (await pay(m, "4242424242424242", { capture_method: "manual" })).body;
    await shard(from).update(paymentIntents).set({ authorizedAt: 1 }).where(eq(paymentIntents.id, manual.id));
    const status = async (db: number) =>
      (await shard(db).select().from(paymentIntents).where(eq(paymentIntents.id, manual.id)).get())?.status;
    let during: string | undefined;
    const sweepWhileFrozen = async (s: MoveCheckpoint) => {
      if (s !== "frozen") return;
      await scheduledSweep(env);
      during = await status(from);
    };
    expect((await moveMerchant(env, m.merchantId, 1 - from, { timing: fast, afterStep: sweepWhileFrozen })).ok).toBe(
      true,
    );
    expect(during).toBe("requires_capture");
    // Finished, the move took the authorization along, and the next sweep expires it on the new
    // shard; the stale copy on the old one is left alone.
    await scheduledSweep(env);
    expect(await status(1 - from)).toBe("canceled");
    expect(await status(from)).toBe("requires_capture");
  });
});

describe("the move routes refuse what they must", () => {
  const send = async (path: string, body: unknown, headers: Record<string, string>) => {
    const init = json(body);
    const res = await call(path, { ...init, headers: { ...init.headers, ...headers } }, app);
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
    return { status: res.status, body: (await res.json()) as any };
  };

  it("answers 401 without an operator credential and to a merchant's token, and moves nothing", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const path = `/admin/v1/merchants/${m.merchantId}/move`;
    expect((await send(path, { shard: 1 - from }, {})).status).toBe(401);
    expect((await send(path, { shard: 1 - from }, { authorization: `Bearer ${m.token}` })).status).toBe(401);
    expect((await send(`${path}/drop_source`, {}, { authorization: `Bearer ${m.token}` })).status).toBe(401);
    expect(await shardIndexOf(m.merchantId)).toBe(from);
  });

  it("answers 4xx with the offending param for an unknown merchant, shard or missing shard", async () => {
    const m = await newMerchant();
    const from = await shardIndexOf(m.merchantId);
    const move = (id: string, body: unknown) => send(`/admin/v1/merchants/${id}/move`, body, operatorHeaders());
    expect(await move("mer_nosuchmerchant", { shard: 0 })).toMatchObject({
      status: 404,
      body: { error: { code: "resource_missing", param: "id" } },
    });
    expect(await move(m.merchantId, { shard: 7 })).toMatchObject({ status: 400, body: { error: { param: "shard" } } });
    expect(await move(m.merchantId, { shard: -1 })).toMatchObject({ status: 400, body: { error: { param: "shard" } } });
    expect(await move(m.merchantId, {})).toMatchObject({ status: 400, body: { error: { param: "shard" } } });
    expect(await move(m.merchantId, { shard: from })).toMatchObject({
      status: 400,
      body: { error: { param: "shard" } },
    });
    expect(await shardIndexOf(m.merchantId)).toBe(from);
  });
});

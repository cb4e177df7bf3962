/**
 * The event outbox: every change a merchant cares about writes its events in its own batch. Each
 * listed type is emitted by its change, with the object as the API showed it, the request that
 * caused it (or null for the sweep), and no card data; a batch that fails leaves neither the
 * change nor its events; under concurrency every change has exactly its events.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { aboutObject, eventProblems, eventsOf, typesFor } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { dbOf, sweepAll } from "../helpers/shards";

const VISA = "4242424242424242";
const DECLINED = "4000000000000002";

async function settled(m: TestMerchant) {
  expect(await unfinished(m.merchantId)).toEqual([]);
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
  expect(await eventProblems(m.merchantId)).toEqual([]);
}

describe("events of payment intents", () => {
  it("an automatic payment: created, processing, charge.succeeded (captured) and payment_intent.succeeded, naming the request", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const res = await post(
      m,
      "/v1/payment_intents",
      { amount: 1234, currency: "usd", payment_method: pm, confirm: "true", "metadata[order]": "42" },
      { idempotencyKey: "evt-auto-1" },
    );
    expect(res.body.status).toBe("succeeded");
    expect(await typesFor(m.merchantId, res.body.id)).toEqual([
      "payment_intent.created",
      "payment_intent.processing",
      "charge.succeeded",
      "payment_intent.succeeded",
    ]);
    const all = await eventsOf(m.merchantId);
    const succeeded = all.find((e) => e.type === "payment_intent.succeeded");
    // data.object is the intent exactly as the API answered it.
    expect(succeeded?.data.object).toEqual(res.body);
    expect(succeeded).toMatchObject({
      object: "event",
      api_version: expect.any(String),
      livemode: false,
      pending_webhooks: 0,
      request: { id: res.headers.get("request-id"), idempotency_key: "evt-auto-1" },
    });
    expect(succeeded?.id).toMatch(/^evt_/);
    const charge = all.find((e) => e.type === "charge.succeeded")?.data.object;
    expect(charge).toMatchObject({
      id: res.body.latest_charge,
      object: "charge",
      amount: 1234,
      amount_captured: 1234,
      captured: true,
      paid: true,
      status: "succeeded",
      payment_intent: res.body.id,
      payment_method: pm,
      metadata: { order: "42" },
    });
    // The processing event shows the intent as that batch left it (the snapshot is taken in it).
    expect(all.find((e) => e.type === "payment_intent.processing")?.data.object).toMatchObject({
      status: "processing",
    });
    await settled(m);
  });

  it("a manual payment: amount_capturable_updated on authorization, then charge.captured and succeeded on capture", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const res = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "eur",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    expect(res.body.status).toBe("requires_capture");
    const captured = await post(m, `/v1/payment_intents/${res.body.id}/capture`, { amount_to_capture: 600 });
    expect(captured.body.status).toBe("succeeded");
    expect(await typesFor(m.merchantId, res.body.id)).toEqual([
      "payment_intent.created",
      "payment_intent.processing",
      "charge.succeeded",
      "payment_intent.amount_capturable_updated",
      "charge.captured",
      "payment_intent.succeeded",
    ]);
    const all = await eventsOf(m.merchantId);
    expect(all.find((e) => e.type === "charge.succeeded")?.data.object).toMatchObject({
      captured: false,
      amount: 1000,
    });
    expect(all.find((e) => e.type === "payment_intent.amount_capturable_updated")?.data.object).toMatchObject({
      amount_capturable: 1000,
    });
    expect(all.find((e) => e.type === "charge.captured")?.data.object).toMatchObject({
      captured: true,
      amount_captured: 600,
    });
    await settled(m);
  });

  it("a decline: charge.failed with the decline and payment_intent.payment_failed", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, DECLINED);
    const res = await post(m, "/v1/payment_intents", {
      amount: 500,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(res.status).toBe(402);
    const id = res.body.error.payment_intent.id;
    expect(await typesFor(m.merchantId, id)).toEqual([
      "payment_intent.created",
      "payment_intent.processing",
      "charge.failed",
      "payment_intent.payment_failed",
    ]);
    const all = await eventsOf(m.merchantId);
    expect(all.find((e) => e.type === "charge.failed")?.data.object).toMatchObject({
      object: "charge",
      id: expect.stringMatching(/^ch_/),
      status: "failed",
      paid: false,
      failure_code: "card_declined",
      payment_method: pm,
    });
    expect(all.find((e) => e.type === "payment_intent.payment_failed")?.data.object).toMatchObject({
      status: "requires_payment_method",
      last_payment_error: { code: "card_declined" },
    });
    await settled(m);
  });

  it("cancel before confirmation and void after authorization: payment_intent.canceled", async () => {
    const m = await newMerchant();
    const draft = await post(m, "/v1/payment_intents", { amount: 700, currency: "usd" });
    await post(m, `/v1/payment_intents/${draft.body.id}/cancel`, { cancellation_reason: "abandoned" });
    expect(await typesFor(m.merchantId, draft.body.id)).toEqual(["payment_intent.created", "payment_intent.canceled"]);
    const pm = await paymentMethod(m, VISA);
    const held = await post(m, "/v1/payment_intents", {
      amount: 700,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    const voided = await post(m, `/v1/payment_intents/${held.body.id}/cancel`, {});
    expect(voided.body.status).toBe("canceled");
    expect((await typesFor(m.merchantId, held.body.id)).slice(-1)).toEqual(["payment_intent.canceled"]);
    await settled(m);
  });

  it("an update, an attach and a refused capture emit nothing (Stripe sends no event for them)", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const draft = await post(m, "/v1/payment_intents", { amount: 700, currency: "usd", payment_method: pm });
    await post(m, `/v1/payment_intents/${draft.body.id}`, { description: "x" });
    expect(await typesFor(m.merchantId, draft.body.id)).toEqual(["payment_intent.created"]);
    const faults = new Faults().set("capture", { kind: "refuse", reason: "declined" });
    const app = createApp({ payments: { processor: faults.factory } });
    const held = await post(m, "/v1/payment_intents", {
      amount: 700,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    const before = await typesFor(m.merchantId, held.body.id);
    const refused = await post(m, `/v1/payment_intents/${held.body.id}/capture`, {}, { app });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(await typesFor(m.merchantId, held.body.id)).toEqual(before);
    await settled(m);
  });

  it("the sweep's changes name no request: an expired authorization is canceled with request.id null", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const held = await post(m, "/v1/payment_intents", {
      amount: 900,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 8 * 24 * 3600 });
    const canceled = (await eventsOf(m.merchantId)).find(
      (e) => e.objectId === held.body.id && e.type === "payment_intent.canceled",
    );
    expect(canceled?.request).toEqual({ id: null, idempotency_key: null });
    expect(canceled?.data.object).toMatchObject({ status: "canceled", cancellation_reason: "automatic" });
    await settled(m);
  });

  it("an outcome the sweep reconciles after a lost answer emits its events once, with no request", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const faults = new Faults().set("authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const res = await post(
      m,
      "/v1/payment_intents",
      { amount: 800, currency: "usd", payment_method: pm, confirm: "true" },
      { app },
    );
    const id = res.body.id ?? res.body.error?.payment_intent?.id;
    expect(await typesFor(m.merchantId, id)).toEqual(["payment_intent.created", "payment_intent.processing"]);
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120 });
    const later = (await eventsOf(m.merchantId)).filter((e) => aboutObject(e, id)).slice(2);
    expect(later.map((e) => e.type)).toEqual(["charge.succeeded", "payment_intent.succeeded"]);
    expect(later.every((e) => e.request.id === null)).toBe(true);
    await settled(m);
  });
});

describe("events of refunds and payment methods", () => {
  it("a refund: refund.created (pending), then refund.updated with previous status and charge.refunded", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const paid = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    const refund = await post(m, "/v1/refunds", { payment_intent: paid.body.id, amount: 400 });
    expect(refund.body.status).toBe("succeeded");
    expect(await typesFor(m.merchantId, refund.body.id)).toEqual(["refund.created", "refund.updated"]);
    const all = await eventsOf(m.merchantId);
    const mine = all.filter((e) => e.objectId === refund.body.id);
    expect(mine[0]?.data.object).toMatchObject({ status: "pending", amount: 400 });
    expect(mine[1]?.data).toMatchObject({ object: refund.body, previous_attributes: { status: "pending" } });
    expect(all.find((e) => e.type === "charge.refunded")?.data.object).toMatchObject({
      id: paid.body.latest_charge,
      amount_refunded: 400,
      refunded: false,
    });
    await settled(m);
  });

  it("a refund the processor refuses: refund.updated and refund.failed, and no charge.refunded", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const paid = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    const faults = new Faults().set("refund", { kind: "refuse", reason: "declined" });
    const app = createApp({ payments: { processor: faults.factory } });
    const refund = await post(m, "/v1/refunds", { payment_intent: paid.body.id }, { app });
    expect(refund.body.status).toBe("failed");
    expect(await typesFor(m.merchantId, refund.body.id)).toEqual(["refund.created", "refund.updated", "refund.failed"]);
    expect(await typesFor(m.merchantId, paid.body.id)).not.toContain("charge.refunded");
    await settled(m);
  });

  it("a detach emits payment_method.detached once, however often it is repeated, with no card data", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const first = await post(m, `/v1/payment_methods/${pm}/detach`, {});
    expect(first.status).toBe(200);
    const again = await Promise.all(Array.from({ length: 5 }, () => post(m, `/v1/payment_methods/${pm}/detach`, {})));
    for (const r of again) expect(r.body).toMatchObject({ id: pm });
    expect(await typesFor(m.merchantId, pm)).toEqual(["payment_method.detached"]);
    const [event] = await eventsOf(m.merchantId);
    expect(event?.data.object).toMatchObject({ id: pm, object: "payment_method", card: { last4: "4242" } });
    expect(event?.snapshot).not.toMatch(/ciphertext|wrappedKey|internalFingerprint|4242424242424242/);
  });
});

describe("a change and its events land together or not at all", () => {
  it("a batch that fails at its event leaves no change: the capture is not recorded until it can be, then once", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const held = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
      capture_method: "manual",
    });
    const db = await dbOf(m.merchantId);
    // Fault injection at the storage layer: the event insert of this one intent's success fails.
    const trigger = `fail_${held.body.id}`;
    const raw = (db as unknown as { $client: D1Database }).$client;
    await raw
      .prepare(
        `create trigger ${trigger} before insert on events when new.object_id = '${held.body.id}' and new.type = 'payment_intent.succeeded' begin select raise(abort, 'forced event failure'); end`,
      )
      .run();
    try {
      const res = await post(m, `/v1/payment_intents/${held.body.id}/capture`, {});
      expect(res.status).toBeGreaterThanOrEqual(500);
      const types = await typesFor(m.merchantId, held.body.id);
      expect(types).not.toContain("charge.captured");
      expect(types).not.toContain("payment_intent.succeeded");
      const [row] = await raw
        .prepare("select status, amount_received from payment_intents where id = ?")
        .bind(held.body.id)
        .raw();
      // The capture claim landed (processing, its key recorded); its outcome and ledger did not.
      expect(row).toEqual(["processing", 0]);
      const captures = await raw
        .prepare("select count(*) from ledger_entries where source_id = ? and kind = 'capture'")
        .bind(held.body.id)
        .raw();
      expect(captures).toEqual([[0]]);
    } finally {
      await raw.prepare(`drop trigger ${trigger}`).run();
    }
    // Once the event can be written, the same operation's outcome is recorded with its events.
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120 });
    expect((await typesFor(m.merchantId, held.body.id)).slice(-2)).toEqual([
      "charge.captured",
      "payment_intent.succeeded",
    ]);
    await settled(m);
  });

  it("a change that loses its compare-and-swap writes no event", async () => {
    const m = await newMerchant();
    const draft = await post(m, "/v1/payment_intents", { amount: 700, currency: "usd" });
    const results = await Promise.all(
      Array.from({ length: 20 }, () => post(m, `/v1/payment_intents/${draft.body.id}/cancel`, {})),
    );
    expect(results.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    expect(await typesFor(m.merchantId, draft.body.id)).toEqual(["payment_intent.created", "payment_intent.canceled"]);
  });
});

describe("events under concurrency", () => {
  it("dozens of racing captures, cancels and refunds, repeated: every change has exactly its events", async () => {
    for (let loop = 0; loop < 3; loop++) {
      const m = await newMerchant();
      const pm = await paymentMethod(m, VISA);
      const held = await post(m, "/v1/payment_intents", {
        amount: 3000,
        currency: "usd",
        payment_method: pm,
        confirm: "true",
        capture_method: "manual",
      });
      const id = held.body.id;
      const races = await Promise.all(
        Array.from({ length: 24 }, (_, i) =>
          i % 3 === 0
            ? post(m, `/v1/payment_intents/${id}/cancel`, {})
            : post(m, `/v1/payment_intents/${id}/capture`, {}),
        ),
      );
      for (const r of races) expect(r.status).toBeLessThan(500);
      const refunds = await Promise.all(
        Array.from({ length: 24 }, () => post(m, "/v1/refunds", { payment_intent: id, amount: 200 })),
      );
      for (const r of refunds) expect(r.status).toBeLessThan(500);
      await settled(m);
    }
  });
});

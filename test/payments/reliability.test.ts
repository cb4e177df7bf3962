/**
 * Unknown processor outcomes, the slow processor, the 7-day expiry sweep and idempotency keys:
 * no double charge, no lost authorization, exactly-once effects.
 */
import { describe, expect, it } from "vitest";
import { draftIntent, getIntent, insertIntent } from "../../src/db/payment-intents";
import { AUTHORIZATION_TTL_SECONDS } from "../../src/payments/actions";
import { createRefund } from "../../src/payments/refunds";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";
import { newMerchant } from "../helpers/merchants";
import { deps, get, pay, post, processorOps, recordedApp, unbalancedTransactions } from "../helpers/payments";
import { dbOf, sweepAll } from "../helpers/shards";

const now = () => Math.floor(Date.now() / 1000);

describe("unknown outcomes are reconciled with the same processor key", () => {
  it("timeout after processing: processing → retry finds the authorization → capture → succeeded, charged once", async () => {
    const m = await newMerchant();
    const app = recordedApp;
    const first = (await pay(m, EDGEPAY_CARDS.timeoutAfterProcessing, { amount: 2000 }, app)).body;
    expect(first).toMatchObject({ status: "processing", amount_received: 0 });
    expect((await get(m, `/v1/payment_intents/${first.id}`)).body.status).toBe("processing");
    const second = await post(m, `/v1/payment_intents/${first.id}/confirm`, {}, { app });
    // The authorization is found; the capture's first answer is lost too (flaky card).
    expect(second.body).toMatchObject({ status: "processing", amount_capturable: 2000 });
    const third = await post(m, `/v1/payment_intents/${first.id}/confirm`, {}, { app });
    expect(third.body).toMatchObject({ status: "succeeded", amount_received: 2000 });
    expect(await processorOps(`${first.id}_`)).toEqual(["authorize", "capture"]);
    expect((await get(m, "/v1/balance")).body.pending).toEqual([{ amount: 2000, currency: "usd" }]);
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
  });

  it("timeout before processing: the retry is processed once", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, EDGEPAY_CARDS.timeoutBeforeProcessing, { capture_method: "manual" }, recordedApp)).body;
    expect(pi.status).toBe("processing");
    const again = await post(m, `/v1/payment_intents/${pi.id}/confirm`, {}, { app: recordedApp });
    expect(again.body).toMatchObject({ status: "requires_capture", amount_capturable: 1000 });
    expect(await processorOps(`${pi.id}_`)).toEqual(["authorize"]);
  });

  it("the sweep reconciles a stuck authorization, a stuck void and a stuck refund", async () => {
    const m = await newMerchant();
    const held = (await pay(m, EDGEPAY_CARDS.timeoutAfterProcessing, { capture_method: "manual" })).body;
    expect(held.status).toBe("processing");
    await sweepAll({ at: now() + 120 });
    expect((await get(m, `/v1/payment_intents/${held.id}`)).body.status).toBe("requires_capture");
    const voiding = await post(m, `/v1/payment_intents/${held.id}/cancel`);
    expect(voiding.body.status).toBe("processing");
    // A second racing capture cannot slip in while the void is pending.
    expect((await post(m, `/v1/payment_intents/${held.id}/capture`)).body.error.code).toBe(
      "payment_intent_unexpected_state",
    );
    await sweepAll({ at: now() + 120 });
    expect((await get(m, `/v1/payment_intents/${held.id}`)).body).toMatchObject({
      status: "canceled",
      amount_received: 0,
    });

    const paid = (await pay(m, EDGEPAY_CARDS.timeoutAfterProcessing, { amount: 3000 })).body;
    await post(m, `/v1/payment_intents/${paid.id}/confirm`);
    expect((await post(m, `/v1/payment_intents/${paid.id}/confirm`)).body.status).toBe("succeeded");
    const refund = (await post(m, "/v1/refunds", { payment_intent: paid.id, amount: 1000 })).body;
    expect(refund.status).toBe("pending");
    // The pending refund reserves its amount: only 2000 remain refundable.
    expect((await post(m, "/v1/refunds", { payment_intent: paid.id, amount: 2001 })).body.error.code).toBe(
      "amount_too_large",
    );
    await sweepAll({ at: now() + 120 });
    expect((await get(m, `/v1/refunds/${refund.id}`)).body.status).toBe("succeeded");
    // The capture is pending until settled; the refund was taken from the available balance.
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      pending: [{ amount: 3000, currency: "usd" }],
      available: [{ amount: -1000, currency: "usd" }],
      authorized: [{ amount: 0, currency: "usd" }],
      refunded: [{ amount: 1000, currency: "usd" }],
    });
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
  });

  it("the slow processor still answers within the gateway's timeout", async () => {
    const m = await newMerchant();
    expect((await pay(m, EDGEPAY_CARDS.slow)).body).toMatchObject({ status: "succeeded", amount_received: 1000 });
  });
});

describe("authorization expiry", () => {
  it("voids uncaptured authorizations after 7 days, not before", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242", { capture_method: "manual", amount: 700 })).body;
    await sweepAll({ at: now() + AUTHORIZATION_TTL_SECONDS - 60 });
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.status).toBe("requires_capture");
    const swept = await sweepAll({ at: now() + AUTHORIZATION_TTL_SECONDS + 1 });
    expect(swept.expired).toBeGreaterThanOrEqual(1);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "canceled",
      cancellation_reason: "automatic",
      amount_capturable: 0,
    });
    expect((await get(m, "/v1/balance")).body.authorized).toEqual([{ amount: 0, currency: "usd" }]);
    const late = await post(m, `/v1/payment_intents/${pi.id}/capture`);
    expect(late.body.error.code).toBe("payment_intent_unexpected_state");
  });
});

describe("idempotency keys make creates exactly-once", () => {
  it("a second insert with the same key returns the first intent", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const row = draftIntent({
      id: "pi_idem1",
      merchantId: m.merchantId,
      amount: 1000,
      currency: "usd",
      idempotencyKey: "key-1",
      created: now(),
    });
    expect((await insertIntent(db, row, null)).id).toBe("pi_idem1");
    expect((await insertIntent(db, { ...row, id: "pi_idem2" }, null)).id).toBe("pi_idem1");
    expect(await getIntent(db, m.merchantId, "pi_idem2")).toBeUndefined();
    // The key is scoped to the merchant (on whichever shard it lives).
    const other = await newMerchant();
    expect(
      (await insertIntent(await dbOf(other.merchantId), { ...row, id: "pi_idem3", merchantId: other.merchantId }, null))
        .id,
    ).toBe("pi_idem3");
  });

  it("a refund retried with the same key is refunded once", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, "4242424242424242", { amount: 2000 })).body;
    const first = await createRefund(
      deps(await dbOf(m.merchantId)),
      m.merchantId,
      { paymentIntent: pi.id, amount: 500 },
      "refund-key",
    );
    const again = await createRefund(
      deps(await dbOf(m.merchantId)),
      m.merchantId,
      { paymentIntent: pi.id, amount: 500 },
      "refund-key",
    );
    expect(again.id).toBe(first.id);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(500);
    expect((await get(m, "/v1/balance")).body.refunded).toEqual([{ amount: 500, currency: "usd" }]);
  });
});

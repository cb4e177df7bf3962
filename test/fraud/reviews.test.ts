/**
 * Reviews through the real Worker: an elevated-risk payment (Radar's test card 4000000000009235,
 * held by the default `review` rule) authorizes but stops at requires_capture with an open review
 * even with automatic capture; capture is refused until the review is approved (also racing the
 * approval); approving captures an automatic intent and frees a manual one; canceling the intent
 * (or the 7-day expiry) closes the review as canceled; a declined attempt opens no review.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { draftIntent } from "../../src/db/payment-intents";
import { AUTHORIZATION_TTL_SECONDS, createConfirmed } from "../../src/payments/actions";
import { approveReview } from "../../src/radar/reviews";
import { countedDeps, type RoundTrip } from "../helpers/d1-count";
import { eventProblems, eventsOf } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import {
  get,
  ledgerProblems,
  paymentMethod,
  pay as payWith,
  post as postWith,
  processorOps,
  recordedApp,
  unfinished,
} from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { sweepAll } from "../helpers/shards";

const ELEVATED = "4000000000009235";

/** Payments through the Worker's app on the simulator that notes what it approved (`processorOps`). */
const pay = (m: TestMerchant, number: string, fields: Record<string, string> = {}) =>
  payWith(m, number, fields, recordedApp);
const post = (m: TestMerchant, path: string, fields: Record<string, string> = {}) =>
  postWith(m, path, fields, { app: recordedApp });
const ops = async (intentId: string) => processorOps(`${intentId}_`);

/** Pays with the elevated-risk card: the intent, held in review. */
async function held(m: TestMerchant, fields: Record<string, string> = {}) {
  const res = await pay(m, ELEVATED, fields);
  expect(res.status).toBe(200);
  return res.body as { id: string; status: string; review: string; latest_charge: string; amount_capturable: number };
}

async function invariants(m: TestMerchant) {
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
  expect(await unfinished(m.merchantId)).toEqual([]);
  expect(await eventProblems(m.merchantId)).toEqual([]);
}

describe("a review verdict holds the payment", () => {
  it("automatic capture stops at requires_capture with an open review, and review.opened is sent", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    expect(pi).toMatchObject({ status: "requires_capture", amount_capturable: 1000, amount_received: 0 });
    expect(pi.review).toMatch(/^prv_/);
    const review = await get(m, `/v1/reviews/${pi.review}`);
    expect(review.status).toBe(200);
    expect(review.body).toMatchObject({
      id: pi.review,
      object: "review",
      charge: pi.latest_charge,
      payment_intent: pi.id,
      open: true,
      opened_reason: "rule",
      reason: "rule",
      closed_reason: null,
      livemode: false,
    });
    // Only the authorization reached the processor: no capture was chained onto it.
    expect(await ops(pi.id)).toEqual(["authorize"]);
    const events = await eventsOf(m.merchantId);
    const opened = events.filter((e) => e.type === "review.opened");
    expect(opened).toHaveLength(1);
    expect(opened[0]?.data.object).toMatchObject({ id: pi.review, object: "review", open: true });
    const types = events.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["charge.succeeded", "payment_intent.amount_capturable_updated"]));
    expect(types).not.toContain("payment_intent.succeeded");
    await invariants(m);
  });

  it("an ordinary card is not held: automatic capture succeeds and no review exists", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4242424242424242");
    expect(res.body).toMatchObject({ status: "succeeded", review: null });
    expect((await get(m, "/v1/reviews")).body.data).toEqual([]);
  });

  it("a declined attempt opens no review, even when a review rule fires", async () => {
    const m = await newMerchant();
    expect((await post(m, "/v1/radar/rules", { action: "review", predicate: ":amount: > 0" })).status).toBe(200);
    const res = await pay(m, "4000000000000002");
    expect(res.status).toBe(402);
    const pi = (await get(m, `/v1/payment_intents/${res.body.error.payment_intent.id}`)).body;
    expect(pi).toMatchObject({ status: "requires_payment_method", review: null });
    expect((await get(m, "/v1/reviews")).body.data).toEqual([]);
    expect((await eventsOf(m.merchantId)).map((e) => e.type)).not.toContain("review.opened");
    // The same rule holds a card that is approved.
    const ok = await pay(m, "4242424242424242");
    expect(ok.body).toMatchObject({ status: "requires_capture", review: expect.stringMatching(/^prv_/) });
  });
});

describe("capture waits for the approval", () => {
  it("a capture while the review is open is a 400 naming the review, and moves nothing", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    for (const fields of [{}, { amount_to_capture: "500" }] as Record<string, string>[]) {
      const res = await post(m, `/v1/payment_intents/${pi.id}/capture`, fields);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe("payment_intent_unexpected_state");
      expect(res.body.error.message).toContain(pi.review);
    }
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_capture",
      amount_received: 0,
    });
    expect(await ops(pi.id)).toEqual(["authorize"]);
    await invariants(m);
  });

  it("approving an automatic-capture intent captures it: succeeded, review closed approved, review.closed", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    const res = await post(m, `/v1/reviews/${pi.review}/approve`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: pi.review, open: false, reason: "approved", closed_reason: "approved" });
    expect((await get(m, `/v1/reviews/${pi.review}`)).body).toMatchObject({ open: false, closed_reason: "approved" });
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "succeeded",
      amount_received: 1000,
      amount_capturable: 0,
      review: null,
    });
    const types = (await eventsOf(m.merchantId)).map((e) => e.type);
    expect(types.filter((t) => t === "review.closed")).toHaveLength(1);
    expect(types).toEqual(expect.arrayContaining(["charge.captured", "payment_intent.succeeded"]));
    const closed = (await eventsOf(m.merchantId)).find((e) => e.type === "review.closed");
    expect(closed?.data.object).toMatchObject({ id: pi.review, open: false, closed_reason: "approved" });
    // A second approval is refused, and captures nothing more.
    const again = await post(m, `/v1/reviews/${pi.review}/approve`);
    expect(again.status).toBe(400);
    expect(again.body.error).toMatchObject({ code: "review_unexpected_state", param: "id" });
    expect(await ops(pi.id)).toEqual(["authorize", "capture"]);
    await invariants(m);
  });

  it("an approval whose capture crashes stands: the intent is left processing with the claimed capture, and the sweep finishes it", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    for (const kind of ["crash_after", "lose_request"] as const) {
      const faults = new Faults().set("capture", { kind });
      const app = createApp({ payments: { processor: faults.factory } });
      const res = await postWith(m, `/v1/reviews/${pi.review}/approve`, {}, { app });
      if (kind === "crash_after") {
        // The approval's batch claimed the capture: whatever the capture did, the review is approved.
        expect(res.status).toBe(200);
        expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
          status: "processing",
          review: null,
        });
      } else {
        // Already approved by the first attempt.
        expect(res.status).toBe(400);
      }
    }
    expect((await get(m, `/v1/reviews/${pi.review}`)).body).toMatchObject({ open: false, closed_reason: "approved" });
    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120 });
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "succeeded",
      amount_received: 1000,
    });
    expect(await ops(pi.id)).toEqual(["authorize", "capture"]);
    await invariants(m);
  });

  it("the approval's own batch claims the automatic capture: no crash window leaves an approved review uncaptured", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    const log: RoundTrip[] = [];
    await approveReview(await countedDeps(log, m.merchantId), m.merchantId, pi.review);
    const batches = log.filter((t) => t.kind === "batch");
    // One batch closes the review and claims the capture; the next records the capture's outcome.
    expect(batches).toHaveLength(2);
    expect(batches[0]?.sql.some((q) => q.startsWith('update "reviews"'))).toBe(true);
    expect(batches[0]?.sql.some((q) => q.startsWith('update "payment_intents"'))).toBe(true);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({ status: "succeeded" });
    await invariants(m);
  });

  it("an approval whose capture the processor refuses stands, and leaves the intent capturable", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    const faults = new Faults().set("capture", { kind: "refuse", reason: "declined" });
    const app = createApp({ payments: { processor: faults.factory } });
    expect((await postWith(m, `/v1/reviews/${pi.review}/approve`, {}, { app })).status).toBe(200);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_capture",
      review: null,
      amount_capturable: 1000,
    });
    const captured = await post(m, `/v1/payment_intents/${pi.id}/capture`);
    expect(captured.body).toMatchObject({ status: "succeeded", amount_received: 1000 });
    await invariants(m);
  });

  it("approving a manual-capture intent leaves it capturable; the capture then succeeds", async () => {
    const m = await newMerchant();
    const pi = await held(m, { capture_method: "manual" });
    expect(pi.review).toMatch(/^prv_/);
    expect((await post(m, `/v1/reviews/${pi.review}/approve`)).status).toBe(200);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "requires_capture",
      amount_capturable: 1000,
      review: null,
    });
    const captured = await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: "600" });
    expect(captured.body).toMatchObject({ status: "succeeded", amount_received: 600 });
    await invariants(m);
  });

  it("10 parallel captures racing 1 approval: the money is captured exactly once", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const pi = await held(m);
    const captures = Array.from({ length: 10 }, () => post(m, `/v1/payment_intents/${pi.id}/capture`));
    const [approve, ...results] = await Promise.all([post(m, `/v1/reviews/${pi.review}/approve`), ...captures]);
    expect(approve.status).toBe(200);
    for (const r of results) {
      // Before the approval: refused (held); after it: the one capture's result.
      if (r.status === 200) expect(r.body).toMatchObject({ status: "succeeded", amount_received: 1000 });
      else expect(r.body.error.code).toMatch(/^(payment_intent_unexpected_state|lock_timeout)$/);
    }
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "succeeded",
      amount_received: 1000,
    });
    expect(await ops(pi.id)).toEqual(["authorize", "capture"]);
    await invariants(m);
  });
});

describe("a refused review cancels the payment", () => {
  it("canceling the intent voids the hold and closes its review as canceled", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    const res = await post(m, `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: "fraudulent" });
    expect(res.body).toMatchObject({ status: "canceled", cancellation_reason: "fraudulent", review: null });
    expect((await get(m, `/v1/reviews/${pi.review}`)).body).toMatchObject({
      open: false,
      reason: "canceled",
      closed_reason: "canceled",
    });
    const types = (await eventsOf(m.merchantId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["review.opened", "review.closed", "payment_intent.canceled"]));
    const approve = await post(m, `/v1/reviews/${pi.review}/approve`);
    expect(approve.body.error).toMatchObject({ code: "review_unexpected_state" });
    expect(await ops(pi.id)).toEqual(["authorize", "void"]);
    await invariants(m);
  });

  it("an approval racing a cancel: the review closes once, as whichever won, and the money moves once", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    for (let round = 0; round < 3; round++) {
      const pi = await held(m);
      const [approve, cancel] = await Promise.all([
        post(m, `/v1/reviews/${pi.review}/approve`),
        post(m, `/v1/payment_intents/${pi.id}/cancel`),
      ]);
      const review = (await get(m, `/v1/reviews/${pi.review}`)).body;
      const intent = (await get(m, `/v1/payment_intents/${pi.id}`)).body;
      expect(review.open).toBe(false);
      expect(intent.review).toBeNull();
      if (review.closed_reason === "approved") {
        expect(approve.status).toBe(200);
        // The capture and the void raced too: one of them happened.
        expect(["succeeded", "canceled"]).toContain(intent.status);
      } else {
        expect(review.closed_reason).toBe("canceled");
        expect(cancel.status).toBe(200);
        expect(intent.status).toBe("canceled");
        expect(approve.status).toBe(400);
      }
      const closedEvents = (await eventsOf(m.merchantId)).filter(
        (e) => e.type === "review.closed" && e.objectId === pi.review,
      );
      expect(closedEvents).toHaveLength(1);
      expect((await ops(pi.id)).filter((op) => op !== "authorize")).toHaveLength(1);
    }
    await invariants(m);
  });

  it("the 7-day expiry sweep cancels a held intent and closes its review", async () => {
    const m = await newMerchant();
    const pi = await held(m);
    await sweepAll({ at: Math.floor(Date.now() / 1000) + AUTHORIZATION_TTL_SECONDS + 60 });
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      status: "canceled",
      cancellation_reason: "automatic",
      review: null,
    });
    expect((await get(m, `/v1/reviews/${pi.review}`)).body).toMatchObject({ open: false, closed_reason: "canceled" });
    await invariants(m);
  });
});

describe("round trips", () => {
  it("a held authorization costs exactly the D1 round trips of an ordinary one: the review rides in the outcome batch", async () => {
    const m = await newMerchant();
    const trips = async (number: string) => {
      const log: RoundTrip[] = [];
      const draft = draftIntent({
        merchantId: m.merchantId,
        amount: 1000,
        currency: "usd",
        captureMethod: "automatic",
      });
      const row = await createConfirmed(await countedDeps(log, m.merchantId), draft, await paymentMethod(m, number));
      return { row, kinds: log.map((t) => t.kind) };
    };
    const ordinary = await trips("4242424242424242");
    const reviewed = await trips(ELEVATED);
    expect(ordinary.row.status).toBe("succeeded");
    expect(reviewed.row).toMatchObject({ status: "requires_capture", review: expect.stringMatching(/^prv_/) });
    expect(reviewed.kinds).toEqual(ordinary.kinds);
    await invariants(m);
  });
});

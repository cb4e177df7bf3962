/** The PaymentIntent life cycle with real cards from the vault and the built-in simulator. */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { cardToken, get, pay, paymentMethod, post, unbalancedTransactions } from "../helpers/payments";

const VISA = "4242424242424242";

describe("automatic capture", () => {
  it.each([VISA, "5555555555554444", "378282246310005"])("card %s succeeds in one call", async (number) => {
    const m = await newMerchant();
    const { status, body } = await pay(m, number, { amount: 2500 });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      status: "succeeded",
      amount_received: 2500,
      amount_capturable: 0,
      last_payment_error: null,
    });
    expect(body.latest_charge).toMatch(/^ch_/);
    const balance = (await get(m, "/v1/balance")).body;
    expect(balance.pending).toEqual([{ amount: 2500, currency: "usd" }]);
    expect(balance.authorized).toEqual([{ amount: 0, currency: "usd" }]);
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
  });

  it("confirms an intent created with a payment method (requires_confirmation → succeeded)", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm })).body;
    expect(pi).toMatchObject({ status: "requires_confirmation", payment_method: pm });
    const done = await post(m, `/v1/payment_intents/${pi.id}/confirm`);
    expect(done.body).toMatchObject({ status: "succeeded", amount_received: 1000 });
    const again = await post(m, `/v1/payment_intents/${pi.id}/confirm`);
    expect([again.status, again.body.error.code]).toEqual([400, "payment_intent_unexpected_state"]);
  });

  it("cancels from requires_confirmation; a processing intent finishes its operation before anything else", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const pi = (await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm })).body;
    expect(
      (await post(m, `/v1/payment_intents/${pi.id}/cancel`, { cancellation_reason: "duplicate" })).body,
    ).toMatchObject({
      status: "canceled",
      cancellation_reason: "duplicate",
    });
    // A processing intent's amount cannot change; a cancel first finishes the pending authorization
    // with its own key (the timeout card answers the retry), then voids it: nothing is left pending.
    const stuck = (await pay(m, "4000000000007080", { capture_method: "manual" })).body;
    expect(stuck.status).toBe("processing");
    expect((await post(m, `/v1/payment_intents/${stuck.id}`, { amount: 5000 })).body.error.code).toBe(
      "payment_intent_unexpected_state",
    );
    // The void's first answer is lost too (timeout card): processing, then the retry finishes it.
    expect((await post(m, `/v1/payment_intents/${stuck.id}/cancel`)).body.status).toBe("processing");
    // A capture finishes the pending void first (with its key), then is refused by the final state.
    const capture = await post(m, `/v1/payment_intents/${stuck.id}/capture`);
    expect([capture.status, capture.body.error.message]).toEqual([
      400,
      "You cannot capture this PaymentIntent because it has a status of canceled.",
    ]);
    expect((await get(m, `/v1/payment_intents/${stuck.id}`)).body.status).toBe("canceled");
  });

  it("a token is single use: it pays once, then is a 404 on payment_method", async () => {
    const m = await newMerchant();
    const tok = await cardToken(m, VISA);
    const first = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: tok,
      confirm: "true",
    });
    expect(first.body.status).toBe("succeeded");
    expect(first.body.payment_method).toMatch(/^pm_/);
    const second = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: tok,
      confirm: "true",
    });
    expect([second.status, second.body.error.code, second.body.error.param]).toEqual([
      404,
      "resource_missing",
      "payment_method",
    ]);
  });

  it("another merchant's payment method cannot be used", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pm = await paymentMethod(a, VISA);
    const res = await post(b, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect([res.status, res.body.error.code]).toEqual([404, "resource_missing"]);
  });
});

describe("declines", () => {
  it.each([
    ["4000000000000002", "card_declined", "generic_decline"],
    ["4000000000009995", "card_declined", "insufficient_funds"],
    ["4000000000009987", "card_declined", "lost_card"],
    ["4000000000009979", "card_declined", "stolen_card"],
    ["4000000000000069", "expired_card", "expired_card"],
    ["4000000000000127", "incorrect_cvc", "incorrect_cvc"],
    ["4000000000000119", "processing_error", "processing_error"],
    ["4100000000000019", "card_declined", "fraudulent"],
  ])("%s → 402 %s / %s, then another card can pay", async (number, code, declineCode) => {
    const m = await newMerchant();
    const res = await pay(m, number);
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ type: "card_error", code, decline_code: declineCode });
    const id = res.body.error.payment_intent.id;
    const pi = (await get(m, `/v1/payment_intents/${id}`)).body;
    expect(pi).toMatchObject({ status: "requires_payment_method", payment_method: null, amount_received: 0 });
    expect(pi.last_payment_error).toMatchObject({ type: "card_error", code, decline_code: declineCode });
    expect(JSON.stringify(pi)).not.toContain(number);
    const retry = await post(m, `/v1/payment_intents/${id}/confirm`, { payment_method: await paymentMethod(m, VISA) });
    expect(retry.body).toMatchObject({ status: "succeeded", last_payment_error: null });
    expect((await get(m, "/v1/balance")).body.pending).toEqual([{ amount: 1000, currency: "usd" }]);
  });

  it("4242424242424241 (fails Luhn) never reaches the processor: the vault refuses it", async () => {
    const m = await newMerchant();
    await expect(paymentMethod(m, "4242424242424241")).rejects.toThrow("incorrect_number");
  });
});

describe("manual capture", () => {
  it("authorizes, then a partial capture releases the rest", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { capture_method: "manual", amount: 5000 })).body;
    expect(pi).toMatchObject({ status: "requires_capture", amount_capturable: 5000, amount_received: 0 });
    expect((await get(m, "/v1/balance")).body.authorized).toEqual([{ amount: 5000, currency: "usd" }]);
    const over = await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 5001 });
    expect([over.status, over.body.error.code, over.body.error.param]).toEqual([
      400,
      "amount_too_large",
      "amount_to_capture",
    ]);
    const done = await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 3000 });
    expect(done.body).toMatchObject({ status: "succeeded", amount_received: 3000, amount_capturable: 0 });
    const balance = (await get(m, "/v1/balance")).body;
    expect(balance).toMatchObject({
      pending: [{ amount: 3000, currency: "usd" }],
      authorized: [{ amount: 0, currency: "usd" }],
    });
    const cancel = await post(m, `/v1/payment_intents/${pi.id}/cancel`);
    expect([cancel.status, cancel.body.error.code]).toEqual([400, "payment_intent_unexpected_state"]);
    const capture = await post(m, `/v1/payment_intents/${pi.id}/capture`);
    expect([capture.status, capture.body.error.code]).toEqual([400, "payment_intent_unexpected_state"]);
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
  });

  it("cancel from requires_capture voids the authorization and releases the hold", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { capture_method: "manual" })).body;
    const canceled = await post(m, `/v1/payment_intents/${pi.id}/cancel`, {
      cancellation_reason: "requested_by_customer",
    });
    expect(canceled.body).toMatchObject({
      status: "canceled",
      amount_capturable: 0,
      cancellation_reason: "requested_by_customer",
    });
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      pending: [{ amount: 0, currency: "usd" }],
      authorized: [{ amount: 0, currency: "usd" }],
    });
  });

  it("two captures racing on one intent capture once", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { capture_method: "manual", amount: 4000 })).body;
    const results = await Promise.all([
      post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 3000 }),
      post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 2000 }),
    ]);
    const won = results.filter((r) => r.status === 200);
    expect(won).toHaveLength(1);
    expect(results.find((r) => r.status !== 200)?.body.error.code).toBe("payment_intent_unexpected_state");
    const final = (await get(m, `/v1/payment_intents/${pi.id}`)).body;
    expect(final.amount_received).toBe(won[0]?.body.amount_received);
    expect((await get(m, "/v1/balance")).body.pending).toEqual([{ amount: final.amount_received, currency: "usd" }]);
  });
});

describe("currencies", () => {
  it("zero-decimal jpy and three-decimal kwd go through capture with their own rules", async () => {
    const m = await newMerchant();
    const jpy = (await pay(m, VISA, { amount: 1, currency: "jpy" })).body;
    expect(jpy).toMatchObject({ status: "succeeded", amount_received: 1, currency: "jpy" });
    const kwd = (await pay(m, VISA, { amount: 1230, currency: "kwd", capture_method: "manual" })).body;
    const odd = await post(m, `/v1/payment_intents/${kwd.id}/capture`, { amount_to_capture: 1005 });
    expect([odd.status, odd.body.error.param]).toEqual([400, "amount_to_capture"]);
    const part = await post(m, `/v1/payment_intents/${kwd.id}/capture`, { amount_to_capture: 1000 });
    expect(part.body).toMatchObject({ status: "succeeded", amount_received: 1000 });
    expect((await get(m, "/v1/balance")).body.pending).toEqual([
      { amount: 1, currency: "jpy" },
      { amount: 1000, currency: "kwd" },
    ]);
  });

  it("isk moves in whole krónur (multiples of 100) through charge, capture and refund", async () => {
    const m = await newMerchant();
    const isk = (await pay(m, VISA, { amount: 1000, currency: "isk", capture_method: "manual" })).body;
    expect(isk).toMatchObject({ status: "requires_capture", amount_capturable: 1000, currency: "isk" });
    const odd = await post(m, `/v1/payment_intents/${isk.id}/capture`, { amount_to_capture: 950 });
    expect([odd.status, odd.body.error.code, odd.body.error.param]).toEqual([
      400,
      "parameter_invalid",
      "amount_to_capture",
    ]);
    expect(odd.body.error.message).toBe("Amounts in isk must be a multiple of 100 (minor units).");
    const part = await post(m, `/v1/payment_intents/${isk.id}/capture`, { amount_to_capture: 900 });
    expect(part.body).toMatchObject({ status: "succeeded", amount_received: 900 });
    const fraction = await post(m, "/v1/refunds", { payment_intent: isk.id, amount: 50 });
    expect([fraction.status, fraction.body.error.code, fraction.body.error.param]).toEqual([
      400,
      "parameter_invalid",
      "amount",
    ]);
    expect((await post(m, "/v1/refunds", { payment_intent: isk.id, amount: 100 })).body.status).toBe("succeeded");
  });
});

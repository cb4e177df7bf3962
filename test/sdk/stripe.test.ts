/**
 * The official stripe SDK as a client of edgepay, inside workerd: form bodies, Idempotency-Key
 * headers, Stripe's error classes. Requests go through the real Worker entry.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";

let stripe: Stripe;
/** Method, content type and Idempotency-Key of every request the SDK sent, to check its wire format. */
const sent: { method: string; type: string | null; key: string | null }[] = [];

function client(token: string): Stripe {
  return new Stripe(token, {
    httpClient: Stripe.createFetchHttpClient((url, init) => {
      const req = new Request(url, init);
      sent.push({ method: req.method, type: req.headers.get("content-type"), key: req.headers.get("idempotency-key") });
      return exports.default.fetch(req);
    }),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
}

async function card(number: string): Promise<string> {
  const pm = await stripe.paymentMethods.create({
    type: "card",
    card: { number, exp_month: 12, exp_year: 2040, cvc: "123" },
  });
  return pm.id;
}

beforeAll(async () => {
  stripe = client((await newMerchant()).token);
});

describe("stripe SDK against edgepay", () => {
  it("creates and confirms in one call, retrieves and lists", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      payment_method: await card("4242424242424242"),
      confirm: true,
      metadata: { order: "42" },
    });
    expect(pi).toMatchObject({
      object: "payment_intent",
      status: "succeeded",
      amount_received: 2000,
      metadata: { order: "42" },
    });
    expect(pi.lastResponse.requestId).toMatch(/^req_/);
    const got = await stripe.paymentIntents.retrieve(pi.id);
    expect(got.id).toBe(pi.id);
    const page = await stripe.paymentIntents.list({ limit: 1 });
    expect(page.object).toBe("list");
    expect(page.data[0]?.id).toBe(pi.id);
  });

  it("manual capture, partial capture, several refunds", async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 5000,
      currency: "eur",
      capture_method: "manual",
      payment_method: await card("5555555555554444"),
    });
    expect(pi.status).toBe("requires_confirmation");
    const confirmed = await stripe.paymentIntents.confirm(pi.id);
    expect(confirmed).toMatchObject({ status: "requires_capture", amount_capturable: 5000 });
    const captured = await stripe.paymentIntents.capture(pi.id, { amount_to_capture: 3000 });
    expect(captured).toMatchObject({ status: "succeeded", amount_received: 3000 });
    const r1 = await stripe.refunds.create({ payment_intent: pi.id, amount: 1000, reason: "requested_by_customer" });
    const r2 = await stripe.refunds.create({ payment_intent: pi.id });
    expect([r1.status, r1.amount, r2.amount]).toEqual(["succeeded", 1000, 2000]);
    expect((await stripe.refunds.retrieve(r1.id)).amount).toBe(1000);
    const refunds = await stripe.refunds.list({ payment_intent: pi.id });
    expect(refunds.data.map((r) => r.id).sort()).toEqual([r1.id, r2.id].sort());
    await expect(stripe.refunds.create({ payment_intent: pi.id, amount: 1 })).rejects.toMatchObject({
      type: "StripeInvalidRequestError",
      code: "charge_already_refunded",
    });
  });

  it("cancels with a reason, and a wrong state is an InvalidRequestError", async () => {
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: "jpy" });
    const canceled = await stripe.paymentIntents.cancel(pi.id, { cancellation_reason: "abandoned" });
    expect(canceled).toMatchObject({ status: "canceled", cancellation_reason: "abandoned" });
    const err = await stripe.paymentIntents.capture(pi.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).code).toBe("payment_intent_unexpected_state");
  });

  it("a decline is a CardError with the decline_code", async () => {
    const err = await stripe.paymentIntents
      .create({ amount: 1000, currency: "usd", payment_method: await card("4000000000009995"), confirm: true })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ code: "card_declined", decline_code: "insufficient_funds", statusCode: 402 });
  });

  it("sent form bodies with an Idempotency-Key on every POST", () => {
    const posts = sent.filter((r) => r.method === "POST");
    expect(posts.length).toBeGreaterThan(5);
    for (const r of posts) {
      expect(r.type).toContain("application/x-www-form-urlencoded");
      expect(r.key).toMatch(/^stripe-node-retry-/);
    }
  });

  it("a missing scope is a PermissionError and a bad token an AuthenticationError", async () => {
    const reader = client((await newMerchant({ scopes: ["payments:read"] })).token);
    await expect(reader.paymentIntents.create({ amount: 1000, currency: "usd" })).rejects.toBeInstanceOf(
      Stripe.errors.StripePermissionError,
    );
    await expect(client("not-a-token").paymentIntents.list()).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
  });
});

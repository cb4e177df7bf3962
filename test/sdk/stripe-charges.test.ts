/**
 * The official stripe SDK reading charges and refunding by charge: `charges.retrieve` of an
 * intent's `latest_charge`, `charges.list` with filters and auto-pagination, `refunds.create({charge})`.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";

function client(token: string): Stripe {
  return new Stripe(token, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
}

describe("stripe SDK: charges", () => {
  it("retrieves and lists charges, pages through them, and refunds by charge", async () => {
    const stripe = client((await newMerchant({ rateLimit: 1000 })).token);
    const card = async (number: string) =>
      (
        await stripe.paymentMethods.create({
          type: "card",
          card: { number, exp_month: 12, exp_year: 2040, cvc: "123" },
        })
      ).id;
    const pi = await stripe.paymentIntents.create({ amount: 2000, currency: "usd" });
    await expect(
      stripe.paymentIntents.confirm(pi.id, { payment_method: await card("4000000000000002") }),
    ).rejects.toThrow(Stripe.errors.StripeCardError);
    const paid = await stripe.paymentIntents.confirm(pi.id, { payment_method: await card("4242424242424242") });
    const charge = await stripe.charges.retrieve(paid.latest_charge as string);
    expect(charge).toMatchObject({
      object: "charge",
      status: "succeeded",
      amount_captured: 2000,
      payment_intent: pi.id,
    });
    expect(charge.payment_method_details?.card?.last4).toBe("4242");

    const ofIntent = await stripe.charges.list({ payment_intent: pi.id });
    expect(ofIntent.data.map((c) => c.status).sort()).toEqual(["failed", "succeeded"]);
    for (let i = 0; i < 3; i++) {
      await stripe.paymentIntents.create({
        amount: 500,
        currency: "usd",
        payment_method: await card("4242424242424242"),
        confirm: true,
      });
    }
    const seen: string[] = [];
    for await (const c of stripe.charges.list({ limit: 2, created: { gte: charge.created - 60 } })) seen.push(c.id);
    expect(seen).toHaveLength(5);
    expect(new Set(seen).size).toBe(5);

    const refund = await stripe.refunds.create({ charge: charge.id, amount: 700 });
    expect(refund).toMatchObject({ object: "refund", status: "succeeded", charge: charge.id, payment_intent: pi.id });
    expect((await stripe.charges.retrieve(charge.id)).amount_refunded).toBe(700);
    await expect(stripe.charges.retrieve("ch_MissingMissingMissing12")).rejects.toThrow(
      Stripe.errors.StripeInvalidRequestError,
    );
  });
});

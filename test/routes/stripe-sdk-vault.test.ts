/** The official stripe SDK tokenizes, retrieves and detaches cards against edgepay unchanged. */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { CARDS } from "../helpers/cards";
import { newMerchant } from "../helpers/merchants";

/** A stripe client whose HTTP goes to the Worker under test instead of the network. */
function stripeFor(token: string): Stripe {
  const httpClient = Stripe.createFetchHttpClient((input: RequestInfo | URL, init?: RequestInit) =>
    exports.default.fetch(new Request(input, init)),
  );
  return new Stripe(token, { host: "127.0.0.1", port: 8787, protocol: "http", httpClient, maxNetworkRetries: 0 });
}

describe("stripe SDK", () => {
  it("creates, retrieves and detaches a payment method, and creates and retrieves a token", async () => {
    const m = await newMerchant();
    const stripe = stripeFor(m.token);
    const card = { number: CARDS.mastercard2.number, exp_month: 9, exp_year: 2041, cvc: CARDS.mastercard2.cvc };
    const pm = await stripe.paymentMethods.create({ type: "card", card, metadata: { order: "7" } });
    expect(pm).toMatchObject({ object: "payment_method", card: { brand: "mastercard", last4: "3222" } });
    expect(pm.metadata).toEqual({ order: "7" });
    expect((await stripe.paymentMethods.retrieve(pm.id)).id).toBe(pm.id);
    expect((await stripe.paymentMethods.detach(pm.id)).id).toBe(pm.id);

    const token = await stripe.tokens.create({ card: { ...card, exp_month: "9", exp_year: "2041" } });
    expect(token).toMatchObject({ object: "token", type: "card", used: false, card: { brand: "MasterCard" } });
    expect((await stripe.tokens.retrieve(token.id)).id).toBe(token.id);
  });

  it("surfaces validation failures as StripeCardError with code and param", async () => {
    const m = await newMerchant();
    const err = await stripeFor(m.token)
      .paymentMethods.create({ type: "card", card: { number: "4242424242424241", exp_month: 1, exp_year: 2040 } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(err).toMatchObject({ code: "incorrect_number", param: "card[number]", statusCode: 402 });
  });

  it("surfaces another merchant's id as StripeInvalidRequestError resource_missing", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pm = await stripeFor(a.token).paymentMethods.create({
      type: "card",
      card: { number: CARDS.visa.number, exp_month: 1, exp_year: 2040 },
    });
    const err = await stripeFor(b.token)
      .paymentMethods.retrieve(pm.id)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ code: "resource_missing", statusCode: 404 });
  });
});

/**
 * The official stripe SDK against Checkout Sessions: `checkout.sessions.create` with `line_items`
 * (`price_data`), `retrieve` with `expand`, `list` with a filter, `listLineItems` and `expire`.
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

describe("stripe SDK: checkout sessions", () => {
  it("creates, retrieves, lists, lists line items and expires a session", async () => {
    const m = await newMerchant();
    const stripe = client(m.token);
    const cs = await stripe.checkout.sessions.create({
      mode: "payment",
      line_items: [{ price_data: { currency: "eur", unit_amount: 1250, product_data: { name: "Mug" } }, quantity: 2 }],
      currency: "eur",
      success_url: "https://shop.example/ok?cs={CHECKOUT_SESSION_ID}",
      payment_intent_data: { capture_method: "manual" },
      metadata: { cart: "7" },
    });
    expect(cs).toMatchObject({
      object: "checkout.session",
      amount_total: 2500,
      status: "open",
      payment_status: "unpaid",
    });
    const expanded = await stripe.checkout.sessions.retrieve(cs.id, { expand: ["payment_intent"] });
    expect((expanded.payment_intent as Stripe.PaymentIntent).capture_method).toBe("manual");
    const items = await stripe.checkout.sessions.listLineItems(cs.id);
    expect(items.data.map((i) => [i.description, i.quantity, i.amount_total])).toEqual([["Mug", 2, 2500]]);
    expect((await stripe.checkout.sessions.list({ status: "open" })).data.map((s) => s.id)).toEqual([cs.id]);
    const expired = await stripe.checkout.sessions.expire(cs.id);
    expect([expired.status, expired.url]).toEqual(["expired", null]);
    const err = await stripe.checkout.sessions.expire(cs.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect((err as Stripe.errors.StripeError).code).toBe("checkout_session_unexpected_state");
  });
});

/**
 * A typical Stripe integration, end to end, with the official SDK built from an `sk_test_` key and
 * nothing changed but the host: a customer, a saved card, a first payment with Stripe's test
 * payment method `pm_card_visa`, a later payment off-session with the saved card, the charge
 * expanded and retrieved, a refund by charge, lists with every `created` operator, and
 * auto-pagination of customers and charges.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { newMerchant } from "../helpers/merchants";

let stripe: Stripe;

beforeAll(async () => {
  const m = await newMerchant();
  const sk = await newKey(m.merchantId, "secret");
  expect(sk.secret).toMatch(/^sk_test_/);
  stripe = new Stripe(sk.secret, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
});

/** The charge of an expanded `latest_charge` (fails the test when it came back as an id). */
function expandedCharge(pi: Stripe.PaymentIntent): Stripe.Charge {
  const charge = pi.latest_charge;
  if (charge === null || typeof charge === "string") throw new Error(`latest_charge not expanded: ${charge}`);
  return charge;
}

describe("a typical integration through the stripe SDK", () => {
  it("customer, saved card, on- and off-session payments, expand, charges, refund by charge", async () => {
    const customer = await stripe.customers.create({ email: "jenny@example.com", name: "Jenny Rosen" });
    expect(customer.id).toMatch(/^cus_/);

    // A card saved to the customer, then charged later without the customer present (no CVC).
    const saved = await stripe.paymentMethods.create({
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "123" },
    });
    await stripe.paymentMethods.attach(saved.id, { customer: customer.id });
    const cards = await stripe.customers.listPaymentMethods(customer.id, { type: "card" });
    expect(cards.data.map((c) => c.id)).toEqual([saved.id]);

    // First payment: Stripe's test payment method, charge expanded in the create answer.
    const first = await stripe.paymentIntents.create({
      amount: 2000,
      currency: "usd",
      customer: customer.id,
      payment_method: "pm_card_visa",
      confirm: true,
      expand: ["latest_charge"],
    });
    expect(first).toMatchObject({ status: "succeeded", customer: customer.id });
    const firstCharge = expandedCharge(first);
    expect(firstCharge).toMatchObject({ object: "charge", amount: 2000, paid: true, captured: true });
    expect(firstCharge.payment_method_details?.card?.last4).toBe("4242");

    // Later, off-session, with the saved card.
    const later = await stripe.paymentIntents.create({
      amount: 1500,
      currency: "usd",
      customer: customer.id,
      payment_method: saved.id,
      off_session: true,
      confirm: true,
    });
    expect(later).toMatchObject({ status: "succeeded", amount_received: 1500, customer: customer.id });
    const retrieved = await stripe.paymentIntents.retrieve(later.id, { expand: ["latest_charge"] });
    const laterCharge = expandedCharge(retrieved);

    const charge = await stripe.charges.retrieve(laterCharge.id);
    expect(charge).toMatchObject({ id: laterCharge.id, payment_intent: later.id, customer: customer.id, amount: 1500 });

    // Refund by charge.
    const refund = await stripe.refunds.create({ charge: charge.id, amount: 500 });
    expect(refund).toMatchObject({ status: "succeeded", amount: 500, charge: charge.id, payment_intent: later.id });
    const afterRefund = await stripe.charges.retrieve(charge.id);
    expect(afterRefund).toMatchObject({ amount_refunded: 500, refunded: false });

    // The customer's charges, and charges by intent.
    const mine = await stripe.charges.list({ customer: customer.id });
    expect(mine.data.map((c) => c.id).sort()).toEqual([firstCharge.id, charge.id].sort());
    const ofIntent = await stripe.charges.list({ payment_intent: later.id });
    expect(ofIntent.data.map((c) => c.id)).toEqual([charge.id]);
  });

  it("lists with every created operator", async () => {
    const customer = await stripe.customers.create({ email: "created@example.com" });
    const at = customer.created;
    const ids = async (created: Stripe.RangeQueryParam | number) =>
      (await stripe.customers.list({ created, limit: 100 })).data.map((c) => c.id);
    expect(await ids(at)).toContain(customer.id);
    expect(await ids({ gte: at })).toContain(customer.id);
    expect(await ids({ lte: at })).toContain(customer.id);
    expect(await ids({ gt: at })).not.toContain(customer.id);
    expect(await ids({ lt: at })).not.toContain(customer.id);
    const charges = async (created: Stripe.RangeQueryParam | number) =>
      (await stripe.charges.list({ created, limit: 100 })).data.length;
    expect(await charges({ gt: at + 3600 })).toBe(0);
    expect(await charges({ lt: at + 3600, gte: 0 })).toBeGreaterThan(0);
    const intents = await stripe.paymentIntents.list({ created: { gte: at - 3600, lte: at + 3600 } });
    expect(intents.object).toBe("list");
  });

  it("auto-paginates customers and charges", async () => {
    const made = new Set<string>();
    for (let i = 0; i < 5; i++) made.add((await stripe.customers.create({ email: `page${i}@example.com` })).id);
    const seen: string[] = [];
    for await (const c of stripe.customers.list({ limit: 2 })) seen.push(c.id);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of made) expect(seen).toContain(id);

    for (let i = 0; i < 3; i++) {
      await stripe.paymentIntents.create({
        amount: 100 + i,
        currency: "usd",
        payment_method: "pm_card_visa",
        confirm: true,
      });
    }
    const charges: string[] = [];
    for await (const c of stripe.charges.list({ limit: 2 })) charges.push(c.id);
    expect(new Set(charges).size).toBe(charges.length);
    expect(charges.length).toBeGreaterThanOrEqual(5);
  });
});

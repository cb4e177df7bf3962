/**
 * The official stripe SDK with `expand`: it sends `expand[0]=…` in the query of a retrieve or list
 * and in the form body of a create, confirm or refund, and gets objects back where it asked.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { newKey } from "../helpers/api-keys";
import { newMerchant } from "../helpers/merchants";

let stripe: Stripe;
beforeAll(async () => {
  const m = await newMerchant();
  stripe = new Stripe((await newKey(m.merchantId, "secret")).secret, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
});

const card = { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "123" };

describe("stripe SDK expand", () => {
  it("paymentIntents.create and retrieve with expand: ['latest_charge'] return the charge object", async () => {
    const pm = await stripe.paymentMethods.create({ type: "card", card });
    const pi = await stripe.paymentIntents.create({
      amount: 2500,
      currency: "usd",
      payment_method: pm.id,
      confirm: true,
      expand: ["latest_charge", "payment_method"],
    });
    const charge = pi.latest_charge as Stripe.Charge;
    expect(charge).toMatchObject({ object: "charge", amount: 2500, payment_intent: pi.id, paid: true });
    expect((pi.payment_method as Stripe.PaymentMethod).card?.last4).toBe("4242");

    const again = await stripe.paymentIntents.retrieve(pi.id, { expand: ["latest_charge"] });
    expect((again.latest_charge as Stripe.Charge).id).toBe(charge.id);
    expect(again.payment_method).toBe(pm.id);
    expect(typeof (await stripe.paymentIntents.retrieve(pi.id)).latest_charge).toBe("string");
  });

  it("confirm, list and refunds.create expand too; an unknown path is an InvalidRequestError naming expand[0]", async () => {
    const pm = await stripe.paymentMethods.create({ type: "card", card });
    const open = await stripe.paymentIntents.create({ amount: 900, currency: "usd", payment_method: pm.id });
    const confirmed = await stripe.paymentIntents.confirm(open.id, { expand: ["latest_charge.payment_intent"] });
    const charge = confirmed.latest_charge as Stripe.Charge;
    expect((charge.payment_intent as Stripe.PaymentIntent).id).toBe(open.id);

    const page = await stripe.paymentIntents.list({ limit: 2, expand: ["data.latest_charge"] });
    expect((page.data[0]?.latest_charge as Stripe.Charge | undefined)?.object).toBe("charge");

    const refund = await stripe.refunds.create({ payment_intent: open.id, amount: 100, expand: ["charge"] });
    expect((refund.charge as Stripe.Charge).amount_refunded).toBe(100);

    const err = await stripe.paymentIntents.retrieve(open.id, { expand: ["nope"] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(err).toMatchObject({ param: "expand[0]", message: "This property cannot be expanded (nope)." });
  });
});

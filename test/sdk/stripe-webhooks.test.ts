/**
 * The official stripe SDK managing webhook endpoints and reading events on edgepay, inside workerd
 * through the real Worker entry; and the endpoint's secret accepted by the SDK's own verifier.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";

let stripe: Stripe;

function client(token: string): Stripe {
  return new Stripe(token, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
}

beforeAll(async () => {
  stripe = client((await newMerchant()).token);
});

describe("stripe SDK: webhook endpoints", () => {
  it("creates, retrieves, updates, lists and deletes; the secret only on create", async () => {
    const we = await stripe.webhookEndpoints.create({
      url: "https://hooks.example.com/stripe",
      enabled_events: ["payment_intent.succeeded", "charge.refunded"],
      metadata: { env: "test" },
    });
    expect(we).toMatchObject({ object: "webhook_endpoint", status: "enabled", livemode: false });
    expect(we.secret).toMatch(/^whsec_/);
    const got = await stripe.webhookEndpoints.retrieve(we.id);
    expect(got.secret).toBeUndefined();
    expect(got.enabled_events).toEqual(["payment_intent.succeeded", "charge.refunded"]);
    const off = await stripe.webhookEndpoints.update(we.id, { disabled: true, enabled_events: ["*"] });
    expect([off.status, off.enabled_events]).toEqual(["disabled", ["*"]]);
    const page = await stripe.webhookEndpoints.list({ limit: 3 });
    expect(page.data.map((e) => e.id)).toContain(we.id);
    expect(await stripe.webhookEndpoints.del(we.id)).toEqual(
      expect.objectContaining({ id: we.id, object: "webhook_endpoint", deleted: true }),
    );
    await expect(stripe.webhookEndpoints.retrieve(we.id)).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });

  it("an unknown event type or an unsafe URL is an InvalidRequestError naming the param", async () => {
    await expect(
      stripe.webhookEndpoints.create({
        url: "https://hooks.example.com/",
        enabled_events: ["charge.updated" as Stripe.WebhookEndpointCreateParams.EnabledEvent],
      }),
    ).rejects.toMatchObject({ type: "StripeInvalidRequestError", param: "enabled_events[0]" });
    await expect(
      stripe.webhookEndpoints.create({ url: "http://169.254.169.254/", enabled_events: ["*"] }),
    ).rejects.toMatchObject({ type: "StripeInvalidRequestError", code: "url_invalid", param: "url" });
  });

  it("the secret works with the SDK's verifier (keyed by the whole whsec_ string)", async () => {
    const { secret } = await stripe.webhookEndpoints.create({
      url: "https://hooks.example.com/v",
      enabled_events: ["*"],
    });
    const payload = JSON.stringify({ id: "evt_test", object: "event", type: "payment_intent.succeeded" });
    const header = await stripe.webhooks.generateTestHeaderStringAsync({ payload, secret: secret as string });
    const event = await stripe.webhooks.constructEventAsync(payload, header, secret as string);
    expect(event.id).toBe("evt_test");
  });
});

describe("stripe SDK: events", () => {
  it("lists with a type pattern and types, and retrieves", async () => {
    const pm = await stripe.paymentMethods.create({
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "123" },
    });
    const pi = await stripe.paymentIntents.create({
      amount: 1200,
      currency: "usd",
      payment_method: pm.id,
      confirm: true,
    });
    const intents = await stripe.events.list({ type: "payment_intent.*", limit: 100 });
    expect(intents.data.length).toBeGreaterThan(0);
    expect(intents.data.every((e) => e.type.startsWith("payment_intent."))).toBe(true);
    const succeeded = await stripe.events.list({ types: ["payment_intent.succeeded", "charge.succeeded"] });
    expect(succeeded.data.map((e) => e.type).sort()).toEqual(["charge.succeeded", "payment_intent.succeeded"]);
    // Events of one batch share their `created` second, so the list order between them is by id: pick by type.
    const charge = succeeded.data.find((e) => e.type === "charge.succeeded");
    const one = await stripe.events.retrieve(charge?.id as string);
    expect(one.data.object).toMatchObject({ payment_intent: pi.id } as object);
  });
});

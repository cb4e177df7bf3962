/**
 * The official stripe SDK built from an edgepay API key, unchanged: `new Stripe('sk_test_…')`
 * creates, confirms and lists payment intents; a restricted key's missing scope is a
 * PermissionError, a publishable key tokenizes but charges nothing, a revoked key is an
 * AuthenticationError.
 */
import { exports } from "cloudflare:workers";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { newKey, type TestKey } from "../helpers/api-keys";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";

function client(key: string): Stripe {
  return new Stripe(key, {
    httpClient: Stripe.createFetchHttpClient((url, init) => exports.default.fetch(new Request(url, init))),
    host: "127.0.0.1",
    port: 8787,
    protocol: "http",
    maxNetworkRetries: 0,
  });
}

let m: TestMerchant;
let sk: TestKey;
beforeAll(async () => {
  m = await newMerchant();
  sk = await newKey(m.merchantId, "secret");
});

describe("stripe SDK with an API key", () => {
  it("creates and confirms a payment intent with a secret key, and lists intents", async () => {
    const stripe = client(sk.secret);
    const pm = await stripe.paymentMethods.create({
      type: "card",
      card: { number: "4242424242424242", exp_month: 12, exp_year: 2040, cvc: "123" },
    });
    const pi = await stripe.paymentIntents.create({ amount: 2500, currency: "usd", payment_method: pm.id });
    expect(pi.status).toBe("requires_confirmation");
    const confirmed = await stripe.paymentIntents.confirm(pi.id);
    expect(confirmed).toMatchObject({ status: "succeeded", amount_received: 2500 });
    const page = await stripe.paymentIntents.list({ limit: 3 });
    expect(page.data.map((p) => p.id)).toContain(pi.id);
  });

  it("a restricted key lacking a scope gets a PermissionError; a publishable key tokenizes and charges nothing", async () => {
    const rk = await newKey(m.merchantId, "restricted", ["payments:read"]);
    await expect(client(rk.secret).paymentIntents.create({ amount: 100, currency: "usd" })).rejects.toBeInstanceOf(
      Stripe.errors.StripePermissionError,
    );
    expect((await client(rk.secret).paymentIntents.list()).object).toBe("list");
    const pk = client((await newKey(m.merchantId, "publishable")).secret);
    const token = await pk.tokens.create({ card: { number: "4242424242424242", exp_month: "12", exp_year: "2040" } });
    expect(token.id).toMatch(/^tok_/);
    const err = await pk.paymentIntents.create({ amount: 100, currency: "usd" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripePermissionError);
    expect(err).toMatchObject({ code: "publishable_key_not_allowed" });
  });

  it("a revoked key is an AuthenticationError", async () => {
    const doomed = await newKey(m.merchantId, "secret");
    await operator(`/admin/v1/merchants/${m.merchantId}/api_keys/${doomed.id}/revoke`, {});
    await expect(client(doomed.secret).paymentIntents.list()).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
  });
});

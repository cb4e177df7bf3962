/** The stricter `card` policy on tokenization, and 403s that do not count, end to end. */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { bucketShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { call, type ErrorBody, form } from "../helpers/http";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { cardToken, paymentMethod } from "../helpers/payments";

async function freeze(merchantId: string) {
  const clock = { now: Date.now() };
  await runInDurableObject(env.MERCHANT_GATE.getByName(bucketShardName(merchantId, 0)), (instance: MerchantGate) => {
    instance.clock = () => clock.now;
  });
  return clock;
}

const card = (n: number) =>
  form({
    "card[number]": "4242424242424242",
    "card[exp_month]": String((n % 12) + 1),
    "card[exp_year]": "2040",
    "card[cvc]": "123",
  });

function tokenize(headers: Record<string, string>, n: number) {
  const init = card(n);
  return call("/v1/tokens", { ...init, headers: { ...(init.headers as Record<string, string>), ...headers } });
}

describe("card-testing limits", () => {
  it("tokenization spends the 10 s card budget; other requests only the default one", async () => {
    const m = await newMerchant({ rateLimit: 3 });
    const clock = await freeze(m.merchantId);
    const first = await tokenize(m.headers, 0);
    expect(first.status).toBe(200);
    expect(first.headers.get("RateLimit-Policy")).toBe('"default";q=3;w=1, "card";q=3;w=10');
    expect(first.headers.get("RateLimit")).toBe('"default";r=2;t=1, "card";r=2;t=4');
    clock.now += 1_000; // default bucket full again, card bucket has regained 0.3 tokens
    expect((await tokenize(m.headers, 1)).status).toBe(200);
    expect((await tokenize(m.headers, 2)).status).toBe(200);
    const limited = await tokenize(m.headers, 3);
    expect(limited.status).toBe(429);
    // 0.3 of a card token is left; the missing 0.7 refills at 3 per 10 s in 2.34 s, so 3.
    expect(limited.headers.get("Retry-After")).toBe("3");
    expect(((await limited.json()) as ErrorBody).error.type).toBe("rate_limit_error");
    const account = await call("/v1/account", { headers: m.headers });
    expect(account.status).toBe(200);
    expect(account.headers.get("RateLimit-Policy")).toBe('"default";q=3;w=1');
  });

  it("confirming with a single-use token is a card operation; with a saved payment method it is not", async () => {
    const m = await newMerchant({ rateLimit: 50 });
    const tok = await cardToken(m, "4242424242424242");
    const pm = await paymentMethod(m, "4242424242424242");
    const confirm = (paymentMethod: string) =>
      call("/v1/payment_intents", {
        method: "POST",
        headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ amount: "1000", currency: "usd", confirm: "true", payment_method: paymentMethod }),
      });
    const withToken = await confirm(tok);
    expect(withToken.status).toBe(200);
    expect(withToken.headers.get("RateLimit-Policy")).toBe('"default";q=50;w=1, "card";q=50;w=10');
    const withSaved = await confirm(pm);
    expect(withSaved.status).toBe(200);
    expect(withSaved.headers.get("RateLimit-Policy")).toBe('"default";q=50;w=1');
  });

  it("a 403 for a missing scope is not counted", async () => {
    const m = await newMerchant({ rateLimit: 2 });
    await freeze(m.merchantId);
    const readOnly = await tokenFor(m, ["payment_methods:read"]);
    for (let i = 0; i < 4; i++) {
      const denied = await tokenize(readOnly.headers, i);
      expect(denied.status).toBe(403);
      expect(denied.headers.get("RateLimit")).toBe('"default";r=2;t=0, "card";r=2;t=0');
    }
    expect((await tokenize(m.headers, 9)).status).toBe(200);
    expect((await tokenize(m.headers, 10)).status).toBe(200);
    expect((await tokenize(m.headers, 11)).status).toBe(429);
  });
});

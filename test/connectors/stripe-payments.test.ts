/**
 * Payments end to end through a merchant's Stripe connector account: the gateway routes the
 * authorization to the account, the Stripe connector speaks Stripe's API over HTTP to edgepay itself
 * as the upstream (another merchant's `sk_test_` key, `STRIPE_API_BASE` pointing at it), and the
 * capture and refunds follow to the same account. The upstream's own objects are read back to prove
 * each movement happened there exactly once. A Stripe account failing over to a simulator account
 * (the upstream unreachable) is covered too.
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { processorFactory } from "../../src/processor/index";
import { newKey } from "../helpers/api-keys";
import { BASE, type Target } from "../helpers/http";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";

const UPSTREAM = "https://upstream.edgepay.test";

/** A merchant whose payments go to a Stripe account on an edgepay upstream; `up` reads the upstream. */
async function stripeMerchant(reach: { down: boolean } = { down: false }) {
  const m = await newMerchant({ rateLimit: 1000 });
  const upstream = await newMerchant({ name: "Upstream", rateLimit: 1000 });
  const key = await newKey(upstream.merchantId, "secret");
  const account = await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
    kind: "stripe",
    mode: "test",
    credentials: { secret_key: key.secret },
  });
  const app = createApp({
    payments: {
      processor: processorFactory(async (req) => {
        if (reach.down) throw new TypeError("connection refused");
        return exports.default.fetch(req);
      }),
    },
  });
  const target: Target = {
    request: (input, init) =>
      app.request(input.startsWith("http") ? input : `${BASE}${input}`, init, { ...env, STRIPE_API_BASE: UPSTREAM }),
  };
  return { m, app: target, account: account.id, up: { headers: key.headers } as Pick<TestMerchant, "headers"> };
}

/** The upstream's PaymentIntents (newest first). */
async function upstreamIntents(up: Pick<TestMerchant, "headers">) {
  return (await get(up, "/v1/payment_intents?limit=100")).body.data as Array<{
    id: string;
    status: string;
    amount_received: number;
    amount_capturable: number;
    metadata: Record<string, string>;
  }>;
}

describe("payments through a Stripe connector account", () => {
  it("authorizes, captures part and refunds through the upstream, each once, and records the connector", async () => {
    const { m, app, account, up } = await stripeMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const held = await post(
      m,
      "/v1/payment_intents",
      { amount: 2000, currency: "usd", payment_method: pm, confirm: "true", capture_method: "manual" },
      { app },
    );
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body.status).toBe("requires_capture");
    const charge = (await get(m, `/v1/charges/${held.body.latest_charge}`)).body;
    expect(charge.routing).toEqual({ connector: account, rule: null, version: 0 });
    let remote = await upstreamIntents(up);
    expect(remote).toHaveLength(1);
    expect(remote[0]?.status).toBe("requires_capture");
    expect(remote[0]?.metadata).toEqual({ edgepay_key: `${held.body.id}_authorize_2` });

    const captured = await post(m, `/v1/payment_intents/${held.body.id}/capture`, { amount_to_capture: 1500 }, { app });
    expect(captured.body.status, JSON.stringify(captured.body)).toBe("succeeded");
    const refund = await post(m, "/v1/refunds", { payment_intent: held.body.id, amount: 500 }, { app });
    expect(refund.body.status, JSON.stringify(refund.body)).toBe("succeeded");
    remote = await upstreamIntents(up);
    expect(remote[0]?.status).toBe("succeeded");
    expect(remote[0]?.amount_received).toBe(1500);
    const refunds = (await get(up, `/v1/refunds?payment_intent=${remote[0]?.id}`)).body.data;
    expect(refunds.map((r: { amount: number }) => r.amount)).toEqual([500]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
    expect(await unfinished(m.merchantId)).toEqual([]);
  });

  it("passes the upstream's decline through with its codes, and cancels through it", async () => {
    const { m, app, up } = await stripeMerchant();
    const declined = await post(
      m,
      "/v1/payment_intents",
      { amount: 1000, currency: "usd", payment_method: await paymentMethod(m, "4000000000009995"), confirm: "true" },
      { app },
    );
    expect(declined.status).toBe(402);
    expect(declined.body.error).toMatchObject({ code: "card_declined", decline_code: "insufficient_funds" });
    const held = await post(
      m,
      "/v1/payment_intents",
      {
        amount: 1000,
        currency: "usd",
        payment_method: await paymentMethod(m, "4242424242424242"),
        confirm: "true",
        capture_method: "manual",
      },
      { app },
    );
    const canceled = await post(m, `/v1/payment_intents/${held.body.id}/cancel`, {}, { app });
    expect(canceled.body.status).toBe("canceled");
    const remote = await upstreamIntents(up);
    expect(remote.map((r) => r.status).sort()).toEqual(["canceled", "requires_payment_method"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("concurrent payments each authorize and capture once upstream", async () => {
    const { m, app, up } = await stripeMerchant();
    const paid = await Promise.all(
      Array.from({ length: 10 }, async () =>
        post(
          m,
          "/v1/payment_intents",
          {
            amount: 700,
            currency: "usd",
            payment_method: await paymentMethod(m, "4242424242424242"),
            confirm: "true",
          },
          { app },
        ),
      ),
    );
    for (const p of paid) expect(p.body.status, JSON.stringify(p.body)).toBe("succeeded");
    const remote = await upstreamIntents(up);
    expect(remote).toHaveLength(10);
    expect(remote.every((r) => r.status === "succeeded" && r.amount_received === 700)).toBe(true);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("fails over from an unreachable Stripe account to the next account", async () => {
    const reach = { down: true };
    const { m, app, account } = await stripeMerchant(reach);
    const backup = await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
      kind: "simulator",
      mode: "test",
    });
    const paid = await post(
      m,
      "/v1/payment_intents",
      { amount: 1000, currency: "usd", payment_method: await paymentMethod(m, "4242424242424242"), confirm: "true" },
      { app },
    );
    expect(paid.body.status, JSON.stringify(paid.body)).toBe("succeeded");
    const charges = (await get(m, `/v1/charges?payment_intent=${paid.body.id}`)).body.data as Array<{
      status: string;
      routing: { connector: string };
    }>;
    expect(charges.map((c) => [c.status, c.routing.connector]).sort()).toEqual([
      ["failed", account],
      ["succeeded", backup.id],
    ]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });
});

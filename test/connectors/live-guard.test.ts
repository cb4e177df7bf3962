/**
 * The live-mode guard: a live deployment never authorizes through the simulator. Without an active
 * live connector account a confirm or a create-with-confirm is a 400 `connector_unavailable` with
 * nothing claimed, charged or booked; with one, the payment goes to that account's Stripe connector.
 * Test mode is unchanged. A live deployment without `VAULT_KEKS` serves nothing (503).
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp, liveMisconfiguration } from "../../src/app";
import { charges, ledgerEntries, paymentIntents } from "../../src/db/schema";
import { ApiError } from "../../src/errors";
import { processorFactory, processorFor } from "../../src/processor/index";
import { BASE, call, type Target } from "../helpers/http";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, pay, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const app = createApp();
const liveEnv = { ...env, EDGEPAY_MODE: "live" } as Env;
const live: Target = {
  request: (input, init) => app.request(input.startsWith("http") ? input : `${BASE}${input}`, init, liveEnv),
};

/** The merchant's intents, charges and ledger entries as stored. */
async function stored(merchantId: string) {
  const db = await dbOf(merchantId);
  return {
    intents: await db.select().from(paymentIntents).where(eq(paymentIntents.merchantId, merchantId)).all(),
    charges: await db.select().from(charges).where(eq(charges.merchantId, merchantId)).all(),
    ledger: await db.select().from(ledgerEntries).where(eq(ledgerEntries.merchantId, merchantId)).all(),
  };
}

/** Confirms a fresh intent and creates-with-confirm another, in live mode; both must be refused alike. */
async function refusedInLive(m: TestMerchant, message: RegExp) {
  const pm = await paymentMethod(m, "4242424242424242");
  const pi = await post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm }, { app: live });
  expect(pi.status, JSON.stringify(pi.body)).toBe(200);
  expect(pi.body.status).toBe("requires_confirmation");
  const confirm = await post(m, `/v1/payment_intents/${pi.body.id}/confirm`, {}, { app: live });
  const created = await pay(m, "4242424242424242", {}, live);
  for (const res of [confirm, created]) {
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error).toMatchObject({ type: "invalid_request_error", code: "connector_unavailable" });
    expect(res.body.error.message).toMatch(message);
  }
  expect((await get(m, `/v1/payment_intents/${pi.body.id}`, live)).body.status).toBe("requires_confirmation");
  const after = await stored(m.merchantId);
  expect(after.intents.map((i) => [i.id, i.status, i.pendingOp])).toEqual([
    [pi.body.id, "requires_confirmation", null],
  ]);
  expect(after.charges).toEqual([]);
  expect(after.ledger).toEqual([]);
  expect(await ledgerProblems(m.merchantId)).toEqual([]);
}

describe("the live-mode guard", () => {
  it("refuses a live confirm when the merchant has no active live connector account", async () => {
    const m = await newMerchant();
    // A test account and a disabled live one are not live connectors.
    await operator(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, { kind: "simulator", mode: "test" });
    await operator(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
      kind: "stripe",
      mode: "live",
      status: "disabled",
      credentials: { secret_key: "sk_live_abcdefgh12345678" },
    });
    await refusedInLive(m, /no active live connector account/);
  });

  it("sends a live payment to the merchant's live Stripe account over HTTPS, never to the simulator", async () => {
    const m = await newMerchant();
    await operator(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
      kind: "stripe",
      mode: "live",
      credentials: { secret_key: "sk_live_abcdefgh12345678" },
    });
    // Stripe is out of reach here: every call is answered 503, which the connector knows was not processed.
    const sent: Request[] = [];
    const stripeDown = createApp({
      payments: {
        processor: processorFactory(async (req) => {
          sent.push(req.clone());
          return new Response(JSON.stringify({ error: { type: "api_error" } }), { status: 503 });
        }),
      },
    });
    const toStripe: Target = {
      request: (input, init) => stripeDown.request(input.startsWith("http") ? input : `${BASE}${input}`, init, liveEnv),
    };
    const paid = await pay(m, "4242424242424242", {}, toStripe);
    // Known not processed, and no other connector: the attempt fails as Stripe's "try again".
    expect(paid.status, JSON.stringify(paid.body)).toBe(402);
    expect(paid.body.error).toMatchObject({ code: "processing_error", decline_code: "try_again_later" });
    expect(sent.length).toBeGreaterThanOrEqual(1);
    const req = sent[0] as Request;
    expect(req.url).toBe("https://api.stripe.com/v1/payment_intents");
    expect(req.headers.get("authorization")).toBe("Bearer sk_live_abcdefgh12345678");
    expect(req.headers.get("idempotency-key")).toBe(`${paid.body.error.payment_intent.id}_authorize_2`);
    const after = await stored(m.merchantId);
    expect(after.charges.map((c) => [c.status, c.failureCode])).toEqual([["failed", "processing_error"]]);
    expect(after.ledger).toEqual([]);
    expect(after.intents.map((i) => i.status)).toEqual(["requires_payment_method"]);
  });

  it("leaves test mode on the simulator, even for a merchant with a live account", async () => {
    const m = await newMerchant();
    await operator(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
      kind: "stripe",
      mode: "live",
      credentials: { secret_key: "sk_live_abcdefgh12345678" },
    });
    const paid = await pay(m, "4242424242424242");
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body.status).toBe("succeeded");
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("never hands out the simulator in live mode (the backstop behind the services' check)", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    expect(() => processorFor({ env: liveEnv, db })).toThrow(ApiError);
    expect(processorFor({ env, db })).toBeDefined();
  });
});

describe("a live deployment without VAULT_KEKS", () => {
  it("answers every request 503 service_unavailable; test mode is not refused for it", async () => {
    const bare = { ...env, EDGEPAY_MODE: "live", VAULT_KEKS: "" } as Env;
    for (const p of ["/v1/payment_intents", "/admin/v1/merchants", "/nope"]) {
      const res = await app.request(`${BASE}${p}`, {}, bare);
      expect(res.status, p).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("service_unavailable");
    }
    const test = await app.request(`${BASE}/nope`, {}, { ...env, VAULT_KEKS: "" } as Env);
    expect(test.status).toBe(404);
    expect((await call("/nope")).status).toBe(404);
  });
});

describe("a live deployment whose Stripe connector points anywhere but Stripe", () => {
  it("answers 503: live keys and card numbers never go to another host; test mode may point elsewhere", async () => {
    const elsewhere = { ...env, EDGEPAY_MODE: "live", STRIPE_API_BASE: "https://upstream.example.com" } as Env;
    const res = await app.request(`${BASE}/v1/payment_intents`, {}, elsewhere);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe("service_unavailable");
    expect(liveMisconfiguration({ VAULT_KEKS: "x", STRIPE_API_BASE: "https://api.stripe.com" })).toBeNull();
    expect(liveMisconfiguration({ VAULT_KEKS: "x", STRIPE_API_BASE: "https://api.stripe.com.evil" })).toBe(
      "STRIPE_API_BASE",
    );
    const test = await app.request(`${BASE}/nope`, {}, {
      ...env,
      STRIPE_API_BASE: "https://upstream.example.com",
    } as Env);
    expect(test.status).toBe(404);
  });
});

/**
 * The fraud screen in the one authorize path, through the real Worker: Radar's test cards, the
 * outcome and risk on the charge, card testing from one IP blocked before the processor is
 * called, a card declined at one merchant scoring higher at another (which learns nothing else),
 * merchant rules and lists, and the country signal.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { draftIntent } from "../../src/db/payment-intents";
import { createConfirmed } from "../../src/payments/actions";
import { paymentDeps } from "../../src/payments/deps";
import { eventsOf } from "../helpers/events";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, pay, paymentMethod, post } from "../helpers/payments";
import { recordedProcessor } from "../helpers/processors";
import { dbOf } from "../helpers/shards";
import { browserPay, chargeOf, decliningProcessor, freshCard, from } from "../helpers/shopper";

describe("Radar's test cards", () => {
  it("4100000000000019 is always blocked, before the processor, as a fraudulent decline", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4100000000000019");
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: "card_declined", decline_code: "fraudulent" });
    const pi = (await get(m, `/v1/payment_intents/${res.body.error.payment_intent.id}`)).body;
    expect(pi).toMatchObject({ status: "requires_payment_method", last_payment_error: { decline_code: "fraudulent" } });
    const charge = await chargeOf(m, pi);
    expect(charge).toMatchObject({
      status: "failed",
      paid: false,
      failure_code: "card_declined",
      outcome: { type: "blocked", network_status: "not_sent_to_network", reason: "test_mode_blocked" },
    });
    const types = (await eventsOf(m.merchantId)).map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(["charge.failed", "payment_intent.payment_failed"]));
  });

  it("4000000000004954 scores highest and the default rule blocks it", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4000000000004954");
    expect(res.status).toBe(402);
    const pi = (await get(m, `/v1/payment_intents/${res.body.error.payment_intent.id}`)).body;
    expect((await chargeOf(m, pi)).outcome).toMatchObject({
      type: "blocked",
      risk_level: "highest",
      risk_score: 85,
      reason: "highest_risk_level",
      rule: { id: "rule_default_block_highest", action: "block" },
    });
  });

  it("4000000000009235 scores elevated: authorized, its outcome manual_review by the default rule", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4000000000009235");
    expect(res.status).toBe(200);
    expect((await chargeOf(m, res.body)).outcome).toMatchObject({
      type: "manual_review",
      risk_level: "elevated",
      reason: "elevated_risk_level",
      network_status: "approved_by_network",
    });
  });

  it("4000000000000101 fails its CVC check", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4000000000000101");
    expect(res.status).toBe(402);
    expect(res.body.error).toMatchObject({ code: "incorrect_cvc" });
    const pi = (await get(m, `/v1/payment_intents/${res.body.error.payment_intent.id}`)).body;
    expect((await chargeOf(m, pi)).payment_method_details.card.checks.cvc_check).toBe("fail");
  });

  it("an ordinary card scores normal: authorized, its risk on the charge", async () => {
    const m = await newMerchant();
    const res = await pay(m, "4242424242424242");
    expect(res.status).toBe(200);
    expect((await chargeOf(m, res.body)).outcome).toMatchObject({
      type: "authorized",
      risk_level: "normal",
      risk_score: 5,
      rule: null,
    });
  });
});

describe("velocity", () => {
  it("a burst of declined attempts with different cards from one IP is blocked before the processor", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const processor = decliningProcessor();
    const app = createApp({ payments: { processor: processor.factory } });
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await browserPay(m, freshCard(i), { ip: "198.51.100.23", country: "US" }, { amount: 150, app });
      expect(res.status).toBe(402);
      outcomes.push(res.body.error.decline_code);
    }
    const firstBlocked = outcomes.indexOf("fraudulent");
    expect(firstBlocked).toBeGreaterThan(0);
    expect(firstBlocked).toBeLessThan(10);
    // Once blocked, every later attempt is too, and none of them reached the processor.
    expect(outcomes.slice(firstBlocked).every((o) => o === "fraudulent")).toBe(true);
    expect(processor.calls()).toBe(firstBlocked);
  });

  it("the merchant's server address is not the shopper's: server-side confirms carry no IP", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const server = from(m, "192.0.2.10");
    const processor = decliningProcessor();
    const app = createApp({ payments: { processor: processor.factory } });
    for (let i = 0; i < 12; i++) {
      const pm = await paymentMethod(m, freshCard(100 + i));
      const res = await post(
        server,
        "/v1/payment_intents",
        { amount: 150, currency: "usd", payment_method: pm, confirm: "true" },
        { app },
      );
      expect(res.body.error.decline_code).toBe("generic_decline");
    }
    expect(processor.calls()).toBe(12);
  });

  it("a card declined at merchant A scores higher at merchant B, which learns nothing else", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const card = freshCard(9_001);
    const processor = decliningProcessor();
    const app = createApp({ payments: { processor: processor.factory } });
    for (let i = 0; i < 3; i++) {
      const pm = await paymentMethod(a, card);
      const res = await post(
        a,
        "/v1/payment_intents",
        { amount: 5000, currency: "usd", payment_method: pm, confirm: "true" },
        { app },
      );
      expect(res.status).toBe(402);
    }
    // Give A's declines a moment to be counted (they are counted after A's answers).
    await new Promise((r) => setTimeout(r, 200));
    const res = await pay(b, card);
    expect(res.status).toBe(200);
    const outcome = (await chargeOf(b, res.body)).outcome;
    expect(outcome.risk_score).toBeGreaterThan(5);
    // B's charge says nothing of A: no merchant id, amount or charge of A's anywhere in it.
    const text = JSON.stringify(await chargeOf(b, res.body));
    expect(text).not.toContain(a.merchantId);
    // The same card fresh at B, with no history, scores the base.
    const clean = await pay(b, freshCard(9_002));
    expect((await chargeOf(b, clean.body)).outcome.risk_score).toBe(5);
  });

  it("a card issued in one country paid from another adds the mismatch", async () => {
    const m = await newMerchant();
    const res = await browserPay(m, "4000000760000002", { ip: "203.0.113.77", country: "FR" });
    expect(res.status).toBe(200);
    expect((await chargeOf(m, res.body)).outcome.risk_score).toBe(20);
    const home = await browserPay(m, "4000000760000002", { ip: "203.0.113.78", country: "BR" });
    expect((await chargeOf(m, home.body)).outcome.risk_score).toBe(5);
  });
});

describe("what one merchant can learn or move at another", () => {
  it("a rule reads only the merchant's own counts, and a block is no decline across the network", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const card = freshCard(7_001);
    // A declines the card twice at the issuer, then blocks it with a rule of its own.
    const processor = decliningProcessor();
    const app = createApp({ payments: { processor: processor.factory } });
    for (let i = 0; i < 2; i++) {
      const pm = await paymentMethod(a, card);
      await post(
        a,
        "/v1/payment_intents",
        { amount: 900, currency: "usd", payment_method: pm, confirm: "true" },
        { app },
      );
    }
    await post(a, "/v1/radar/rules", { action: "block", predicate: ":amount: = 901" });
    const blocked = await pay(a, card, { amount: 901 });
    expect(blocked.body.error.decline_code).toBe("fraudulent");
    await new Promise((r) => setTimeout(r, 200));
    // B's probe of A's traffic finds nothing: its rule reads B's own counts of the card.
    await post(b, "/v1/radar/rules", { action: "block", predicate: ":declined_charges_per_card_number_daily: >= 1" });
    const probe = await pay(b, card);
    expect(probe.status).toBe(200);
    // The score counts the two issuer declines, not A's own block: 5 + 2 × 10.
    expect((await chargeOf(b, probe.body)).outcome.risk_score).toBe(25);
  });
});

describe("what A's own blocks move at B", () => {
  it("attempts merchant A blocks itself are not counted as the card's network attempts", async () => {
    const a = await newMerchant({ rateLimit: 1000 });
    const b = await newMerchant();
    const card = freshCard(7_101);
    await post(a, "/v1/radar/rules", { action: "block", predicate: ":amount: = 777" });
    for (let i = 0; i < 6; i++) {
      const res = await pay(a, card, { amount: 777 });
      expect(res.body.error.decline_code).toBe("fraudulent");
    }
    // None of A's six attempts reached the processor: B sees a card with no history.
    const res = await pay(b, card);
    expect(res.status).toBe(200);
    expect((await chargeOf(b, res.body)).outcome.risk_score).toBe(5);
  });
});

describe("merchant rules and lists", () => {
  it("a card on a block list is blocked; a removed rule stops blocking", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const fingerprint = (await get(m, `/v1/payment_methods/${pm}`)).body.card.fingerprint as string;
    const list = (
      await post(m, "/v1/radar/value_lists", { alias: "blocked_cards", name: "x", item_type: "card_fingerprint" })
    ).body.id;
    await post(m, "/v1/radar/value_list_items", { value_list: list, value: fingerprint });
    const rule = (
      await post(m, "/v1/radar/rules", { action: "block", predicate: ":card_fingerprint: in @blocked_cards" })
    ).body;
    const blocked = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(blocked.status).toBe(402);
    expect(blocked.body.error.decline_code).toBe("fraudulent");
    const pi = (await get(m, `/v1/payment_intents/${blocked.body.error.payment_intent.id}`)).body;
    expect((await chargeOf(m, pi)).outcome).toMatchObject({
      type: "blocked",
      reason: "rule",
      rule: { id: rule.id, action: "block" },
    });
    await call(m, `/v1/radar/rules/${rule.id}`);
    const allowed = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(allowed.status).toBe(200);
  });

  it("an allow rule lets a highest-risk payment through; a review rule fires on amount", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4000000000004954");
    const email = await post(m, "/v1/radar/rules", { action: "allow", predicate: ":amount: = 4242" });
    expect(email.status).toBe(200);
    const allowed = await post(m, "/v1/payment_intents", {
      amount: 4242,
      currency: "usd",
      payment_method: pm,
      confirm: "true",
    });
    expect(allowed.status).toBe(200);
    expect((await chargeOf(m, allowed.body)).outcome).toMatchObject({
      type: "authorized",
      risk_level: "highest",
      reason: "rule",
    });
    await post(m, "/v1/radar/rules", { action: "review", predicate: ":amount: > 90000" });
    const big = await pay(m, "4242424242424242", { amount: 95000 });
    expect((await chargeOf(m, big.body)).outcome).toMatchObject({ type: "manual_review", reason: "rule" });
  });
});

/** DELETE as the merchant. */
async function call(m: TestMerchant, path: string) {
  const { call: send } = await import("../helpers/http");
  return send(path, { method: "DELETE", headers: m.headers });
}

describe("when the screen cannot run", () => {
  it("fails open: the payment goes to the processor unscreened, its charge without risk", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const db = await dbOf(m.merchantId);
    // A deployment whose velocity digest key is unusable: the screen throws before deciding anything.
    const broken = { ...env, FINGERPRINT_KEY: "short" } as Env;
    const deps = paymentDeps(broken, db, { processor: recordedProcessor }, null, {
      client: { ip: "203.0.113.9", country: "US" },
      defer: () => undefined,
    });
    const draft = draftIntent({ merchantId: m.merchantId, amount: 1200, currency: "usd" });
    const row = await createConfirmed(deps, draft, pm);
    expect(row.status).toBe("succeeded");
    expect((await chargeOf(m, { latest_charge: row.latestCharge ?? "" })).outcome).toMatchObject({
      type: "authorized",
      risk_level: null,
      risk_score: null,
    });
  });
});

describe("FRAUD_SCREEN", () => {
  it("off: no attempt is screened (Radar's always-blocked card goes to the processor, which declines it)", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4100000000000019");
    const db = await dbOf(m.merchantId);
    const deps = paymentDeps({ ...env, FRAUD_SCREEN: "off" } as Env, db, { processor: recordedProcessor });
    const draft = draftIntent({ merchantId: m.merchantId, amount: 1200, currency: "usd" });
    const err = await createConfirmed(deps, draft, pm).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: "card_declined" });
    const charge = (await get(m, `/v1/charges?payment_intent=${draft.id}`)).body.data[0];
    expect(charge.outcome).toMatchObject({
      type: "issuer_declined",
      network_status: "declined_by_network",
      risk_level: null,
    });
  });
});

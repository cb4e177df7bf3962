/**
 * Charges, happy paths: one charge per answered authorization attempt (a decline, then a success),
 * each with its card details and outcome; the money fields follow the intent (capture, refunds);
 * lists by PaymentIntent, customer and `created`, paged.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { paymentIntents, paymentMethods } from "../../src/db/schema";
import { type ProcessorFactory, processorFor } from "../../src/processor/index";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const VISA = "4242424242424242";
const DECLINED = "4000000000000002";
const INCORRECT_CVC = "4000000000000127";

type Charge = Record<string, unknown> & { id: string; created: number };

/** A new intent of `amount`, confirmed with each of `cards` in turn (a 402 lets the next one try). */
async function attempts(m: TestMerchant, cards: string[], fields: Record<string, string | number> = {}) {
  const pi = (await post(m, "/v1/payment_intents", { amount: 2000, currency: "usd", ...fields })).body;
  const pms: string[] = [];
  for (const card of cards) {
    const pm = await paymentMethod(m, card);
    pms.push(pm);
    await post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: pm });
  }
  return { pi: (await get(m, `/v1/payment_intents/${pi.id}`)).body, pms };
}

const ids = (list: { data: Charge[] }) => list.data.map((c) => c.id).sort();

describe("GET /v1/charges", () => {
  it("a decline then a success are two charges, each with its card, outcome and money", async () => {
    const m = await newMerchant();
    const { pi, pms } = await attempts(m, [DECLINED, VISA], { description: "order 7", "metadata[order]": "7" });
    expect(pi.status).toBe("succeeded");
    const list = (await get(m, `/v1/charges?payment_intent=${pi.id}`)).body;
    expect(list).toMatchObject({ object: "list", url: "/v1/charges", has_more: false });
    expect(list.data).toHaveLength(2);
    const paid = list.data.find((c: Charge) => c.id === pi.latest_charge);
    const failed = list.data.find((c: Charge) => c.id !== pi.latest_charge);
    const [declinedPm, visaPm] = await Promise.all(
      pms.map(async (pm) => (await get(m, `/v1/payment_methods/${pm}`)).body),
    );
    const card = (pm: { card: Record<string, unknown> }, cvc: string) => ({
      brand: "visa",
      checks: { address_line1_check: null, address_postal_code_check: null, cvc_check: cvc },
      country: "US",
      exp_month: 12,
      exp_year: 2040,
      fingerprint: pm.card.fingerprint,
      funding: pm.card.funding,
      last4: pm.card.last4,
      network: "visa",
    });
    expect(paid).toEqual({
      id: pi.latest_charge,
      object: "charge",
      amount: 2000,
      amount_captured: 2000,
      amount_refunded: 0,
      balance_transaction: `txn_${pi.latest_charge.slice(3)}`,
      billing_details: visaPm.billing_details,
      captured: true,
      created: expect.any(Number),
      currency: "usd",
      customer: null,
      description: "order 7",
      failure_code: null,
      failure_message: null,
      livemode: false,
      metadata: { order: "7" },
      outcome: {
        network_status: "approved_by_network",
        reason: null,
        risk_level: "normal",
        risk_score: 5,
        rule: null,
        seller_message: "Payment complete.",
        type: "authorized",
      },
      paid: true,
      payment_intent: pi.id,
      payment_method: visaPm.id,
      payment_method_details: { type: "card", card: card(visaPm, "pass") },
      refunded: false,
      routing: { connector: "builtin", rule: null, version: 0 },
      statement_descriptor: null,
      status: "succeeded",
    });
    expect(failed).toMatchObject({
      id: expect.stringMatching(/^ch_/),
      amount: 2000,
      amount_captured: 0,
      amount_refunded: 0,
      captured: false,
      failure_code: "card_declined",
      failure_message: "Your card was declined.",
      outcome: { network_status: "declined_by_network", reason: "generic_decline", type: "issuer_declined" },
      paid: false,
      payment_intent: pi.id,
      payment_method: declinedPm.id,
      payment_method_details: { type: "card", card: card(declinedPm, "pass") },
      refunded: false,
      status: "failed",
    });
    // Retrieve shows the same object; no card number or CVC anywhere.
    expect((await get(m, `/v1/charges/${paid.id}`)).body).toEqual(paid);
    expect((await get(m, `/v1/charges/${failed.id}`)).body).toEqual(failed);
    expect(JSON.stringify(list)).not.toMatch(/4242424242424242|4000000000000002|"123"/);
  });

  it("capture and refunds show on the succeeded charge; a failed one never changes", async () => {
    const m = await newMerchant();
    const { pi } = await attempts(m, [DECLINED, VISA], { capture_method: "manual" });
    const failed = (await get(m, `/v1/charges?payment_intent=${pi.id}`)).body.data.find(
      (c: Charge) => c.id !== pi.latest_charge,
    );
    const charge = () => get(m, `/v1/charges/${pi.latest_charge}`).then((r) => r.body);
    expect(await charge()).toMatchObject({ status: "succeeded", paid: true, captured: false, amount_captured: 0 });
    await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 1500 });
    expect(await charge()).toMatchObject({
      captured: true,
      amount_captured: 1500,
      amount_refunded: 0,
      refunded: false,
    });
    await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 500 });
    expect(await charge()).toMatchObject({ amount_refunded: 500, refunded: false });
    await post(m, "/v1/refunds", { payment_intent: pi.id });
    expect(await charge()).toMatchObject({ amount_captured: 1500, amount_refunded: 1500, refunded: true });
    expect((await get(m, `/v1/charges/${failed.id}`)).body).toEqual(failed);
  });

  it("cvc_check: fail on an incorrect_cvc decline, unavailable when a saved card is charged again", async () => {
    const m = await newMerchant();
    const { pi: wrong } = await attempts(m, [INCORRECT_CVC]);
    expect((await get(m, `/v1/charges/${wrong.latest_charge}`)).body).toMatchObject({
      status: "failed",
      failure_code: "incorrect_cvc",
      outcome: { reason: "incorrect_cvc" },
      payment_method_details: { card: { checks: { cvc_check: "fail" } } },
    });
    const pm = await paymentMethod(m, VISA);
    const pay = () =>
      post(m, "/v1/payment_intents", { amount: 900, currency: "usd", payment_method: pm, confirm: "true" });
    const first = (await pay()).body;
    const again = (await pay()).body;
    expect((await get(m, `/v1/charges/${first.latest_charge}`)).body.payment_method_details.card.checks.cvc_check).toBe(
      "pass",
    );
    expect((await get(m, `/v1/charges/${again.latest_charge}`)).body.payment_method_details.card.checks.cvc_check).toBe(
      "unavailable",
    );
  });

  it("a payment method gone before the outcome is recorded leaves the charge without card details", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, VISA);
    const db = await dbOf(m.merchantId);
    // The processor approves, then the row is gone before the outcome batch runs.
    const vanishing: ProcessorFactory = (vault, claimed) => {
      const real = processorFor(vault, claimed);
      return {
        ...real,
        authorize: async (req) => {
          const answer = await real.authorize(req);
          await db.delete(paymentMethods).where(eq(paymentMethods.id, pm));
          return answer;
        },
      };
    };
    const app = createApp({ payments: { processor: vanishing } });
    const pi = (
      await post(
        m,
        "/v1/payment_intents",
        { amount: 700, currency: "usd", payment_method: pm, confirm: "true", capture_method: "manual" },
        { app },
      )
    ).body;
    expect(pi.status).toBe("requires_capture");
    expect((await get(m, `/v1/charges/${pi.latest_charge}`)).body).toMatchObject({
      status: "succeeded",
      payment_method: pm,
      payment_method_details: null,
      billing_details: {
        address: { city: null, country: null, line1: null, line2: null, postal_code: null, state: null },
        email: null,
        name: null,
        phone: null,
      },
    });
  });

  it("lists newest first, by PaymentIntent, customer and created, and pages both ways", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const a = await attempts(m, [DECLINED, VISA]);
    const b = await attempts(m, [VISA]);
    // An intent of a customer (set on the row: the intent parameter is not there yet).
    const c = (await post(m, "/v1/payment_intents", { amount: 1500, currency: "usd" })).body;
    const cus = (await post(m, "/v1/customers", { name: "Ada" })).body.id;
    await (await dbOf(m.merchantId)).update(paymentIntents).set({ customer: cus }).where(eq(paymentIntents.id, c.id));
    await post(m, `/v1/payment_intents/${c.id}/confirm`, { payment_method: await paymentMethod(m, VISA) });

    const all = (await get(m, "/v1/charges")).body;
    expect(all.data).toHaveLength(4);
    const created = all.data.map((x: Charge) => x.created);
    expect(created).toEqual([...created].sort((x, y) => y - x));
    expect(ids((await get(m, `/v1/charges?payment_intent=${a.pi.id}`)).body)).toHaveLength(2);
    expect(ids((await get(m, `/v1/charges?payment_intent=${b.pi.id}`)).body)).toEqual([b.pi.latest_charge]);
    const mine = (await get(m, `/v1/charges?customer=${cus}`)).body;
    expect(mine.data.map((x: Charge) => [x.id, x.customer, x.amount])).toEqual([
      [(await get(m, `/v1/payment_intents/${c.id}`)).body.latest_charge, cus, 1500],
    ]);
    expect((await get(m, "/v1/charges?customer=cus_nobody")).body.data).toEqual([]);

    const newest = Math.max(...created);
    const oldest = Math.min(...created);
    const count = async (query: string) => (await get(m, `/v1/charges?${query}`)).body.data.length;
    expect(await count(`created[gte]=${oldest}`)).toBe(4);
    expect(await count(`created[gt]=${newest}`)).toBe(0);
    expect(await count(`created[lte]=${newest}&created[gte]=${oldest}`)).toBe(4);
    expect(await count(`created[lt]=${oldest}`)).toBe(0);
    expect(await count(`created=${newest}`)).toBe(all.data.filter((x: Charge) => x.created === newest).length);

    const first = (await get(m, "/v1/charges?limit=2")).body;
    expect(first).toMatchObject({ has_more: true });
    const second = (await get(m, `/v1/charges?limit=2&starting_after=${first.data[1].id}`)).body;
    expect(second).toMatchObject({ has_more: false });
    expect([...first.data, ...second.data].map((x: Charge) => x.id)).toEqual(all.data.map((x: Charge) => x.id));
    const back = (await get(m, `/v1/charges?limit=2&ending_before=${second.data[0].id}`)).body;
    expect(back.data.map((x: Charge) => x.id)).toEqual(first.data.map((x: Charge) => x.id));
  });
});

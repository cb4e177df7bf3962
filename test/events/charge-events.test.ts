/**
 * charge.* events are about the charge (`ch_`), with the charge as the batch left it: its card
 * details and outcome, and its intent's money (captured, refunded) at that moment. Snapshots stored
 * before charges had rows (the intent row) still render as that charge.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { events, paymentIntents } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { eventProblems, eventsOf } from "../helpers/events";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("charge events", () => {
  it("charge.failed, charge.succeeded, charge.captured and charge.refunded carry the charge with its card and money", async () => {
    const m = await newMerchant();
    const pi = (await post(m, "/v1/payment_intents", { amount: 2500, currency: "usd", capture_method: "manual" })).body;
    await post(m, `/v1/payment_intents/${pi.id}/confirm`, {
      payment_method: await paymentMethod(m, "4000000000000002"),
    });
    const visa = await paymentMethod(m, "4242424242424242");
    const held = (await post(m, `/v1/payment_intents/${pi.id}/confirm`, { payment_method: visa })).body;
    await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 2000 });
    await post(m, "/v1/refunds", { charge: held.latest_charge, amount: 2000 });

    const all = await eventsOf(m.merchantId);
    const of = (type: string) => all.filter((e) => e.type === type);
    const charges = all.filter((e) => e.type.startsWith("charge."));
    expect(charges.map((e) => e.type)).toEqual([
      "charge.failed",
      "charge.succeeded",
      "charge.captured",
      "charge.refunded",
    ]);
    for (const e of charges) expect(e.objectId).toBe((e.data.object as { id: string }).id);

    const [failed] = of("charge.failed");
    expect(failed?.objectId).not.toBe(held.latest_charge);
    expect(failed?.data.object).toMatchObject({
      object: "charge",
      status: "failed",
      paid: false,
      failure_code: "card_declined",
      outcome: { type: "issuer_declined", reason: "generic_decline" },
      payment_method_details: { type: "card", card: { last4: "0002", brand: "visa" } },
    });
    const card = (await get(m, `/v1/payment_methods/${visa}`)).body.card;
    const [succeeded] = of("charge.succeeded");
    expect(succeeded?.data.object).toMatchObject({
      id: held.latest_charge,
      status: "succeeded",
      captured: false,
      amount_captured: 0,
      payment_intent: pi.id,
      payment_method: visa,
      payment_method_details: {
        type: "card",
        card: {
          brand: "visa",
          last4: "4242",
          exp_month: 12,
          exp_year: 2040,
          fingerprint: card.fingerprint,
          funding: card.funding,
          checks: { cvc_check: "pass" },
        },
      },
    });
    expect(of("charge.captured")[0]?.data.object).toMatchObject({
      id: held.latest_charge,
      captured: true,
      amount_captured: 2000,
      amount_refunded: 0,
      refunded: false,
    });
    expect(of("charge.refunded")[0]?.data.object).toMatchObject({
      id: held.latest_charge,
      amount_captured: 2000,
      amount_refunded: 2000,
      refunded: true,
    });
    // The event shows what a GET shows now (nothing changed since the refund).
    expect(of("charge.refunded")[0]?.data.object).toEqual((await get(m, `/v1/charges/${held.latest_charge}`)).body);
    // No internal fingerprint, card number or CVC in any snapshot.
    for (const e of charges) expect(e.snapshot).not.toMatch(/internal|4242424242424242|cvc_ciphertext|"123"/i);
    expect(await eventProblems(m.merchantId)).toEqual([]);
  });

  it("renders a charge event stored before charges had rows (an intent snapshot) as that charge", async () => {
    const m = await newMerchant();
    const paid = (
      await post(m, "/v1/payment_intents", {
        amount: 900,
        currency: "usd",
        payment_method: await paymentMethod(m, "4242424242424242"),
        confirm: "true",
      })
    ).body;
    const db = await dbOf(m.merchantId);
    const intent = await db.select().from(paymentIntents).where(eq(paymentIntents.id, paid.id)).get();
    const id = newId("evt");
    await db.insert(events).values({
      id,
      merchantId: m.merchantId,
      type: "charge.succeeded",
      objectType: "charge",
      objectId: paid.id,
      snapshot: JSON.stringify(intent),
      created: paid.created,
    });
    const legacy = (await get(m, `/v1/events/${id}`)).body.data.object;
    expect(legacy).toMatchObject({
      id: paid.latest_charge,
      object: "charge",
      status: "succeeded",
      amount: 900,
      amount_captured: 900,
      captured: true,
      paid: true,
      payment_intent: paid.id,
      payment_method_details: null,
    });
  });
});

/** Refunds: several partials up to the captured amount, over-refund, listing, isolation and scopes. */
import { describe, expect, it } from "vitest";
import { newMerchant, tokenFor } from "../helpers/merchants";
import { get, pay, post, unbalancedTransactions } from "../helpers/payments";

const VISA = "4242424242424242";

describe("POST /v1/refunds", () => {
  it("several partial refunds up to the captured total, then charge_already_refunded", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { amount: 5000, capture_method: "manual" })).body;
    await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 4000 });
    const r1 = await post(m, "/v1/refunds", {
      payment_intent: pi.id,
      amount: 1500,
      reason: "requested_by_customer",
      "metadata[k]": "v",
    });
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({
      object: "refund",
      amount: 1500,
      currency: "usd",
      status: "succeeded",
      payment_intent: pi.id,
      charge: pi.latest_charge,
      reason: "requested_by_customer",
      metadata: { k: "v" },
    });
    expect(r1.body.id).toMatch(/^re_/);
    const over = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 2501 });
    expect([over.status, over.body.error.code, over.body.error.param]).toEqual([400, "amount_too_large", "amount"]);
    const r2 = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 1000 });
    const rest = await post(m, "/v1/refunds", { payment_intent: pi.id });
    expect([r2.body.amount, rest.body.amount]).toEqual([1000, 1500]);
    const done = await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 1 });
    expect([done.status, done.body.error.code]).toEqual([400, "charge_already_refunded"]);
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body).toMatchObject({
      amount_received: 4000,
      amount_refunded: 4000,
    });
    const balance = (await get(m, "/v1/balance")).body;
    // Refunds are taken from the available balance at once; the capture stays pending until settled.
    expect(balance).toMatchObject({
      available: [{ amount: -4000, currency: "usd" }],
      pending: [{ amount: 4000, currency: "usd" }],
      refunded: [{ amount: 4000, currency: "usd" }],
    });
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);

    const list = (await get(m, `/v1/refunds?payment_intent=${pi.id}`)).body;
    expect(list.data.map((r: { amount: number }) => r.amount).sort()).toEqual([1000, 1500, 1500]);
    expect((await get(m, `/v1/refunds/${r1.body.id}`)).body).toEqual(r1.body);
  });

  it("refuses refunds of intents that are not succeeded, and bad input", async () => {
    const m = await newMerchant();
    const held = (await pay(m, VISA, { capture_method: "manual" })).body;
    const res = await post(m, "/v1/refunds", { payment_intent: held.id });
    expect([res.status, res.body.error.code]).toEqual([400, "payment_intent_unexpected_state"]);
    const paid = (await pay(m, VISA)).body;
    for (const [fields, code, param] of [
      [{ payment_intent: paid.id, amount: "1.5" }, "parameter_invalid_integer", "amount"],
      [{ payment_intent: paid.id, amount: 0 }, "parameter_invalid", "amount"],
      [{ payment_intent: paid.id, reason: "because" }, "parameter_invalid", "reason"],
      [{ amount: 10 }, "parameter_missing", "payment_intent"],
      [{ payment_intent: "pi_nope" }, "resource_missing", "payment_intent"],
    ] as const) {
      const r = await post(m, "/v1/refunds", fields);
      expect([r.body.error.code, r.body.error.param]).toEqual([code, param]);
    }
    expect((await get(m, "/v1/refunds")).body.data).toEqual([]);
  });

  it("two refunds racing can never exceed the captured amount", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { amount: 3000 })).body;
    const results = await Promise.all(
      [0, 1, 2].map(() => post(m, "/v1/refunds", { payment_intent: pi.id, amount: 1200 })),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(2);
    expect(results.find((r) => r.status !== 200)?.body.error.code).toBe("amount_too_large");
    expect((await get(m, `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(2400);
    expect((await get(m, "/v1/balance")).body.refunded).toEqual([{ amount: 2400, currency: "usd" }]);
  });

  it("lists newest first and pages both ways", async () => {
    const m = await newMerchant();
    const pi = (await pay(m, VISA, { amount: 5000 })).body;
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 100 })).body.id);
    const all = (await get(m, "/v1/refunds?limit=10")).body.data.map((r: { id: string }) => r.id);
    expect([...all].sort()).toEqual([...ids].sort());
    const page = (await get(m, `/v1/refunds?limit=2&starting_after=${all[1]}`)).body;
    expect(page.data.map((r: { id: string }) => r.id)).toEqual(all.slice(2, 4));
    expect(page.has_more).toBe(false);
    const back = (await get(m, `/v1/refunds?limit=1&ending_before=${all[2]}`)).body;
    expect([back.data[0].id, back.has_more]).toEqual([all[1], true]);
  });
});

describe("refund isolation and scopes", () => {
  it("another merchant can neither refund, read nor list", async () => {
    const a = await newMerchant();
    const b = await newMerchant();
    const pi = (await pay(a, VISA)).body;
    const re = (await post(a, "/v1/refunds", { payment_intent: pi.id, amount: 100 })).body;
    expect((await post(b, "/v1/refunds", { payment_intent: pi.id })).status).toBe(404);
    expect((await get(b, `/v1/refunds/${re.id}`)).status).toBe(404);
    expect((await get(b, `/v1/refunds?payment_intent=${pi.id}`)).body.data).toEqual([]);
    expect((await get(b, `/v1/refunds?starting_after=${re.id}`)).status).toBe(404);
    expect((await get(b, "/v1/balance")).body.pending).toEqual([]);
    expect((await get(a, `/v1/payment_intents/${pi.id}`)).body.amount_refunded).toBe(100);
  });

  it("refunds:write and refunds:read are required", async () => {
    const payer = await newMerchant();
    const pi = (await pay(payer, VISA)).body;
    const readOnly = await tokenFor(payer, ["refunds:read", "payments:write"]);
    const denied = await post(readOnly, "/v1/refunds", { payment_intent: pi.id });
    expect([denied.status, denied.body.error.code]).toEqual([403, "insufficient_scope"]);
    const writeOnly = await tokenFor(payer, ["refunds:write"]);
    const re = (await post(writeOnly, "/v1/refunds", { payment_intent: pi.id, amount: 100 })).body;
    expect((await get(writeOnly, `/v1/refunds/${re.id}`)).status).toBe(403);
    expect((await get(writeOnly, "/v1/refunds")).status).toBe(403);
  });
});

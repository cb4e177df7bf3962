/** Charges, errors: unknown ids, tampered list parameters and cursors, each a 4xx naming its param. */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { get, pay } from "../helpers/payments";

describe("GET /v1/charges errors", () => {
  it("an unknown charge is a 404; an id that is not an id's shape is not echoed", async () => {
    const m = await newMerchant();
    const missing = await get(m, "/v1/charges/ch_MissingMissingMissing12");
    expect([missing.status, missing.body.error.code]).toEqual([404, "resource_missing"]);
    expect(missing.body.error.message).toContain("ch_MissingMissingMissing12");
    const card = await get(m, "/v1/charges/4242424242424242");
    expect([card.status, card.body.error.code]).toEqual([404, "resource_missing"]);
    expect(JSON.stringify(card.body)).not.toContain("4242424242424242");
    // A PaymentIntent id is not a charge id.
    const pi = (await pay(m, "4242424242424242")).body;
    expect((await get(m, `/v1/charges/${pi.id}`)).status).toBe(404);
  });

  it("tampered list parameters are a 400 naming the parameter; an unknown cursor a 404", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    await pay(m, "4242424242424242");
    for (const [query, code, param] of [
      ["status=succeeded", "parameter_unknown", "status"],
      ["limit=0", "parameter_invalid", "limit"],
      ["limit=101", "parameter_invalid", "limit"],
      ["limit=ten", "parameter_invalid_integer", "limit"],
      ["created[gt]=yesterday", "parameter_invalid_integer", "created[gt]"],
      ["created[lt]=-1", "parameter_invalid", "created[lt]"],
      ["created[between]=1", "parameter_unknown", "created[between]"],
      ["starting_after=ch_a&ending_before=ch_b", "parameter_invalid", "ending_before"],
      [`payment_intent=${"p".repeat(101)}`, "parameter_invalid", "payment_intent"],
    ] as const) {
      const res = await get(m, `/v1/charges?${query}`);
      expect([res.status, res.body.error.code, res.body.error.param], query).toEqual([400, code, param]);
    }
    const cursor = await get(m, "/v1/charges?starting_after=ch_MissingMissingMissing12");
    expect([cursor.status, cursor.body.error.code, cursor.body.error.param]).toEqual([
      404,
      "resource_missing",
      "starting_after",
    ]);
  });
});

/** setup_future_usage with a Stripe test id saves a payment method of the intent's own to its customer. */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

describe("setup_future_usage", () => {
  it("an intent created with customer and setup_future_usage, confirmed with pm_card_visa, saves the card", async () => {
    const m = await newMerchant();
    const cus = (await post(m, "/v1/customers", {})).body.id as string;
    const pi = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      customer: cus,
      setup_future_usage: "off_session",
    });
    expect(pi.status).toBe(200);
    const res = await post(m, `/v1/payment_intents/${pi.body.id}/confirm`, { payment_method: "pm_card_visa" });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("succeeded");
    expect(res.body.setup_future_usage).toBe("off_session");
    const saved = await get(m, `/v1/customers/${cus}/payment_methods`);
    expect(saved.body.data.length).toBe(1);
  });
});

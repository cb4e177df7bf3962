/** An intent authorized before charges had rows (the deploy window of migration 0005) still captures and refunds: its charge events fall back to the intent row. */
import { describe, expect, it } from "vitest";
import { charges } from "../../src/db/schema";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("intent authorized before its charge row existed", () => {
  it("captures an authorization whose latest_charge has no charges row (old code during the deploy window)", async () => {
    const m = await newMerchant();
    const pi = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      capture_method: "manual",
      confirm: "true",
      payment_method: "pm_card_visa",
    });
    expect(pi.body.status).toBe("requires_capture");
    const db = await dbOf(m.merchantId);
    await db.delete(charges); // as if authorized by the code before migration 0005 applied... after its backfill ran
    const cap = await post(m, `/v1/payment_intents/${pi.body.id}/capture`, {});
    const after = await get(m, `/v1/payment_intents/${pi.body.id}`);
    expect(cap.status).toBe(200);
    expect(after.body.status).toBe("succeeded");
  });
});

describe("refund of an intent whose latest_charge has no charges row", () => {
  it("refunds it", async () => {
    const m = await newMerchant();
    const pi = await post(m, "/v1/payment_intents", {
      amount: 1000,
      currency: "usd",
      confirm: "true",
      payment_method: "pm_card_visa",
    });
    expect(pi.body.status).toBe("succeeded");
    const db = await dbOf(m.merchantId);
    await db.delete(charges);
    const rf = await post(m, "/v1/refunds", { payment_intent: pi.body.id, amount: 100 });
    expect(rf.status).toBe(200);
    expect(rf.body.status).toBe("succeeded");
  });
});

/** GET /v1/balance follows the ledger through a life cycle: hold, partial capture (pending), pending refund (taken from available at once), paid refund. */
import { describe, expect, it } from "vitest";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";
import { newMerchant } from "../helpers/merchants";
import { get, pay, post, unbalancedTransactions } from "../helpers/payments";
import { sweepAll } from "../helpers/shards";

const usd = (amount: number) => [{ amount, currency: "usd" }];

describe("GET /v1/balance", () => {
  it("shows holds, pending funds, reserved and paid refunds as the ledger books them", async () => {
    const m = await newMerchant();
    // Every first processor call on this card times out after processing: the refund stays pending.
    const pi = (await pay(m, EDGEPAY_CARDS.timeoutAfterProcessing, { amount: 1000, capture_method: "manual" })).body;
    expect((await post(m, `/v1/payment_intents/${pi.id}/confirm`)).body.status).toBe("requires_capture");
    expect((await get(m, "/v1/balance")).body).toMatchObject({ authorized: usd(1000), pending: usd(0) });

    await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 600 });
    expect((await post(m, `/v1/payment_intents/${pi.id}/capture`, { amount_to_capture: 600 })).body.status).toBe(
      "succeeded",
    );
    expect((await get(m, "/v1/balance")).body).toMatchObject({ authorized: usd(0), pending: usd(600) });

    const refund = (await post(m, "/v1/refunds", { payment_intent: pi.id, amount: 200 })).body;
    expect(refund.status).toBe("pending");
    expect((await get(m, "/v1/balance")).body).toEqual({
      object: "balance",
      available: usd(-200),
      pending: usd(600),
      authorized: usd(0),
      refund_reserved: usd(200),
      refunded: usd(0),
      livemode: false,
    });

    await sweepAll({ at: Math.floor(Date.now() / 1000) + 120 });
    expect((await get(m, `/v1/refunds/${refund.id}`)).body.status).toBe("succeeded");
    expect((await get(m, "/v1/balance")).body).toMatchObject({
      available: usd(-200),
      pending: usd(600),
      refund_reserved: usd(0),
      refunded: usd(200),
    });
    expect(await unbalancedTransactions(m.merchantId)).toEqual([]);
  });
});

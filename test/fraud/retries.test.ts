/**
 * A retried authorization keeps its first run's verdict: the processor may already have answered
 * the first run, so a retry (the sweep, after an unknown answer) must neither lift a review hold
 * nor block an authorization the processor holds, whatever changed in between.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { newMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post, unfinished } from "../helpers/payments";
import { Faults } from "../helpers/processors";
import { sweepAll } from "../helpers/shards";

const later = () => Math.floor(Date.now() / 1000) + 600;

describe("a retried authorization keeps its first verdict", () => {
  it("a review hold survives an allow rule added before the sweep finishes the authorization", async () => {
    const m = await newMerchant();
    const faults = new Faults().set("authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const pm = await paymentMethod(m, "4000000000009235");
    const first = await post(
      m,
      "/v1/payment_intents",
      { amount: 3000, currency: "usd", payment_method: pm, confirm: "true" },
      { app },
    );
    expect(first.body.status).toBe("processing");
    // Meanwhile the merchant allows everything: a fresh screen would no longer hold the payment.
    await post(m, "/v1/radar/rules", { action: "allow", predicate: ":amount: > 0" });
    faults.clear();
    await sweepAll({ at: later(), processor: faults.factory });
    const pi = (await get(m, `/v1/payment_intents/${first.body.id}`)).body;
    expect(pi.status).toBe("requires_capture");
    expect(pi.review).toMatch(/^prv_/);
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("an authorization the processor holds is not blocked by a block list added before the sweep", async () => {
    const m = await newMerchant();
    const faults = new Faults().set("authorize", { kind: "lose_answer" });
    const app = createApp({ payments: { processor: faults.factory } });
    const pm = await paymentMethod(m, "4242424242424242");
    const first = await post(
      m,
      "/v1/payment_intents",
      { amount: 3000, currency: "usd", payment_method: pm, confirm: "true", capture_method: "manual" },
      { app },
    );
    expect(first.body.status).toBe("processing");
    await post(m, "/v1/radar/rules", { action: "block", predicate: ":amount: = 3000" });
    faults.clear();
    await sweepAll({ at: later(), processor: faults.factory });
    const pi = (await get(m, `/v1/payment_intents/${first.body.id}`)).body;
    expect(pi.status).toBe("requires_capture");
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });
});

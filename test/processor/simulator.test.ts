/** The built-in simulator against real D1: idempotent on keys, bounded follow-ups, scripted failures. */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getDb } from "../../src/db/client";
import { randomBase62 } from "../../src/lib/ids";
import { callProcessor } from "../../src/processor/connector";
import { SimulatedProcessor } from "../../src/processor/simulator";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";

// The simulator is keyed on the card number it reads; here the "vault" maps pm ids to numbers.
const sim = new SimulatedProcessor(getDb(env), async (_merchant, pm) => ({ number: pm.replace("pm_", "") }));
const key = () => `k_${randomBase62(12)}`;
const auth = (number: string, k = key(), amount = 1000) =>
  sim.authorize({
    key: k,
    merchantId: "mer_1",
    paymentMethod: `pm_${number}`,
    amount,
    currency: "usd",
    statementDescriptor: null,
  });

describe("SimulatedProcessor", () => {
  it("approves a good card once per key: a repeated key returns the first answer", async () => {
    const k = key();
    const first = (await auth("4242424242424242", k)) as { reference: string };
    expect(first).toMatchObject({ status: "approved", amount: 1000 });
    expect(await auth("4242424242424242", k)).toEqual(first);
  });

  it("declines with the card's code", async () => {
    expect(await auth("4000000000009995")).toEqual({
      status: "declined",
      code: "card_declined",
      decline_code: "insufficient_funds",
    });
  });

  it("captures once, within the authorization, and refunds only what was captured", async () => {
    const { reference } = (await auth("4242424242424242")) as { reference: string };
    const declined = { status: "refused", reason: "declined" };
    expect(await sim.capture({ key: key(), reference, amount: 1001 })).toEqual(declined);
    const ck = key();
    expect(await sim.capture({ key: ck, reference, amount: 600 })).toMatchObject({ status: "approved", amount: 600 });
    expect(await sim.capture({ key: ck, reference, amount: 600 })).toMatchObject({ status: "approved", amount: 600 });
    expect(await sim.capture({ key: key(), reference, amount: 100 })).toEqual(declined);
    expect(await sim.void({ key: key(), reference, amount: 1000 })).toEqual(declined);
    expect(await sim.refund({ key: key(), reference, amount: 500 })).toMatchObject({ status: "approved" });
    expect(await sim.refund({ key: key(), reference, amount: 101 })).toEqual(declined);
    expect(await sim.refund({ key: key(), reference, amount: 100 })).toMatchObject({ status: "approved" });
    expect(await sim.refund({ key: "k_unknown", reference: "auth_nope", amount: 1 })).toEqual({
      status: "refused",
      reason: "authorization_gone",
    });
  });

  it("after a void the authorization is gone: a capture is refused as such", async () => {
    const { reference } = (await auth("4242424242424242")) as { reference: string };
    expect(await sim.void({ key: key(), reference, amount: 1000 })).toMatchObject({ status: "approved" });
    expect(await sim.capture({ key: key(), reference, amount: 1000 })).toEqual({
      status: "refused",
      reason: "authorization_gone",
    });
  });

  it("timeout after processing: the first answer is lost, the retry with the same key gets the authorization", async () => {
    const k = key();
    const call = () => callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.timeoutAfterProcessing, k));
    expect(await call()).toEqual({ kind: "unknown" });
    const retry = await call();
    expect(retry.kind).toBe("approved");
    expect(await call()).toEqual(retry);
  });

  it("timeout before processing: the retry is processed, and follow-ups also lose their first answer", async () => {
    const k = key();
    expect(await callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.timeoutBeforeProcessing, k))).toEqual({
      kind: "unknown",
    });
    const retry = await callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.timeoutBeforeProcessing, k));
    if (retry.kind !== "approved") throw new Error("expected approval");
    const ck = key();
    const capture = () =>
      callProcessor("capture", 1000, () => sim.capture({ key: ck, reference: retry.reference, amount: 1000 }));
    expect(await capture()).toEqual({ kind: "unknown" });
    expect((await capture()).kind).toBe("approved");
  });

  it("the slow card answers (late) with an approval", async () => {
    expect(await callProcessor("authorize", 1000, () => auth(EDGEPAY_CARDS.slow))).toMatchObject({ kind: "approved" });
  });
});

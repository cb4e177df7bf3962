/**
 * A re-run after a lost complete answers what its first run got, and never runs the processor a
 * second time: a confirm the processor declined, or a capture it refused, leaves the intent where
 * the action is allowed again, so without a record the re-run (same Idempotency-Key, after
 * LEASE_MS) would authorize or capture. The claim records the request's key on its version row
 * (unique per intent) and the outcome records its answer; the re-run's claim is refused by that
 * index and answers the recorded outcome. Found by the issue 12 review.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { LEASE_MS } from "../../src/domain/idempotency";
import { loseComplete } from "../helpers/gate";
import { newMerchant } from "../helpers/merchants";
import { ledgerProblems, paymentMethod, post, processorOps } from "../helpers/payments";
import { Faults } from "../helpers/processors";

const VISA = "4242424242424242";

/** A merchant, an app on a fault-injecting simulator, and a manual intent of theirs in requires_capture. */
async function authorized() {
  const m = await newMerchant({ rateLimit: 1000 });
  const faults = new Faults();
  const app = createApp({ payments: { processor: faults.factory } });
  const pm = await paymentMethod(m, VISA);
  const paid = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", capture_method: "manual", payment_method: pm, confirm: "true" },
    { app },
  );
  expect(paid.body.status).toBe("requires_capture");
  return { m, faults, app, id: paid.body.id as string };
}

describe("a retry after a lost complete re-runs an action whose first attempt was refused", () => {
  it("confirm: declined (402), complete lost; the re-run under the same key answers the decline again and authorizes nothing", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const faults = new Faults();
    const app = createApp({ payments: { processor: faults.factory } });
    const created = await post(
      m,
      "/v1/payment_intents",
      { amount: 1000, currency: "usd", capture_method: "manual" },
      { app },
    );
    const id = created.body.id as string;
    const pm = await paymentMethod(m, VISA);
    const path = `/v1/payment_intents/${id}/confirm`;
    const key = "review-confirm-1";

    faults.set("authorize", { kind: "refuse", reason: "declined" }); // the issuer says no, this time
    const first = await post(m, path, { payment_method: pm }, { app, idempotencyKey: key });
    expect([first.status, first.body.error?.code]).toEqual([402, "card_declined"]);
    faults.clear();

    const clock = await loseComplete(m, path, key);
    clock.now += LEASE_MS;
    const retry = await post(m, path, { payment_method: pm }, { app, idempotencyKey: key });

    // Expected: the retry finds the first attempt's outcome (the 402), and no second authorization.
    expect({ status: retry.status, code: retry.body.error?.code, approved: await processorOps(`${id}_`) }).toEqual({
      status: 402,
      code: "card_declined",
      approved: [],
    });
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  for (const [action, op, code] of [
    ["capture", "capture", "processing_error"],
    ["cancel", "void", "processing_error"],
  ] as const) {
    it(`${action}: refused (402), complete lost; the re-run under the same key answers the 402 again; nothing more is approved`, async () => {
      const { m, faults, app, id } = await authorized();
      const path = `/v1/payment_intents/${id}/${action}`;
      const key = `rerun-${action}-1`;

      faults.set(op, { kind: "refuse", reason: "declined" });
      const first = await post(m, path, {}, { app, idempotencyKey: key });
      expect([first.status, first.body.error?.code]).toEqual([402, code]);
      faults.clear();

      const clock = await loseComplete(m, path, key);
      clock.now += LEASE_MS;
      const retry = await post(m, path, {}, { app, idempotencyKey: key });
      expect({
        status: retry.status,
        code: retry.body.error?.code,
        intent: retry.body.error?.payment_intent?.status,
        calls: (await processorOps(`${id}_`)).filter((o) => o === op),
      }).toEqual({ status: 402, code, intent: "requires_capture", calls: [] });
      expect(await ledgerProblems(m.merchantId)).toEqual([]);
      // Another key is a new request: it acts.
      const other = await post(m, path, {}, { app, idempotencyKey: `${key}-new` });
      expect(other.status).toBe(200);
    });
  }
  it("one Idempotency-Key sent to capture and then to cancel is two requests: the cancel acts", async () => {
    const { m, faults, app, id } = await authorized();
    faults.set("capture", { kind: "refuse", reason: "declined" });
    const refused = await post(m, `/v1/payment_intents/${id}/capture`, {}, { app, idempotencyKey: "shared-key" });
    expect(refused.status).toBe(402);
    faults.clear();
    const canceled = await post(m, `/v1/payment_intents/${id}/cancel`, {}, { app, idempotencyKey: "shared-key" });
    expect([canceled.status, canceled.body.status]).toEqual([200, "canceled"]);
  });
});

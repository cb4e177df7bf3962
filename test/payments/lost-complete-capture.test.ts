/**
 * A re-run capture request finds its own pending capture, on manual and automatic intents alike.
 * An automatic-capture intent whose automatic capture was refused is captured by hand through
 * `POST …/capture`. Found by the issue 12 review: a re-run of that request (after a lost complete,
 * a 5xx or a lock_timeout) did not count the pending capture as its own, finished it, then refused
 * itself with a saved 400 payment_intent_unexpected_state although its capture happened.
 */
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { LEASE_MS } from "../../src/domain/idempotency";
import { loseComplete } from "../helpers/gate";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { paymentMethod, post, processorOps } from "../helpers/payments";
import { Faults } from "../helpers/processors";

const VISA = "4242424242424242";

/** An intent in requires_capture with `captureMethod`; an automatic one gets there by a refused automatic capture. */
async function capturable(m: TestMerchant, faults: Faults, app: ReturnType<typeof createApp>, method: string) {
  const pm = await paymentMethod(m, VISA);
  if (method === "automatic") faults.set("capture", { kind: "refuse", reason: "declined" });
  const res = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", capture_method: method, payment_method: pm, confirm: "true" },
    { app },
  );
  faults.clear();
  const id = (res.body.id ?? res.body.error?.payment_intent?.id) as string;
  return id;
}

describe("a re-run capture request finds its own pending capture", () => {
  for (const method of ["manual", "automatic"]) {
    it(`${method} capture_method: capture with an unknown outcome, complete lost, retry under the same key answers 200`, async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      const faults = new Faults();
      const app = createApp({ payments: { processor: faults.factory } });
      const id = await capturable(m, faults, app, method);
      const path = `/v1/payment_intents/${id}/capture`;
      const key = `review-autocap-${method}`;

      faults.set("capture", { kind: "lose_answer" }); // the processor captures; the answer is lost
      const first = await post(m, path, {}, { app, idempotencyKey: key });
      expect([first.status, first.body.status]).toEqual([200, "processing"]);
      faults.clear();

      const clock = await loseComplete(m, path, key);
      clock.now += LEASE_MS;
      const retry = await post(m, path, {}, { app, idempotencyKey: key });
      expect((await processorOps(`${id}_`)).filter((op) => op === "capture")).toEqual(["capture"]);
      // Expected (and observed for manual): 200 succeeded. Observed for automatic: 400
      // payment_intent_unexpected_state "…status of succeeded", saved under the key.
      expect({ status: retry.status, code: retry.body.error?.code, state: retry.body.status }).toEqual({
        status: 200,
        code: undefined,
        state: "succeeded",
      });
    });
  }
});

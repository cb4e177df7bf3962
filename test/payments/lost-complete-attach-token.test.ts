/**
 * A create that attaches a `tok_` without confirming spends the token in the
 * batch that inserts the intent. When its complete is lost and the retry re-runs the handler
 * (after LEASE_MS), the handler resolves the token first, finds it spent and answers 404
 * resource_missing (noEffect, so the key is released and every later retry gets the same 404),
 * instead of finding the intent its first run created under that key, as the README promises for
 * creates ("the create handlers answer with the existing object on conflict"). Found by the issue 12
 * review; fixed by `createIntent` (payments/actions.ts).
 */
import { describe, expect, it } from "vitest";
import { LEASE_MS } from "../../src/domain/idempotency";
import { loseComplete } from "../helpers/gate";
import { newMerchant } from "../helpers/merchants";
import { cardToken, post } from "../helpers/payments";

describe("create with a tok_ attached (no confirm), re-run after a lost complete", () => {
  it("answers the intent the first run created, not 404 for the token it spent", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const tok = await cardToken(m, "4242424242424242");
    const fields = { amount: 1000, currency: "usd", payment_method: tok };
    const key = "review-attach-tok";
    const first = await post(m, "/v1/payment_intents", fields, { idempotencyKey: key });
    expect([first.status, first.body.status]).toEqual([200, "requires_confirmation"]);

    const clock = await loseComplete(m, "/v1/payment_intents", key);
    clock.now += LEASE_MS;
    const retry = await post(m, "/v1/payment_intents", fields, { idempotencyKey: key });
    // Observed: 404 resource_missing (payment_method), never saved.
    expect({ status: retry.status, code: retry.body.error?.code, id: retry.body.id }).toEqual({
      status: 200,
      code: undefined,
      id: first.body.id,
    });
  });
});

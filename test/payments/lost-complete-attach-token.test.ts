/**
 * Review (issue 12): a create that attaches a `tok_` without confirming spends the token in the
 * batch that inserts the intent. When its complete is lost and the retry re-runs the handler
 * (after LEASE_MS), the handler resolves the token first, finds it spent and answers 404
 * resource_missing (noEffect, so the key is released and every later retry gets the same 404),
 * instead of finding the intent its first run created under that key, as the README promises for
 * creates ("the create handlers answer with the existing object on conflict").
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { LEASE_MS } from "../../src/domain/idempotency";
import { keyShardOf } from "../../src/domain/limits";
import { keyShardName, type MerchantGate } from "../../src/durable/merchant-gate";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { cardToken, post } from "../helpers/payments";

/** Puts a saved key back where a Worker that died before its deferred complete landed leaves it. */
async function loseComplete(m: TestMerchant, path: string, key: string) {
  const clock = { now: Date.now() };
  const stub = env.MERCHANT_GATE.getByName(keyShardName(m.merchantId, keyShardOf(key)));
  await runInDurableObject(stub, (instance: MerchantGate, state) => {
    instance.clock = () => clock.now;
    const written = state.storage.sql.exec(
      `UPDATE idempotency_keys SET state = 'running', lease_id = 'dead-worker', lease_until = ?,
              status = NULL, headers = NULL, body = NULL, request_id = NULL
        WHERE scope = ?`,
      clock.now + LEASE_MS,
      JSON.stringify(["POST", path, key]),
    ).rowsWritten;
    expect(written).toBe(1);
  });
  return clock;
}

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

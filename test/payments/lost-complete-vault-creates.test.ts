/**
 * A re-run of a vault create after a lost complete (the key frees itself after LEASE_MS) returns
 * the first object: payment_methods store the create's Idempotency-Key, unique per merchant and
 * kind (a pm_, or the single-use pm_ behind a tok_), so the re-run seals no second card. Found by
 * the issue 12 review. One key sent to both routes is two requests (the gate scopes keys by route).
 */
import { describe, expect, it } from "vitest";
import { LEASE_MS } from "../../src/domain/idempotency";
import { loseComplete } from "../helpers/gate";
import { newMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const CARD = {
  "card[number]": "4242424242424242",
  "card[exp_month]": "12",
  "card[exp_year]": "2040",
  "card[cvc]": "123",
};

describe("vault creates re-run after a lost complete", () => {
  for (const [path, fields] of [
    ["/v1/payment_methods", { type: "card", ...CARD }],
    ["/v1/tokens", CARD],
  ] as const) {
    it(`${path}: the retry under the same key returns the first object, not a second one`, async () => {
      const m = await newMerchant({ rateLimit: 1000 });
      const key = `review-vault-${path}`;
      const first = await post(m, path, fields, { idempotencyKey: key });
      expect(first.status).toBe(200);
      const clock = await loseComplete(m, path, key);
      clock.now += LEASE_MS;
      const retry = await post(m, path, fields, { idempotencyKey: key });
      expect(retry.status).toBe(200);
      expect(retry.body.id).toBe(first.body.id);
      const sealed = await (await dbOf(m.merchantId)).$client
        .prepare("select count(*) as n from payment_methods where merchant_id = ?")
        .bind(m.merchantId)
        .first<{ n: number }>();
      expect(sealed?.n).toBe(1);
    });
  }

  it("one key sent to /v1/payment_methods and to /v1/tokens is two requests: two objects", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const pm = await post(m, "/v1/payment_methods", { type: "card", ...CARD }, { idempotencyKey: "shared" });
    const tok = await post(m, "/v1/tokens", CARD, { idempotencyKey: "shared" });
    expect([pm.status, tok.status]).toEqual([200, 200]);
    expect(String(tok.body.id)).toMatch(/^tok_/);
    expect(String(pm.body.id)).toMatch(/^pm_/);
  });
});

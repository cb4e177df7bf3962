/** The cron trigger clears CVCs past their expiry even when no other vault write happens. */
import { createExecutionContext, createScheduledController, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { eq, isNotNull } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentMethods } from "../../src/db/schema";
import worker from "../../src/index";
import { createPaymentMethod, detokenize } from "../../src/vault";
import { CARDS, vaultCard } from "../helpers/cards";
import { newMerchant } from "../helpers/merchants";
import { dbOf, vaultOf } from "../helpers/shards";

describe("scheduled CVC sweep", () => {
  it("clears every expired CVC, across several batches, and keeps live ones", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);
    const expired = [];
    for (let i = 0; i < 105; i++)
      expired.push(await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number)));
    await db.update(paymentMethods).set({ cvcExpiresAt: 1 });
    const live = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    // The write above purged one bounded batch (100) already; the sweep must finish the rest.
    const ctx = createExecutionContext();
    await worker.scheduled(createScheduledController({ cron: "*/15 * * * *" }), env, ctx);
    await waitOnExecutionContext(ctx);

    const held = await db
      .select({ id: paymentMethods.id })
      .from(paymentMethods)
      .where(isNotNull(paymentMethods.cvcCiphertext));
    expect(held).toEqual([{ id: live.id }]);
    expect((await detokenize(await vaultOf(m), m, live.id)).cvc).toBe("123");
    const row = await db
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.id, expired[104]?.id as string))
      .get();
    expect(row).toMatchObject({ cvcCiphertext: null, cvcExpiresAt: null });
  });
});

/**
 * The vault interface the payment flow uses (claimPaymentMethod, detokenize, forgetCvc), against
 * the real local D1: tenant isolation, single-use tokens under concurrency, CVC lifetime, and
 * ciphertexts moved between rows failing closed.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentMethods, tokens } from "../../src/db/schema";
import { ApiError } from "../../src/errors";
import {
  claimPaymentMethod,
  createPaymentMethod,
  createToken,
  detachPaymentMethod,
  detokenize,
  forgetCvc,
  resolveForCharge,
} from "../../src/vault";
import { CARDS, vaultCard } from "../helpers/cards";
import { newMerchant } from "../helpers/merchants";
import { dbOf, vaultOf } from "../helpers/shards";

async function expect404(promise: Promise<unknown>) {
  const err = await promise.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ApiError);
  expect(err).toMatchObject({ code: "resource_missing", status: 404, details: { param: "payment_method" } });
  return err as ApiError;
}

describe("claimPaymentMethod", () => {
  it("returns the card without PAN or CVC for the merchant's own pm_", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    const claimed = await claimPaymentMethod(await vaultOf(m), m, pm.id);
    expect(claimed).toEqual({
      id: pm.id,
      card: {
        brand: "visa",
        country: "US",
        last4: "4242",
        exp_month: 12,
        exp_year: 2040,
        fingerprint: pm.fingerprint,
        funding: "credit",
      },
    });
    // Reusable: a payment method can be claimed again.
    expect((await claimPaymentMethod(await vaultOf(m), m, pm.id)).id).toBe(pm.id);
  });

  it("gives another merchant the same 404 as an unknown id, for pm_ and tok_", async () => {
    const a = (await newMerchant()).merchantId;
    const b = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(a), a, vaultCard(CARDS.visa.number));
    const { token } = await createToken(await vaultOf(a), a, vaultCard(CARDS.visa.number));
    const foreign = await expect404(claimPaymentMethod(await vaultOf(b), b, pm.id));
    const unknown = await expect404(claimPaymentMethod(await vaultOf(b), b, "pm_doesnotexist000000000000"));
    expect(foreign.message).toBe(unknown.message);
    await expect404(claimPaymentMethod(await vaultOf(b), b, token.id));
    await expect404(detokenize(await vaultOf(b), b, pm.id));
    // B's failed claim did not consume A's token.
    expect((await claimPaymentMethod(await vaultOf(a), a, token.id)).id).toBe(
      (await (await dbOf(a)).select().from(tokens).where(eq(tokens.id, token.id)).get())?.paymentMethodId,
    );
  });

  it("rejects ids of other kinds", async () => {
    const m = (await newMerchant()).merchantId;
    for (const id of ["", "pi_123", "4242424242424242", m])
      await expect404(claimPaymentMethod(await vaultOf(m), m, id));
  });

  it("consumes a token once; the wrapped pm_ is not chargeable by its own id", async () => {
    const m = (await newMerchant()).merchantId;
    const { token, paymentMethod } = await createToken(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    await expect404(claimPaymentMethod(await vaultOf(m), m, paymentMethod.id));
    const claimed = await claimPaymentMethod(await vaultOf(m), m, token.id);
    expect(claimed.id).toBe(paymentMethod.id);
    await expect404(claimPaymentMethod(await vaultOf(m), m, token.id));
    const row = await (await dbOf(m)).select().from(tokens).where(eq(tokens.id, token.id)).get();
    expect(row).toMatchObject({ used: true });
    expect(row?.usedAt).toBeTypeOf("number");
  });

  it("lets exactly one of many concurrent claims of one token win", async () => {
    const m = (await newMerchant()).merchantId;
    const { token } = await createToken(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    const vault = await vaultOf(m);
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => claimPaymentMethod(vault, m, token.id)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((r) => r.status === "rejected")) {
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: "resource_missing" });
    }
  });

  it("refuses detached payment methods and tokens whose payment method was detached", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    await detachPaymentMethod(await vaultOf(m), m, pm.id);
    await expect404(claimPaymentMethod(await vaultOf(m), m, pm.id));
    await expect404(detokenize(await vaultOf(m), m, pm.id));
    const { token, paymentMethod } = await createToken(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    await detachPaymentMethod(await vaultOf(m), m, paymentMethod.id);
    await expect404(claimPaymentMethod(await vaultOf(m), m, token.id));
    expect(await (await dbOf(m)).select().from(tokens).where(eq(tokens.id, token.id)).get()).toMatchObject({
      used: false,
    });
  });
});

describe("detokenize and forgetCvc", () => {
  it("returns the card to the connector, then no CVC once forgotten", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard("378282246310005", "1234"));
    expect(await detokenize(await vaultOf(m), m, pm.id)).toEqual({
      number: "378282246310005",
      exp_month: 12,
      exp_year: 2040,
      cvc: "1234",
    });
    await forgetCvc(await vaultOf(m), m, pm.id);
    expect((await detokenize(await vaultOf(m), m, pm.id)).cvc).toBeNull();
    const row = await (await dbOf(m)).select().from(paymentMethods).where(eq(paymentMethods.id, pm.id)).get();
    expect(row).toMatchObject({ cvcCiphertext: null, cvcExpiresAt: null });
  });

  it("reuses a claimed record only once it holds no CVC", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    const withCvc = (await resolveForCharge(await vaultOf(m), m, pm.id)).sealed;
    await forgetCvc(await vaultOf(m), m, pm.id);
    // The claim still holds the CVC, but it was forgotten since: the vault reads afresh.
    expect((await detokenize(await vaultOf(m), m, pm.id, withCvc)).cvc).toBeNull();
    const noCvc = (await resolveForCharge(await vaultOf(m), m, pm.id)).sealed;
    await detachPaymentMethod(await vaultOf(m), m, pm.id);
    // Without a CVC the claimed record is used as read (the detach came after this request's claim).
    expect((await detokenize(await vaultOf(m), m, pm.id, noCvc)).number).toBe(CARDS.visa.number);
    await expect404(detokenize(await vaultOf(m), m, pm.id));
    // Another merchant's id never matches the claimed record.
    const other = (await newMerchant()).merchantId;
    await expect404(detokenize(await vaultOf(other), other, pm.id, noCvc));
  });

  it("forgetCvc of another merchant changes nothing", async () => {
    const a = (await newMerchant()).merchantId;
    const b = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(a), a, vaultCard(CARDS.visa.number));
    await forgetCvc(await vaultOf(b), b, pm.id);
    expect((await detokenize(await vaultOf(a), a, pm.id)).cvc).toBe("123");
  });

  it("does not hand out an expired CVC, and the next vault write purges it", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    const db = await dbOf(m);
    await db.update(paymentMethods).set({ cvcExpiresAt: 1 }).where(eq(paymentMethods.id, pm.id));
    expect((await detokenize(await vaultOf(m), m, pm.id)).cvc).toBeNull();
    await createPaymentMethod(await vaultOf(m), m, vaultCard("5555555555554444", null));
    const row = await db.select().from(paymentMethods).where(eq(paymentMethods.id, pm.id)).get();
    expect(row).toMatchObject({ cvcCiphertext: null, cvcExpiresAt: null });
  });

  it("holds a CVC for at most the TTL", async () => {
    const m = (await newMerchant()).merchantId;
    const before = Math.floor(Date.now() / 1000);
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    expect(pm.cvcExpiresAt).toBeGreaterThanOrEqual(before + 30 * 60);
    expect(pm.cvcExpiresAt).toBeLessThanOrEqual(before + 30 * 60 + 2);
    const noCvc = await createPaymentMethod(await vaultOf(m), m, vaultCard("4242424242424242", null));
    expect(noCvc).toMatchObject({ cvcCiphertext: null, cvcExpiresAt: null });
  });

  it("fails closed when two rows' ciphertexts are swapped in D1", async () => {
    const m = (await newMerchant()).merchantId;
    const a = await createPaymentMethod(await vaultOf(m), m, vaultCard("4242424242424242"));
    const b = await createPaymentMethod(await vaultOf(m), m, vaultCard("5555555555554444"));
    const db = await dbOf(m);
    const swap = (from: typeof a, to: typeof a) =>
      db
        .update(paymentMethods)
        .set({ wrappedKey: from.wrappedKey, panCiphertext: from.panCiphertext, cvcCiphertext: from.cvcCiphertext })
        .where(eq(paymentMethods.id, to.id));
    await db.batch([swap(a, b), swap(b, a)]);
    await expect(detokenize(await vaultOf(m), m, a.id)).rejects.toThrow("could not be decrypted");
    await expect(detokenize(await vaultOf(m), m, b.id)).rejects.toThrow("could not be decrypted");
    // Only the PAN moved: still fails, the data key is bound to the row.
    const c = await createPaymentMethod(await vaultOf(m), m, vaultCard("4242424242424242"));
    const d = await createPaymentMethod(await vaultOf(m), m, vaultCard("5555555555554444"));
    await db.update(paymentMethods).set({ panCiphertext: d.panCiphertext }).where(eq(paymentMethods.id, c.id));
    await expect(detokenize(await vaultOf(m), m, c.id)).rejects.toThrow("could not be decrypted");
  });

  it("detaching shreds the sealed secrets", async () => {
    const m = (await newMerchant()).merchantId;
    const pm = await createPaymentMethod(await vaultOf(m), m, vaultCard(CARDS.visa.number));
    const detached = await detachPaymentMethod(await vaultOf(m), m, pm.id);
    expect(detached).toMatchObject({
      status: "detached",
      keyVersion: null,
      wrappedKey: null,
      panCiphertext: null,
      cvcCiphertext: null,
    });
    expect(detached.detachedAt).toBeTypeOf("number");
  });
});

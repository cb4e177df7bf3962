/**
 * Key rotation end to end against the real D1: records written under KEK v1 keep decrypting after
 * v2 is added, new records use v2, bounded batches move everything to v2 and can be resumed, and
 * v1 can then be retired. Rotation works on a copy of the real env with another VAULT_KEKS value,
 * exactly as a redeploy with a new secret would.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/crypto/encoding";
import { paymentMethods } from "../../src/db/schema";
import { createPaymentMethod, detachPaymentMethod, detokenize, forgetCvc, rotateVault } from "../../src/vault";
import { vaultCard } from "../helpers/cards";
import { newMerchant } from "../helpers/merchants";
import { dbOf, shardIndexOf, shards, vaultOf } from "../helpers/shards";

const v1 = JSON.parse(env.VAULT_KEKS) as Array<{ version: number; key: string }>;
const v2 = { version: 2, key: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
const envV12: Env = { ...env, VAULT_KEKS: JSON.stringify([...v1, v2]) };
const envV2: Env = { ...env, VAULT_KEKS: JSON.stringify([v2]) };

const PANS = ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117", "3566002020360505"];

const card = (pan: string) => vaultCard(pan, pan.startsWith("37") ? "1234" : "123");

const versions = async (ids: string[]) => {
  const rows = (await Promise.all(shards().map((db) => db.select().from(paymentMethods).all()))).flat();
  return ids.map((id) => rows.find((r) => r.id === id)?.keyVersion);
};

describe("rotateVault", () => {
  it("moves every record to the newest KEK in bounded, resumable batches", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);

    const old = [];
    for (const pan of PANS) old.push(await createPaymentMethod(await vaultOf(m), m, card(pan)));
    expect(old.every((r) => r.keyVersion === 1)).toBe(true);
    await forgetCvc(await vaultOf(m), m, old[1]?.id as string);
    const shredded = await createPaymentMethod(await vaultOf(m), m, card(PANS[0] as string));
    await detachPaymentMethod(await vaultOf(m), m, shredded.id);

    // Deploy v2: new records use it, old ones still open.
    const fresh = await createPaymentMethod(await vaultOf(m, envV12), m, card(PANS[0] as string));
    expect(fresh.keyVersion).toBe(2);
    expect((await detokenize(await vaultOf(m, envV12), m, old[0]?.id as string)).number).toBe(PANS[0]);
    // Under v2 alone, v1 records fail closed.
    await expect(detokenize(await vaultOf(m, envV2), m, old[0]?.id as string)).rejects.toThrow(
      "could not be decrypted",
    );

    // Batches of 2, resumed from the returned cursor.
    const first = await rotateVault(envV12, 2);
    expect(first).toMatchObject({ keyVersion: 2, rotated: 2, failed: [], remaining: 3 });
    expect(first.nextStartingAfter).toMatch(/^pm_/);
    const second = await rotateVault(envV12, 2, first.nextStartingAfter ?? undefined);
    expect(second).toMatchObject({ rotated: 2, remaining: 1 });
    const third = await rotateVault(envV12, 2, second.nextStartingAfter ?? undefined);
    expect(third).toMatchObject({ rotated: 1, remaining: 0, nextStartingAfter: null });
    // Nothing left: another call is a no-op.
    expect(await rotateVault(envV12, 2)).toMatchObject({ rotated: 0, remaining: 0, nextStartingAfter: null });

    expect(await versions(old.map((r) => r.id))).toEqual([2, 2, 2, 2, 2]);
    // Detached records hold no secrets and are not rotated.
    expect(await versions([shredded.id])).toEqual([null]);

    // v1 retired: everything opens under v2 alone, with the same data and the CVC state preserved.
    for (const [i, r] of old.entries()) {
      const opened = await detokenize(await vaultOf(m, envV2), m, r.id);
      expect(opened.number).toBe(PANS[i]);
      expect(opened.cvc).toBe(i === 1 ? null : PANS[i]?.startsWith("37") ? "1234" : "123");
    }
    // Fresh data keys: no ciphertext survived the rotation.
    const after = await db
      .select()
      .from(paymentMethods)
      .where(eq(paymentMethods.id, old[0]?.id as string))
      .get();
    expect(after?.wrappedKey).not.toBe(old[0]?.wrappedKey);
    expect(after?.panCiphertext).not.toBe(old[0]?.panCiphertext);
  });

  it("reports records it cannot open instead of stopping, and leaves them untouched", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);
    const good = await createPaymentMethod(await vaultOf(m), m, card(PANS[0] as string));
    const bad = await createPaymentMethod(await vaultOf(m), m, card(PANS[1] as string));
    await db.update(paymentMethods).set({ panCiphertext: good.panCiphertext }).where(eq(paymentMethods.id, bad.id));

    const result = await rotateVault(envV12, 50);
    expect(result.failed).toEqual([bad.id]);
    expect(result.remaining).toBe(1);
    expect(await versions([good.id, bad.id])).toEqual([2, 1]);
  });
});

describe("rotateVault over shards", () => {
  it("rotates the records of every shard under one cursor, in id order", async () => {
    const merchants = [(await newMerchant()).merchantId, (await newMerchant()).merchantId];
    expect(new Set(await Promise.all(merchants.map(shardIndexOf))).size).toBe(2);
    const ids: string[] = [];
    for (const m of merchants) {
      for (const pan of PANS.slice(0, 3)) ids.push((await createPaymentMethod(await vaultOf(m), m, card(pan))).id);
    }
    // Records other tests of this file left (one of them tampered with) are walked over too.
    let cursor: string | undefined;
    for (;;) {
      const step = await rotateVault(envV12, 4, cursor);
      expect(step.failed.filter((id) => ids.includes(id))).toEqual([]);
      if (step.nextStartingAfter === null) break;
      expect(cursor === undefined || step.nextStartingAfter > cursor).toBe(true);
      cursor = step.nextStartingAfter;
    }
    expect(await versions(ids)).toEqual(ids.map(() => 2));
    for (const [i, id] of ids.entries()) {
      const m = merchants[i < 3 ? 0 : 1] as string;
      expect((await detokenize(await vaultOf(m, envV2), m, id)).number).toBe(PANS[i % 3]);
    }
  });
});

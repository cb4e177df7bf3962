/**
 * Vault key rotation moves webhook secrets too: after a new KEK is added, `rotateVault` re-seals
 * every endpoint's secret (and a previous secret that still signs) under it, so the old KEK can be
 * retired without breaking signing; an expired previous secret is dropped rather than carried over.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { toBase64Url } from "../../src/crypto/encoding";
import { webhookEndpoints } from "../../src/db/schema";
import { getEndpoint } from "../../src/db/webhook-endpoints";
import { rotateVault } from "../../src/vault";
import { openWebhookSecret, sealedVersion } from "../../src/webhooks/secrets";
import { newMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";
import { newEndpoint } from "../helpers/webhooks";

const v1 = JSON.parse(env.VAULT_KEKS) as Array<{ version: number; key: string }>;
const v2 = { version: 2, key: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
const envV12: Env = { ...env, VAULT_KEKS: JSON.stringify([...v1, v2]) };
const envV2: Env = { ...env, VAULT_KEKS: JSON.stringify([v2]) };

describe("rotateVault and webhook secrets", () => {
  it("re-seals current and live previous secrets under the newest KEK, drops expired ones", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const plain = await newEndpoint(m);
    const rolled = await newEndpoint(m);
    const roll = (await post(m, `/v1/webhook_endpoints/${rolled.id}/roll_secret`, { expires_in: 3600 })).body;
    const expired = await newEndpoint(m);
    await post(m, `/v1/webhook_endpoints/${expired.id}/roll_secret`, { expires_in: 1 });
    await new Promise((r) => setTimeout(r, 1100));

    // Under v2 alone, v1 secrets fail closed: rotation is needed before v1 can go.
    const before = await getEndpoint(db, m.merchantId, plain.id);
    await expect(openWebhookSecret(envV2, m.merchantId, plain.id, before?.secretSealed as string)).rejects.toThrow(
      "could not be decrypted",
    );

    const result = await rotateVault(envV12, 100);
    expect(result).toMatchObject({ keyVersion: 2, failed: [], remaining: 0 });
    expect(result.rotated).toBe(3);

    const [p, r, e] = await Promise.all([plain, rolled, expired].map((w) => getEndpoint(db, m.merchantId, w.id)));
    expect(sealedVersion(p?.secretSealed as string)).toBe(2);
    expect(await openWebhookSecret(envV2, m.merchantId, plain.id, p?.secretSealed as string)).toBe(plain.secret);
    expect(await openWebhookSecret(envV2, m.merchantId, rolled.id, r?.secretSealed as string)).toBe(roll.secret);
    expect(await openWebhookSecret(envV2, m.merchantId, rolled.id, r?.previousSecretSealed as string)).toBe(
      rolled.secret,
    );
    expect([e?.previousSecretSealed, e?.previousSecretExpiresAt]).toEqual([null, null]);
    // Nothing left: another pass is a no-op.
    expect(await rotateVault(envV12, 100)).toMatchObject({ rotated: 0, remaining: 0 });
  });

  it("reports an endpoint whose secret cannot be opened and leaves it as it is", async () => {
    const m = await newMerchant();
    const we = await newEndpoint(m);
    const db = await dbOf(m.merchantId);
    const row = await getEndpoint(db, m.merchantId, we.id);
    const tampered = JSON.stringify({ ...JSON.parse(row?.secretSealed as string), s: "AAAA".repeat(12) });
    await db.update(webhookEndpoints).set({ secretSealed: tampered }).where(eq(webhookEndpoints.id, we.id));
    const result = await rotateVault(envV12, 100);
    expect(result.failed).toContain(we.id);
    expect(result.remaining).toBeGreaterThanOrEqual(1);
    expect((await getEndpoint(db, m.merchantId, we.id))?.secretSealed).toBe(tampered);
  });

  it("steps past endpoints it cannot open with a cursor of their own, and reaches the ones after them", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const good = await newEndpoint(m);
    // Two endpoints that cannot be opened, with the lowest ids: without a cursor they would fill every batch of 2.
    const bad: string[] = [];
    for (const suffix of ["a", "b"]) {
      const we = await newEndpoint(m);
      const row = await getEndpoint(db, m.merchantId, we.id);
      const id = `we_0000000000${suffix}`;
      const tampered = JSON.stringify({ ...JSON.parse(row?.secretSealed as string), s: "AAAA".repeat(12) });
      await db.update(webhookEndpoints).set({ id, secretSealed: tampered }).where(eq(webhookEndpoints.id, we.id));
      bad.push(id);
    }
    const failed = new Set<string>();
    let cursor: string | undefined;
    let batches = 0;
    for (; batches < 20; batches++) {
      const step = await rotateVault(envV12, 2, undefined, cursor);
      for (const id of step.failed) failed.add(id);
      if (step.nextWebhookStartingAfter === null) break;
      expect(cursor === undefined || step.nextWebhookStartingAfter > cursor).toBe(true);
      cursor = step.nextWebhookStartingAfter;
    }
    expect(batches).toBeLessThan(20);
    expect(bad.every((id) => failed.has(id))).toBe(true);
    const row = await getEndpoint(db, m.merchantId, good.id);
    expect(sealedVersion(row?.secretSealed as string)).toBe(2);
    expect(await openWebhookSecret(envV2, m.merchantId, good.id, row?.secretSealed as string)).toBe(good.secret);
  });
});

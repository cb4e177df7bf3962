/**
 * Vault key rotation moves connector credentials too: after a new KEK is added, `rotateVault`
 * re-seals every account's sealed key under it (same binding to merchant and account), so the old
 * KEK can be retired; a concurrent credential update is never overwritten, and an account that
 * cannot be opened is reported, left as it is, and stepped past with a cursor of its own.
 */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { openCredentials, sealCredentials } from "../../src/connectors/credentials";
import { toBase64Url } from "../../src/crypto/encoding";
import { sealedVersion } from "../../src/crypto/sealed-secret";
import { getConnectorAccount, resealCredentials } from "../../src/db/connector-accounts";
import { connectorAccounts } from "../../src/db/schema";
import { rotateVault } from "../../src/vault";
import { newMerchant, operator } from "../helpers/merchants";
import { dbOf } from "../helpers/shards";

const v1 = JSON.parse(env.VAULT_KEKS) as Array<{ version: number; key: string }>;
const v2 = { version: 2, key: toBase64Url(crypto.getRandomValues(new Uint8Array(32))) };
const envV12: Env = { ...env, VAULT_KEKS: JSON.stringify([...v1, v2]) };
const envV2: Env = { ...env, VAULT_KEKS: JSON.stringify([v2]) };
const KEY = "sk_test_RoTaTeMe0123456789";

/** A connector account made through the operator API under the deployed KEKs (v1 only). */
const newAccount = async (merchantId: string, body: Record<string, unknown>) =>
  (await operator<{ id: string }>(`/admin/v1/merchants/${merchantId}/connector_accounts`, body)).id;

describe("rotateVault and connector credentials", () => {
  it("re-seals an account's key under the newest KEK, bound to the same merchant and account", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);
    const id = await newAccount(m, { kind: "stripe", mode: "test", credentials: { secret_key: KEY } });
    const sim = await newAccount(m, { kind: "simulator", mode: "test" });
    const before = await getConnectorAccount(db, m, id);
    expect(sealedVersion(before?.credentialsSealed as string)).toBe(1);
    // Under v2 alone, the v1 key fails closed: rotation is needed before v1 can go.
    await expect(openCredentials(envV2, m, id, before?.credentialsSealed as string)).rejects.toThrow(
      "could not be decrypted",
    );

    const result = await rotateVault(envV12, 100);
    expect(result).toMatchObject({ keyVersion: 2, rotated: 1, failed: [], remaining: 0 });
    expect(result.nextConnectorStartingAfter).toBeNull();

    const after = await getConnectorAccount(db, m, id);
    expect(sealedVersion(after?.credentialsSealed as string)).toBe(2);
    expect(await openCredentials(envV2, m, id, after?.credentialsSealed as string)).toBe(KEY);
    // Bound as before: it does not open as another account's.
    await expect(openCredentials(envV2, m, sim, after?.credentialsSealed as string)).rejects.toThrow();
    // Nothing else about the account changed; the account without credentials was not touched.
    expect({ ...after, credentialsSealed: null }).toEqual({ ...before, credentialsSealed: null });
    expect((await getConnectorAccount(db, m, sim))?.credentialsSealed).toBeNull();
    // Nothing left: another pass is a no-op.
    expect(await rotateVault(envV12, 100)).toMatchObject({ rotated: 0, remaining: 0 });
  });

  it("never overwrites credentials updated after the rotation read them", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);
    const id = await newAccount(m, { kind: "stripe", mode: "test", credentials: { secret_key: KEY } });
    const read = (await getConnectorAccount(db, m, id)) as NonNullable<Awaited<ReturnType<typeof getConnectorAccount>>>;
    const resealed = await sealCredentials(envV12, m, id, KEY);
    // The operator sets a new key between the rotation's read and its write.
    const newer = await sealCredentials(envV12, m, id, "sk_test_NewerKey98765432");
    await db.update(connectorAccounts).set({ credentialsSealed: newer }).where(eq(connectorAccounts.id, id));
    expect(await resealCredentials(db, read, resealed)).toEqual([]);
    expect((await getConnectorAccount(db, m, id))?.credentialsSealed).toBe(newer);
    // Unchanged, the same write applies.
    const current = (await getConnectorAccount(db, m, id)) as typeof read;
    expect(await resealCredentials(db, current, resealed)).toEqual([{ id }]);
  });

  it("reports accounts it cannot open, leaves them as they are, and steps past them with its own cursor", async () => {
    const m = (await newMerchant()).merchantId;
    const db = await dbOf(m);
    const good = await newAccount(m, { kind: "stripe", mode: "test", credentials: { secret_key: KEY } });
    // Two accounts that cannot be opened, with the lowest ids: without a cursor they would fill every batch of 2.
    const bad: string[] = [];
    for (const suffix of ["a", "b"]) {
      const acc = await newAccount(m, { kind: "stripe", mode: "test", credentials: { secret_key: KEY } });
      const row = await getConnectorAccount(db, m, acc);
      const tampered = JSON.stringify({ ...JSON.parse(row?.credentialsSealed as string), s: "AAAA".repeat(12) });
      const id = `mca_0000000000${suffix}`;
      await db.update(connectorAccounts).set({ id, credentialsSealed: tampered }).where(eq(connectorAccounts.id, acc));
      bad.push(id);
    }
    const failed = new Set<string>();
    let cursor: string | undefined;
    let batches = 0;
    for (; batches < 20; batches++) {
      const step = await rotateVault(envV12, 2, undefined, undefined, cursor);
      for (const id of step.failed) failed.add(id);
      if (step.nextConnectorStartingAfter === null) break;
      expect(cursor === undefined || step.nextConnectorStartingAfter > cursor).toBe(true);
      cursor = step.nextConnectorStartingAfter;
    }
    expect(batches).toBeLessThan(20);
    expect([...failed].filter((id) => id.startsWith("mca_")).sort()).toEqual(bad);
    const row = await getConnectorAccount(db, m, good);
    expect(await openCredentials(envV2, m, good, row?.credentialsSealed as string)).toBe(KEY);
    // The tampered ones are still there, still stale, still counted.
    expect(sealedVersion((await getConnectorAccount(db, m, bad[0] as string))?.credentialsSealed as string)).toBe(1);
    expect((await rotateVault(envV12, 100)).remaining).toBe(2);
  });
});

/**
 * The vault key rotation's share for connector credentials: re-seals each connector account's
 * credentials sealed under an older KEK with a fresh data key under the newest one, bound as before
 * to `["connector_credentials", merchant id, account id]`. Called by the vault's rotation
 * (vault/rotate.ts) on every batch, so `remaining` reaches 0 only when cards, webhook secrets and
 * credentials are all moved. Each update applies only if the account's sealed credentials are
 * unchanged since they were read (a concurrent credential update wins and is never overwritten).
 * Accounts are taken across every shard in id order after a cursor of their own, so accounts that
 * cannot be opened are stepped past instead of filling every batch. No key is ever logged.
 */
import { loadKeyring } from "../crypto/keyring";
import { sealedVersion } from "../crypto/sealed-secret";
import { countStaleCredentials, resealCredentials, staleCredentials } from "../db/connector-accounts";
import { allShards } from "../db/shards";
import { log } from "../lib/log";
import { openCredentials, sealCredentials } from "./credentials";

/** What one pass did: accounts re-sealed, those that could not be opened, those still stale, and where to go on. */
export interface CredentialRotation {
  rotated: number;
  failed: string[];
  remaining: number;
  /** Pass as the next pass's `startingAfter`; null when this pass saw the end. */
  nextStartingAfter: string | null;
}

/** Re-seals the credentials of up to `limit` accounts (the lowest ids after `startingAfter` over all shards) under the newest KEK. */
export async function rotateConnectorCredentials(
  env: Env,
  limit: number,
  startingAfter?: string,
): Promise<CredentialRotation> {
  const ring = await loadKeyring(env.VAULT_KEKS);
  const shards = allShards(env);
  const result: CredentialRotation = { rotated: 0, failed: [], remaining: 0, nextStartingAfter: null };
  const found = await Promise.all(
    shards.map(async (db) =>
      (await staleCredentials(db, ring.current, limit, startingAfter)).map((row) => ({ db, row })),
    ),
  );
  const picked = found
    .flat()
    .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
    .slice(0, limit);
  for (const { db, row } of picked) {
    const sealed = row.credentialsSealed;
    if (sealed === null || sealedVersion(sealed) === ring.current) continue;
    try {
      const key = await openCredentials(env, row.merchantId, row.id, sealed);
      const resealed = await sealCredentials(env, row.merchantId, row.id, key);
      result.rotated += (await resealCredentials(db, row, resealed)).length;
    } catch {
      result.failed.push(row.id);
      log("error", "connector_credentials_rotation_failed", { connector_account: row.id });
    }
  }
  const last = picked.at(-1);
  result.nextStartingAfter = picked.length === limit && last ? last.row.id : null;
  const counts = await Promise.all(shards.map((db) => countStaleCredentials(db, ring.current)));
  result.remaining = counts.reduce((a, b) => a + b, 0);
  return result;
}

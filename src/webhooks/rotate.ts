/**
 * The vault key rotation's share for webhook secrets: re-seals endpoints' secrets (current and, while
 * it still signs, previous) sealed under an older KEK with a fresh data key under the newest one.
 * Called by the vault's rotation (vault/rotate.ts) on every batch, so one operator procedure moves
 * card data and webhook secrets alike, and `remaining` reaches 0 only when both are done. Each
 * update applies only if the endpoint's secrets are unchanged since they were read (a roll wins).
 */
import { loadKeyring } from "../crypto/keyring";
import type { Db } from "../db/client";
import { allShards } from "../db/shards";
import { countStaleSecrets, resealSecrets, staleSecrets } from "../db/webhook-endpoints";
import { log } from "../lib/log";
import { openWebhookSecret, sealedVersion, sealWebhookSecret } from "./secrets";

/** What one pass did: endpoints re-sealed, those that could not be opened, and those still stale. */
export interface SecretRotation {
  rotated: number;
  failed: string[];
  remaining: number;
}

/** Re-seals up to `limit` endpoints (over all shards) under the newest KEK; `now` drops expired previous secrets. */
export async function rotateWebhookSecrets(env: Env, limit: number, now: number): Promise<SecretRotation> {
  const ring = await loadKeyring(env.VAULT_KEKS);
  const shards = allShards(env);
  const result: SecretRotation = { rotated: 0, failed: [], remaining: 0 };
  const reseal = async (row: { merchantId: string; id: string }, sealed: string) =>
    sealedVersion(sealed) === ring.current
      ? sealed
      : sealWebhookSecret(env, row.merchantId, row.id, await openWebhookSecret(env, row.merchantId, row.id, sealed));
  const perShard = async (db: Db) => {
    for (const row of await staleSecrets(db, ring.current, limit)) {
      try {
        const previousLive = row.previousSecretSealed !== null && (row.previousSecretExpiresAt ?? 0) > now;
        const [secretSealed, previousSecretSealed] = await Promise.all([
          reseal(row, row.secretSealed),
          previousLive ? reseal(row, row.previousSecretSealed as string) : null,
        ]);
        const previousSecretExpiresAt = previousLive ? row.previousSecretExpiresAt : null;
        const done = await resealSecrets(db, row, { secretSealed, previousSecretSealed, previousSecretExpiresAt });
        result.rotated += done.length;
      } catch {
        result.failed.push(row.id);
        log("error", "webhook_secret_rotation_failed", { webhook_endpoint: row.id });
      }
    }
  };
  // Shards one after the other: `limit` bounds each shard's work, and rotations are rare.
  for (const db of shards) await perShard(db);
  const counts = await Promise.all(shards.map((db) => countStaleSecrets(db, ring.current)));
  result.remaining = counts.reduce((a, b) => a + b, 0);
  return result;
}

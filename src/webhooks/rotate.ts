/**
 * The vault key rotation's share for webhook secrets: re-seals endpoints' secrets (current and, while
 * it still signs, previous) sealed under an older KEK with a fresh data key under the newest one.
 * Called by the vault's rotation (vault/rotate.ts) on every batch, so one operator procedure moves
 * card data and webhook secrets alike, and `remaining` reaches 0 only when both are done. Each
 * update applies only if the endpoint's secrets are unchanged since they were read (a roll wins).
 * Endpoints are taken across every shard in id order after a cursor of their own, as card records
 * are, so endpoints that cannot be opened are stepped past instead of filling every batch.
 */
import { loadKeyring } from "../crypto/keyring";
import { allShards } from "../db/shards";
import { countStaleSecrets, resealSecrets, staleSecrets } from "../db/webhook-endpoints";
import { log } from "../lib/log";
import { openWebhookSecret, sealedVersion, sealWebhookSecret } from "./secrets";

/** What one pass did: endpoints re-sealed, those that could not be opened, those still stale, and where to go on. */
export interface SecretRotation {
  rotated: number;
  failed: string[];
  remaining: number;
  /** Pass as the next pass's `startingAfter`; null when this pass saw the end. */
  nextStartingAfter: string | null;
}

/**
 * Re-seals up to `limit` endpoints (the lowest ids after `startingAfter` over all shards) under the
 * newest KEK; `now` drops expired previous secrets.
 */
export async function rotateWebhookSecrets(
  env: Env,
  limit: number,
  now: number,
  startingAfter?: string,
): Promise<SecretRotation> {
  const ring = await loadKeyring(env.VAULT_KEKS);
  const shards = allShards(env);
  const result: SecretRotation = { rotated: 0, failed: [], remaining: 0, nextStartingAfter: null };
  const reseal = async (row: { merchantId: string; id: string }, sealed: string) =>
    sealedVersion(sealed) === ring.current
      ? sealed
      : sealWebhookSecret(env, row.merchantId, row.id, await openWebhookSecret(env, row.merchantId, row.id, sealed));
  const found = await Promise.all(
    shards.map(async (db) => (await staleSecrets(db, ring.current, limit, startingAfter)).map((row) => ({ db, row }))),
  );
  const picked = found
    .flat()
    .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
    .slice(0, limit);
  for (const { db, row } of picked) {
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
  const last = picked.at(-1);
  result.nextStartingAfter = picked.length === limit && last ? last.row.id : null;
  const counts = await Promise.all(shards.map((db) => countStaleSecrets(db, ring.current)));
  result.remaining = counts.reduce((a, b) => a + b, 0);
  return result;
}

/**
 * Key rotation: re-encrypts records sealed under an older KEK with a fresh data key wrapped by the
 * newest KEK, in bounded batches. Progress lives in the rows themselves (their `key_version`), so
 * the operation can stop at any point and be resumed, or run again from the start, safely. Each
 * update applies only if the record is unchanged since it was read (concurrent detach or forgetCvc
 * wins; the record is picked up by the next batch if still stale). Records are taken across every
 * shard in id order (ids are random and global), so `starting_after` means the same as on one database.
 * Every batch also re-seals up to `limit` webhook endpoints' secrets (webhooks/rotate.ts) and up to
 * `limit` connector accounts' credentials (connectors/rotate.ts), each in id order after a cursor of
 * its own (`webhookStartingAfter`, `connectorStartingAfter`), so each steps past what it cannot open.
 */
import { rotateConnectorCredentials } from "../connectors/rotate";
import { openCard, sealCard } from "../crypto/envelope";
import { loadKeyring } from "../crypto/keyring";
import type { Db } from "../db/client";
import { nowSeconds } from "../db/merchants";
import { allShards } from "../db/shards";
import * as q from "../db/vault";
import { log } from "../lib/log";
import { rotateWebhookSecrets } from "../webhooks/rotate";

/** Outcome of one rotation batch, as reported to the operator. */
export interface RotationResult {
  /** The KEK version records are moved to. */
  keyVersion: number;
  rotated: number;
  /** Ids of records, webhook endpoints and connector accounts that could not be opened (missing KEK version or tampered); they are left as they are. */
  failed: string[];
  /** Records, webhook endpoints and connector accounts still under an older KEK after this batch, failed ones included. */
  remaining: number;
  /** Pass as `starting_after` to continue past records that failed; null when this batch saw the end. */
  nextStartingAfter: string | null;
  /** The same for webhook endpoints: pass as `webhookStartingAfter`; null when this batch saw their end. */
  nextWebhookStartingAfter: string | null;
  /** The same for connector accounts: pass as `connectorStartingAfter`; null when this batch saw their end. */
  nextConnectorStartingAfter: string | null;
}

/**
 * Re-encrypts up to `limit` stale records (ids after `startingAfter`) and re-seals up to `limit`
 * webhook endpoints' secrets (ids after `webhookStartingAfter`) and up to `limit` connector
 * accounts' credentials (ids after `connectorStartingAfter`) under the newest KEK.
 */
export async function rotateVault(
  env: Env,
  limit: number,
  startingAfter?: string,
  webhookStartingAfter?: string,
  connectorStartingAfter?: string,
): Promise<RotationResult> {
  const shards = allShards(env);
  const ring = await loadKeyring(env.VAULT_KEKS);
  // The `limit` lowest ids after `startingAfter` over all shards: each shard's first `limit`, merged.
  const found = await Promise.all(
    shards.map(async (db) =>
      (await q.staleRecords(db, ring.current, limit, startingAfter)).map((row) => ({ db, row })),
    ),
  );
  const picked = found
    .flat()
    .sort((a, b) => (a.row.id < b.row.id ? -1 : a.row.id > b.row.id ? 1 : 0))
    .slice(0, limit);
  const rows = picked.map((p) => p.row);
  const now = nowSeconds();
  const failed: string[] = [];
  const updates = new Map<Db, ReturnType<typeof q.resealRecord>[]>();

  for (const { db, row } of picked) {
    if (row.keyVersion === null || !row.wrappedKey || !row.panCiphertext) continue;
    const ctx = { merchantId: row.merchantId, paymentMethodId: row.id };
    // An expired CVC is dropped rather than carried to the new key.
    const cvcLive = row.cvcCiphertext !== null && (row.cvcExpiresAt ?? 0) > now;
    try {
      const secrets = await openCard(ring, ctx, {
        keyVersion: row.keyVersion,
        wrappedKey: row.wrappedKey,
        pan: row.panCiphertext,
        cvc: cvcLive ? row.cvcCiphertext : null,
      });
      const sealed = await sealCard(ring, ctx, secrets);
      const list = updates.get(db) ?? [];
      updates.set(db, list);
      list.push(
        q.resealRecord(db, row, {
          keyVersion: sealed.keyVersion,
          wrappedKey: sealed.wrappedKey,
          panCiphertext: sealed.pan,
          cvcCiphertext: sealed.cvc,
          cvcExpiresAt: sealed.cvc === null ? null : row.cvcExpiresAt,
        }),
      );
    } catch {
      failed.push(row.id);
      log("error", "vault_rotation_record_failed", { payment_method: row.id, key_version: row.keyVersion });
    }
  }

  let rotated = 0;
  for (const [db, [first, ...rest]] of updates) {
    if (!first) continue;
    const results = await db.batch([first, ...rest]);
    rotated += results.reduce((n, r) => n + r.length, 0);
  }
  // Webhook secrets are sealed under the same KEKs: each batch also moves up to `limit` of them.
  const secrets = await rotateWebhookSecrets(env, limit, now, webhookStartingAfter);
  rotated += secrets.rotated;
  failed.push(...secrets.failed);
  // Connector credentials too, with a cursor of their own.
  const credentials = await rotateConnectorCredentials(env, limit, connectorStartingAfter);
  rotated += credentials.rotated;
  failed.push(...credentials.failed);
  const counts = await Promise.all(shards.map((db) => q.countStaleRecords(db, ring.current)));
  const remaining = counts.reduce((a, b) => a + b, 0) + secrets.remaining + credentials.remaining;
  const last = rows.at(-1);
  return {
    keyVersion: ring.current,
    rotated,
    failed,
    remaining,
    nextStartingAfter: rows.length === limit && last ? last.id : null,
    nextWebhookStartingAfter: secrets.nextStartingAfter,
    nextConnectorStartingAfter: credentials.nextStartingAfter,
  };
}

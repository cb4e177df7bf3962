/**
 * Query helpers for merchants' API keys (control database). Writers return unexecuted Drizzle
 * queries so a change and its audit entry go into one `db.batch`; a roll is conditional SQL, so
 * two rolls of one key racing cannot both issue a replacement.
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import type { MerchantStatus } from "./merchants";
import { listPage } from "./pagination";
import { apiKeys, merchants } from "./schema";

/** An API key row as stored (`keyHash` never leaves the server). */
export type ApiKeyRow = typeof apiKeys.$inferSelect;

/** Inserts an API key. */
export function insertApiKey(db: Db, row: typeof apiKeys.$inferInsert) {
  return db.insert(apiKeys).values(row);
}

/** The merchant's key with this id, or undefined (another merchant's key is undefined too). */
export async function getApiKey(db: Db, merchantId: string, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.id, id), eq(apiKeys.merchantId, merchantId)))
    .get();
}

/** A page of the merchant's keys, newest first. */
export function listApiKeys(db: Db, merchantId: string, page: PageRequest) {
  const t = apiKeys;
  return listPage(db, { table: t, id: t.id, created: t.created, scope: eq(t.merchantId, merchantId) }, page);
}

/** Revokes the merchant's key; returns the updated row (empty when there is no such key). */
export function revokeApiKey(db: Db, merchantId: string, id: string) {
  return db
    .update(apiKeys)
    .set({ status: "revoked" })
    .where(and(eq(apiKeys.id, id), eq(apiKeys.merchantId, merchantId)))
    .returning();
}

/**
 * The first statement of a roll: gives the old key its expiry and names its replacement, only if it
 * is active, unexpired at `now` and not rolled before. Returns the updated row (empty otherwise).
 */
export function markRolled(
  db: Db,
  merchantId: string,
  id: string,
  replacementId: string,
  expiresAt: number,
  now: number,
) {
  return db
    .update(apiKeys)
    .set({ expiresAt, rolledTo: replacementId })
    .where(
      and(
        eq(apiKeys.id, id),
        eq(apiKeys.merchantId, merchantId),
        eq(apiKeys.status, "active"),
        isNull(apiKeys.rolledTo),
        sql`(${apiKeys.expiresAt} is null or ${apiKeys.expiresAt} > ${now})`,
      ),
    )
    .returning();
}

/** The second statement of a roll: inserts the replacement only if the statement before it (markRolled) changed a row. */
export function insertReplacementIfRolled(db: Db, row: ApiKeyRow) {
  const v = <T>(value: T, name: string) => sql<T>`${value}`.as(name);
  return db.insert(apiKeys).select(
    db
      .select({
        keyHash: v(row.keyHash, "key_hash"),
        id: v(row.id, "id"),
        merchantId: v(row.merchantId, "merchant_id"),
        kind: v(row.kind, "kind"),
        scopes: v(row.scopes, "scopes"),
        prefix: v(row.prefix, "prefix"),
        last4: v(row.last4, "last4"),
        status: v(row.status, "status"),
        expiresAt: v(row.expiresAt, "expires_at"),
        rolledTo: v(row.rolledTo, "rolled_to"),
        created: v(row.created, "created"),
      })
      .from(merchants)
      .where(and(eq(merchants.id, row.merchantId), sql`changes() > 0`))
      .limit(1),
  );
}

/** A key together with its merchant's status and shard: what authentication needs. */
export interface KeyPrincipal {
  id: string;
  merchantId: string;
  kind: ApiKeyRow["kind"];
  scopes: string;
  keyStatus: ApiKeyRow["status"];
  expiresAt: number | null;
  merchantStatus: MerchantStatus;
  merchantRateLimit: number | null;
  merchantShard: number;
}

/** Looks up a key by its hash, with its merchant, in one indexed query. */
export async function findKeyPrincipal(db: Db, keyHash: string): Promise<KeyPrincipal | undefined> {
  return db
    .select({
      id: apiKeys.id,
      merchantId: apiKeys.merchantId,
      kind: apiKeys.kind,
      scopes: apiKeys.scopes,
      keyStatus: apiKeys.status,
      expiresAt: apiKeys.expiresAt,
      merchantStatus: merchants.status,
      merchantRateLimit: merchants.rateLimit,
      merchantShard: merchants.shard,
    })
    .from(apiKeys)
    .innerJoin(merchants, eq(merchants.id, apiKeys.merchantId))
    .where(eq(apiKeys.keyHash, keyHash))
    .get();
}

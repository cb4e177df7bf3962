/**
 * Storage of webhook endpoints: create (at most a merchant's quota, once per Idempotency-Key),
 * read, list, update, delete, secret roll, and the endpoints an event goes to. Every query is
 * scoped by merchant, so another merchant's endpoint behaves exactly like a missing one. Secrets
 * are stored sealed (src/webhooks/secrets.ts); this module never sees one in the clear.
 */
import { and, eq, gt, isNull, ne, or, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { listPage, type PageResult } from "./pagination";
import { webhookEndpoints } from "./schema";

/** A webhook_endpoints row as stored. */
export type WebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

/** What creating an endpoint did. */
export type InsertEndpointResult =
  | { outcome: "created"; row: WebhookEndpointRow }
  /** A create under the same Idempotency-Key made this one before: nothing was written. */
  | { outcome: "exists"; row: WebhookEndpointRow }
  /** The merchant already has `limit` endpoints: nothing was written. */
  | { outcome: "limit" };

/**
 * Inserts an endpoint unless the merchant already has `limit` of them (checked in the insert
 * itself, so concurrent creates cannot pass it together) or an endpoint was created under the
 * row's idempotency key (then that one is returned).
 */
export async function insertEndpoint(db: Db, row: WebhookEndpointRow, limit: number): Promise<InsertEndpointResult> {
  const t = webhookEndpoints;
  // The guard: merchant_id is NULL (a NOT NULL violation, nothing written) once the quota is reached.
  const merchantUnderQuota = sql`(select ${row.merchantId} where (select count(*) from ${t} where ${t.merchantId} = ${row.merchantId}) < ${limit})`;
  try {
    const [created] = await db
      .insert(t)
      .values({ ...row, merchantId: merchantUnderQuota })
      .returning();
    return { outcome: "created", row: created as WebhookEndpointRow };
  } catch (err) {
    if (row.idempotencyKey !== null && isUniqueViolation(err, "webhook_endpoints.idempotency_key")) {
      const existing = await endpointByIdempotencyKey(db, row.merchantId, row.idempotencyKey);
      if (existing) return { outcome: "exists", row: existing };
    }
    if (isGuardMiss(err, "webhook_endpoints.merchant_id")) return { outcome: "limit" };
    throw err;
  }
}

/** The merchant's endpoint with this id, or undefined. */
export function getEndpoint(db: Db, merchantId: string, id: string): Promise<WebhookEndpointRow | undefined> {
  const t = webhookEndpoints;
  return db
    .select()
    .from(t)
    .where(and(eq(t.id, id), eq(t.merchantId, merchantId)))
    .get();
}

/** The merchant's endpoint created under this Idempotency-Key, or undefined. */
export function endpointByIdempotencyKey(
  db: Db,
  merchantId: string,
  key: string,
): Promise<WebhookEndpointRow | undefined> {
  const t = webhookEndpoints;
  return db
    .select()
    .from(t)
    .where(and(eq(t.merchantId, merchantId), eq(t.idempotencyKey, key)))
    .get();
}

/** A page of the merchant's endpoints, newest first. */
export function listEndpoints(db: Db, merchantId: string, page: PageRequest): Promise<PageResult<WebhookEndpointRow>> {
  const t = webhookEndpoints;
  return listPage(db, { table: t, id: t.id, created: t.created, scope: eq(t.merchantId, merchantId) }, page);
}

/** The fields an update may change (already validated; `enabledEvents` and `metadata` as stored JSON). */
export type EndpointChanges = Partial<
  Pick<
    WebhookEndpointRow,
    "url" | "description" | "enabledEvents" | "metadata" | "status" | "disabledReason" | "failingSince"
  >
>;

/** Applies `changes` to the merchant's endpoint and returns the updated row, or undefined when there is none. */
export async function updateEndpoint(
  db: Db,
  merchantId: string,
  id: string,
  changes: EndpointChanges,
): Promise<WebhookEndpointRow | undefined> {
  const t = webhookEndpoints;
  if (Object.keys(changes).length === 0) return getEndpoint(db, merchantId, id);
  const [row] = await db
    .update(t)
    .set(changes)
    .where(and(eq(t.id, id), eq(t.merchantId, merchantId)))
    .returning();
  return row;
}

/** Deletes the merchant's endpoint; true when there was one. Its delivery attempts stay until pruned. */
export async function deleteEndpoint(db: Db, merchantId: string, id: string): Promise<boolean> {
  const t = webhookEndpoints;
  const deleted = await db
    .delete(t)
    .where(and(eq(t.id, id), eq(t.merchantId, merchantId)))
    .returning({ id: t.id });
  return deleted.length > 0;
}

/** A secret roll to store: the new sealed secret, and until when the current one keeps signing. */
export interface SecretRoll {
  secretSealed: string;
  /** Unix seconds until which the current secret still signs; null drops it at once. */
  previousExpiresAt: number | null;
  /** The roll's Idempotency-Key (null without one). */
  rollKey: string | null;
}

/** What a roll did. */
export type RollResult =
  | { outcome: "rolled"; row: WebhookEndpointRow }
  /** The latest roll was made under the same Idempotency-Key: nothing changed. */
  | { outcome: "already"; row: WebhookEndpointRow }
  | { outcome: "missing" };

/**
 * Makes `roll.secretSealed` the endpoint's secret; the current one becomes the previous secret
 * until `previousExpiresAt` (an older previous secret is dropped). A roll under the key of the
 * latest roll changes nothing, so a retried roll rolls once.
 */
export async function rollEndpointSecret(
  db: Db,
  merchantId: string,
  id: string,
  roll: SecretRoll,
): Promise<RollResult> {
  const t = webhookEndpoints;
  const keep = roll.previousExpiresAt !== null;
  const [row] = await db
    .update(t)
    .set({
      secretSealed: roll.secretSealed,
      previousSecretSealed: keep ? sql`${t.secretSealed}` : null,
      previousSecretExpiresAt: roll.previousExpiresAt,
      rollKey: roll.rollKey,
    })
    .where(
      and(
        eq(t.id, id),
        eq(t.merchantId, merchantId),
        roll.rollKey === null ? undefined : or(isNull(t.rollKey), ne(t.rollKey, roll.rollKey)),
      ),
    )
    .returning();
  if (row) return { outcome: "rolled", row };
  const current = await getEndpoint(db, merchantId, id);
  return current ? { outcome: "already", row: current } : { outcome: "missing" };
}

/**
 * The merchant's enabled endpoints that take `eventType`: those whose enabled_events list it or `*`.
 * What the dispatcher fans an event out to.
 */
export function endpointsFor(db: Db, merchantId: string, eventType: string): Promise<WebhookEndpointRow[]> {
  const t = webhookEndpoints;
  return db
    .select()
    .from(t)
    .where(
      and(
        eq(t.merchantId, merchantId),
        eq(t.status, "enabled"),
        sql`exists (select 1 from json_each(${t.enabledEvents}) where value in (${eventType}, '*'))`,
      ),
    )
    .all();
}

/** Endpoints whose secret or previous secret is sealed under a KEK version older than `current`. */
function staleSecret(current: number) {
  const t = webhookEndpoints;
  return or(
    sql`json_extract(${t.secretSealed}, '$.v') < ${current}`,
    sql`json_extract(${t.previousSecretSealed}, '$.v') < ${current}`,
  );
}

/**
 * Up to `limit` endpoints (any merchant) with a secret sealed under an older KEK, ids after
 * `after`, in id order: the vault rotation's work list (the cursor steps past those it cannot open).
 */
export function staleSecrets(
  db: Db,
  current: number,
  limit: number,
  after: string | undefined,
): Promise<WebhookEndpointRow[]> {
  const t = webhookEndpoints;
  return db
    .select()
    .from(t)
    .where(and(staleSecret(current), after === undefined ? undefined : gt(t.id, after)))
    .orderBy(t.id)
    .limit(limit)
    .all();
}

/** How many endpoints still have a secret sealed under a KEK older than `current`. */
export async function countStaleSecrets(db: Db, current: number): Promise<number> {
  const row = await db.select({ n: sql<number>`count(*)` }).from(webhookEndpoints).where(staleSecret(current)).get();
  return Number(row?.n ?? 0);
}

/** Stores re-sealed secrets, only if the endpoint's secrets are still those that were read (a roll in between wins). */
export function resealSecrets(
  db: Db,
  before: Pick<WebhookEndpointRow, "id" | "secretSealed" | "previousSecretSealed">,
  after: Pick<WebhookEndpointRow, "secretSealed" | "previousSecretSealed" | "previousSecretExpiresAt">,
) {
  const t = webhookEndpoints;
  return db
    .update(t)
    .set(after)
    .where(
      and(
        eq(t.id, before.id),
        eq(t.secretSealed, before.secretSealed),
        sql`${t.previousSecretSealed} is ${before.previousSecretSealed}`,
      ),
    )
    .returning({ id: t.id });
}

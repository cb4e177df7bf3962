/**
 * Query helpers for merchants, their API clients and the operator audit log. Writers return
 * unexecuted Drizzle queries so routes can put a change and its audit entry in one `db.batch`.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage } from "./pagination";
import { apiClients, auditLog, merchants } from "./schema";

/** A merchant row as stored. */
export type MerchantRow = typeof merchants.$inferSelect;
/** An API client row as stored (`secretHash` never leaves the server). */
export type ApiClientRow = typeof apiClients.$inferSelect;
/** Merchant status values. */
export type MerchantStatus = MerchantRow["status"];
/** Client status values. */
export type ClientStatus = ApiClientRow["status"];

/** Unix seconds now; every timestamp in these tables uses it. */
export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** Inserts a merchant. */
export function insertMerchant(db: Db, row: typeof merchants.$inferInsert) {
  return db.insert(merchants).values(row);
}

/** The merchant with this id, or undefined. */
export async function getMerchant(db: Db, id: string): Promise<MerchantRow | undefined> {
  return db.select().from(merchants).where(eq(merchants.id, id)).get();
}

/** Sets a merchant's status; returns the updated row (empty when the merchant does not exist). */
export function setMerchantStatus(db: Db, id: string, status: MerchantStatus) {
  return db.update(merchants).set({ status }).where(eq(merchants.id, id)).returning();
}

/** Changes a merchant's name and rate limit (requests per second, null = deployment default); returns the row. */
export function updateMerchant(db: Db, id: string, patch: Pick<MerchantRow, "name" | "rateLimit">) {
  return db.update(merchants).set(patch).where(eq(merchants.id, id)).returning();
}

/** Inserts an API client. */
export function insertClient(db: Db, row: typeof apiClients.$inferInsert) {
  return db.insert(apiClients).values(row);
}

/** The client with this id belonging to this merchant, or undefined. */
export async function getClient(db: Db, merchantId: string, clientId: string): Promise<ApiClientRow | undefined> {
  return db
    .select()
    .from(apiClients)
    .where(and(eq(apiClients.clientId, clientId), eq(apiClients.merchantId, merchantId)))
    .get();
}

/** Revokes a merchant's client; returns the updated row (empty when there is no such client). */
export function revokeClient(db: Db, merchantId: string, clientId: string) {
  return db
    .update(apiClients)
    .set({ status: "revoked" })
    .where(and(eq(apiClients.clientId, clientId), eq(apiClients.merchantId, merchantId)))
    .returning();
}

/** A client together with its merchant's status: what token issuance and status checks need. */
export interface ClientPrincipal {
  clientId: string;
  merchantId: string;
  /** The merchant's operator-set requests/s, null for the deployment default. */
  merchantRateLimit: number | null;
  /** The merchant's shard index (the directory entry). */
  merchantShard: number;
  secretHash: string;
  scopes: string;
  clientStatus: ClientStatus;
  merchantStatus: MerchantStatus;
  lastUsed: number | null;
}

/** Looks up a client and its merchant's status in one query. */
export async function findClientPrincipal(db: Db, clientId: string): Promise<ClientPrincipal | undefined> {
  return db
    .select({
      clientId: apiClients.clientId,
      merchantId: apiClients.merchantId,
      merchantRateLimit: merchants.rateLimit,
      merchantShard: merchants.shard,
      secretHash: apiClients.secretHash,
      scopes: apiClients.scopes,
      clientStatus: apiClients.status,
      merchantStatus: merchants.status,
      lastUsed: apiClients.lastUsed,
    })
    .from(apiClients)
    .innerJoin(merchants, eq(merchants.id, apiClients.merchantId))
    .where(eq(apiClients.clientId, clientId))
    .get();
}

/** Records that a client just obtained a token. */
export function touchClient(db: Db, clientId: string, at: number) {
  return db.update(apiClients).set({ lastUsed: at }).where(eq(apiClients.clientId, clientId));
}

/** One operator action to record. `details` must never hold secrets. */
export interface AuditEntry {
  id: string;
  actor: string;
  action: string;
  targetId: string;
  requestId: string;
  details?: Record<string, unknown>;
  created: number;
}

/** Inserts an audit-log entry; batch it with the change it describes. */
export function insertAudit(db: Db, entry: AuditEntry) {
  return db.insert(auditLog).values({ ...entry, details: JSON.stringify(entry.details ?? {}) });
}

/**
 * Inserts an audit-log entry only if the statement before it in the same `db.batch` changed a row
 * (SQLite's `changes()`) and `table` has a row matching `where` (the changed one): for changes that
 * are conditional on the database's state.
 */
export function insertAuditIfChanged(db: Db, entry: AuditEntry, table: SQLiteTable, where: SQL) {
  const v = <T>(value: T, name: string) => sql<T>`${value}`.as(name);
  return db.insert(auditLog).select(
    db
      .select({
        id: v(entry.id, "id"),
        actor: v(entry.actor, "actor"),
        action: v(entry.action, "action"),
        targetId: v(entry.targetId, "target_id"),
        requestId: v(entry.requestId, "request_id"),
        details: v(JSON.stringify(entry.details ?? {}), "details"),
        created: v(entry.created, "created"),
      })
      .from(table)
      .where(and(where, sql`changes() > 0`))
      .limit(1),
  );
}

/** A page of merchants, newest first. */
export function listMerchants(db: Db, page: PageRequest) {
  return listPage(db, { table: merchants, id: merchants.id, created: merchants.created }, page);
}

/** A page of the merchant's API clients, newest first. */
export function listClients(db: Db, merchantId: string, page: PageRequest) {
  const t = apiClients;
  return listPage(db, { table: t, id: t.clientId, created: t.created, scope: eq(t.merchantId, merchantId) }, page);
}

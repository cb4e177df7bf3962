/** Queries of the connector accounts (`mca_…`) on a merchant's shard. See docs/connectors.md. */
import { and, asc, eq } from "drizzle-orm";
import type { Db } from "./client";
import { connectorAccounts } from "./schema";

/** A stored connector account. */
export type ConnectorAccountRow = typeof connectorAccounts.$inferSelect;

/** Stores a new connector account. */
export async function insertConnectorAccount(db: Db, row: ConnectorAccountRow): Promise<void> {
  await db.insert(connectorAccounts).values(row).run();
}

/** Every connector account of the merchant, oldest first (an operator lists a handful). */
export function listConnectorAccounts(db: Db, merchantId: string): Promise<ConnectorAccountRow[]> {
  return db
    .select()
    .from(connectorAccounts)
    .where(eq(connectorAccounts.merchantId, merchantId))
    .orderBy(asc(connectorAccounts.created), asc(connectorAccounts.id))
    .all();
}

/** The merchant's account `id`, or undefined (another merchant's account is not found either). */
export function getConnectorAccount(db: Db, merchantId: string, id: string): Promise<ConnectorAccountRow | undefined> {
  return db
    .select()
    .from(connectorAccounts)
    .where(and(eq(connectorAccounts.merchantId, merchantId), eq(connectorAccounts.id, id)))
    .get();
}

/** Replaces the account's mutable fields (status, currencies, brands, credentials, updated). */
export async function updateConnectorAccount(db: Db, row: ConnectorAccountRow): Promise<void> {
  await db
    .update(connectorAccounts)
    .set({
      status: row.status,
      currencies: row.currencies,
      brands: row.brands,
      credentialsSealed: row.credentialsSealed,
      secretKeyLast4: row.secretKeyLast4,
      updated: row.updated,
    })
    .where(and(eq(connectorAccounts.merchantId, row.merchantId), eq(connectorAccounts.id, row.id)))
    .run();
}

/** Queries of the connector accounts (`mca_…`) on a merchant's shard. See docs/connectors.md. */
import { and, asc, eq, gt, sql } from "drizzle-orm";
import type { Db } from "./client";
import { connectorAccounts } from "./schema";

/** A stored connector account. */
export type ConnectorAccountRow = typeof connectorAccounts.$inferSelect;

/** Stores a new connector account. */
export async function insertConnectorAccount(db: Db, row: ConnectorAccountRow): Promise<void> {
  await db.insert(connectorAccounts).values(row).run();
}

/**
 * Every connector account of the merchant, oldest first (an operator lists a handful); accounts
 * created in the same second in the order they were written (rowid), which routing relies on.
 */
export function listConnectorAccounts(db: Db, merchantId: string): Promise<ConnectorAccountRow[]> {
  return db
    .select()
    .from(connectorAccounts)
    .where(eq(connectorAccounts.merchantId, merchantId))
    .orderBy(asc(connectorAccounts.created), sql`rowid`)
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

/** Accounts whose credentials are sealed under a KEK version older than `current`. */
function staleCredential(current: number) {
  return sql`json_extract(${connectorAccounts.credentialsSealed}, '$.v') < ${current}`;
}

/**
 * Up to `limit` accounts (any merchant) with credentials sealed under an older KEK, ids after
 * `after`, in id order: the vault rotation's work list (the cursor steps past those it cannot open).
 */
export function staleCredentials(
  db: Db,
  current: number,
  limit: number,
  after: string | undefined,
): Promise<ConnectorAccountRow[]> {
  const t = connectorAccounts;
  return db
    .select()
    .from(t)
    .where(and(staleCredential(current), after === undefined ? undefined : gt(t.id, after)))
    .orderBy(t.id)
    .limit(limit)
    .all();
}

/** How many accounts still have credentials sealed under a KEK older than `current`. */
export async function countStaleCredentials(db: Db, current: number): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(connectorAccounts)
    .where(staleCredential(current))
    .get();
  return Number(row?.n ?? 0);
}

/**
 * Stores re-sealed credentials, only if the account's sealed credentials are still those that were
 * read (a concurrent credential update wins). The same key re-sealed: `updated` is left as it is.
 * Answers the ids written (none when the compare failed).
 */
export async function resealCredentials(
  db: Db,
  before: Pick<ConnectorAccountRow, "merchantId" | "id" | "credentialsSealed">,
  credentialsSealed: string,
): Promise<Array<{ id: string }>> {
  const t = connectorAccounts;
  return await db
    .update(t)
    .set({ credentialsSealed })
    .where(
      and(
        eq(t.merchantId, before.merchantId),
        eq(t.id, before.id),
        sql`${t.credentialsSealed} is ${before.credentialsSealed}`,
      ),
    )
    .returning({ id: t.id });
}

/**
 * Query helpers for named operators and the root-token setting. The two changes that could lock
 * every operator out (disabling an operator, disabling the root token) are single conditional
 * statements, so two of them racing cannot both pass their check: D1 runs writes one at a time.
 * Each is batched with its audit entry, which is written only when the change happened.
 */
import { and, eq, ne, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { type AuditEntry, insertAuditIfChanged } from "./merchants";
import { listPage } from "./pagination";
import { operatorSettings, operators } from "./schema";

/** An operator row as stored (`secretHash` never leaves the server). */
export type OperatorRow = typeof operators.$inferSelect;

/** The settings key of the root token's state. */
const ROOT_TOKEN = "root_token";

/** What a credential lookup found: the active operator with this secret hash, and whether root is disabled. */
export interface CredentialLookup {
  operator: OperatorRow | undefined;
  rootDisabled: boolean;
}

/** One D1 round trip: the active operator whose secret has this keyed hash, and the root token's state. */
export async function lookupCredential(db: Db, secretHash: string): Promise<CredentialLookup> {
  const [found, root] = await db.batch([
    db
      .select()
      .from(operators)
      .where(and(eq(operators.secretHash, secretHash), eq(operators.status, "active"))),
    db.select().from(operatorSettings).where(eq(operatorSettings.key, ROOT_TOKEN)),
  ]);
  return { operator: found[0], rootDisabled: root[0]?.value === "disabled" };
}

/** The operator with this id, or undefined. */
export async function getOperator(db: Db, id: string): Promise<OperatorRow | undefined> {
  return db.select().from(operators).where(eq(operators.id, id)).get();
}

/** A page of operators, newest first. */
export function listOperators(db: Db, page: PageRequest) {
  return listPage(db, { table: operators, id: operators.id, created: operators.created }, page);
}

/** Inserts an operator and its audit entry; false when the name is taken (nothing is written then). */
export async function createOperator(db: Db, row: OperatorRow, audit: AuditEntry): Promise<boolean> {
  const [inserted] = await db.batch([
    db.insert(operators).values(row).onConflictDoNothing({ target: operators.name }).returning(),
    insertAuditIfChanged(db, audit, operators, eq(operators.id, row.id)),
  ]);
  return inserted.length === 1;
}

/** How a disable ended. */
export type DisableResult =
  | { kind: "disabled"; row: OperatorRow }
  | { kind: "already_disabled"; row: OperatorRow }
  | { kind: "missing" }
  | { kind: "last_credential" };

/**
 * Disables an operator unless that would leave no way in: no other active operator, and the root
 * token unusable (`rootConfigured` false, or disabled in D1).
 */
export async function disableOperator(
  db: Db,
  id: string,
  rootConfigured: boolean,
  audit: AuditEntry,
): Promise<DisableResult> {
  const rootUsable = rootConfigured
    ? sql`not exists (select 1 from ${operatorSettings} where ${operatorSettings.key} = ${ROOT_TOKEN} and ${operatorSettings.value} = 'disabled')`
    : sql`0`;
  const others = sql`exists (select 1 from ${operators} o where o.status = 'active' and o.id <> ${id})`;
  const [rows] = await db.batch([
    db
      .update(operators)
      .set({ status: "disabled", disabledAt: audit.created })
      .where(and(eq(operators.id, id), eq(operators.status, "active"), sql`(${rootUsable} or ${others})`))
      .returning(),
    insertAuditIfChanged(db, audit, operators, eq(operators.id, id)),
  ]);
  const row = rows[0];
  if (row) return { kind: "disabled", row };
  const current = await getOperator(db, id);
  if (!current) return { kind: "missing" };
  return current.status === "disabled" ? { kind: "already_disabled", row: current } : { kind: "last_credential" };
}

/** The root token's stored state: disabled, and when and by whom it last changed (null: never). */
export async function getRootTokenSetting(db: Db) {
  return db.select().from(operatorSettings).where(eq(operatorSettings.key, ROOT_TOKEN)).get();
}

/**
 * Sets the root token's state (its row is created by the migration). Disabling happens only while
 * an active named operator exists, so the operator API never ends up without a credential; false
 * when refused or already so.
 */
export async function setRootToken(db: Db, state: "enabled" | "disabled", audit: AuditEntry): Promise<boolean> {
  const s = operatorSettings;
  const guard =
    state === "disabled" ? sql`exists (select 1 from ${operators} where ${operators.status} = 'active')` : sql`1`;
  const [changed] = await db.batch([
    db
      .update(s)
      .set({ value: state, updated: audit.created, updatedBy: audit.actor })
      .where(and(eq(s.key, ROOT_TOKEN), ne(s.value, state), guard))
      .returning(),
    insertAuditIfChanged(db, audit, s, eq(s.key, ROOT_TOKEN)),
  ]);
  return changed.length === 1;
}

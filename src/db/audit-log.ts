/**
 * Reads of the operator audit log (`audit_log`, written by db/merchants.ts `insertAudit` and
 * `insertAuditIfChanged`): a page newest first, narrowed by actor, target and action.
 */
import { and, eq, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { listPage } from "./pagination";
import { auditLog } from "./schema";

/** An audit-log row as stored (`details` is a JSON object in text). */
export type AuditRow = typeof auditLog.$inferSelect;

/** Exact-match filters of an audit-log page; each one given narrows it. */
export interface AuditFilter {
  actor?: string;
  targetId?: string;
  action?: string;
}

/**
 * A page of audit entries, newest first. The cursor may be any entry, as with Stripe's filtered
 * lists: a filter narrows what is listed, not where paging may start.
 */
export function listAuditLog(db: Db, filter: AuditFilter, page: PageRequest) {
  const scope = and(
    filter.actor === undefined ? undefined : eq(auditLog.actor, filter.actor),
    filter.targetId === undefined ? undefined : eq(auditLog.targetId, filter.targetId),
    filter.action === undefined ? undefined : eq(auditLog.action, filter.action),
  );
  return listPage(
    db,
    { table: auditLog, id: auditLog.id, created: auditLog.created, scope, cursorScope: sql`1` },
    page,
  );
}

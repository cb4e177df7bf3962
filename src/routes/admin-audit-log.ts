/**
 * Operator API for the audit log (`GET /admin/v1/audit_log`): every operator action, newest first,
 * filtered by `actor`, `target` and `action` and paged like every other list. Read-only: the
 * entries are written by the routes that change things, in the same `db.batch` as the change.
 * One of the two operator reads a dashboard session cookie may make (middleware/operator-auth.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { type AuditRow, listAuditLog } from "../db/audit-log";
import { controlDb } from "../db/client";
import { errorResponses, OPERATOR_ROUTE } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import type { App } from "../types";

/** Where the audit log is listed. */
export const AUDIT_LOG_PATH = "/admin/v1/audit_log";

const AuditEntrySchema = z
  .object({
    id: z.string().openapi({ description: "Unique identifier, prefixed `aud_`." }),
    object: z.literal("audit_log_entry").openapi({ description: "Always `audit_log_entry`." }),
    actor: z.string().openapi({ description: "`root` (the OPERATOR_TOKEN) or the acting operator's id (`opr_…`)." }),
    action: z.string().openapi({ description: "What was done, e.g. `merchant.created`." }),
    target_id: z.string().openapi({ description: "What it was done to (a merchant id, `root_token`, a date, …)." }),
    request_id: z.string().openapi({ description: "The id (`req_…`) of the request that made the change." }),
    details: z.record(z.string(), z.unknown()).openapi({ description: "Non-secret details of the change." }),
    created: z.int().openapi({ description: "When it was done, in unix seconds.", example: 1733097600 }),
  })
  .openapi("AuditLogEntry");

/** The API representation of an audit entry. */
export type AuditLogEntry = z.infer<typeof AuditEntrySchema>;

const filter = (name: string, description: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .optional()
    .openapi({ param: { name, in: "query" }, description });

const AuditQuery = z.strictObject({
  ...listParams,
  actor: filter("actor", "Only entries by this actor (`root` or `opr_…`)."),
  target: filter("target", "Only entries about this target id."),
  action: filter("action", "Only entries of this action (e.g. `merchant.created`)."),
});

/** The entry's details object; a row written before details were JSON objects shows `{}`. */
function detailsOf(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The API representation of an audit row. */
export function auditEntryObject(row: AuditRow): AuditLogEntry {
  return {
    id: row.id,
    object: "audit_log_entry",
    actor: row.actor,
    action: row.action,
    target_id: row.targetId,
    request_id: row.requestId,
    details: detailsOf(row.details),
    created: row.created,
  };
}

const listAuditRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: AUDIT_LOG_PATH,
  summary: "List audit-log entries, newest first",
  request: { query: AuditQuery },
  responses: {
    200: {
      description: "A page of audit-log entries",
      content: { "application/json": { schema: listSchema(AuditEntrySchema, "AuditLogEntryList") } },
    },
    ...errorResponses(400, 401, 404, 429),
  },
});

/** Registers `GET /admin/v1/audit_log`. */
export function registerAdminAuditLog(app: App): void {
  app.openapi(listAuditRoute, async (c) => {
    const q = c.req.valid("query");
    const result = await listAuditLog(
      controlDb(c.env),
      { actor: q.actor, targetId: q.target, action: q.action },
      pageRequest(q),
    );
    const page = pageOr404(result);
    c.header("Cache-Control", "no-store");
    return c.json(listEnvelope(AUDIT_LOG_PATH, { ...page, data: page.data.map(auditEntryObject) }), 200);
  });
}

/**
 * The operator's alerting: the one webhook the alert rules post to (`alert_hook`, a single row) and
 * each rule's last announced state (`alert_states`, one row per rule, written on transitions only).
 * docs/monitoring.md describes both.
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ALERT_RULES } from "../../domain/alerts";

/**
 * Where alerts go. One row (`slot` = `default`). The signing secret is sealed under the vault's
 * KEKs, bound to `id` (src/webhooks/alert-hook.ts); it is shown once, when the row is created.
 */
export const alertHook = sqliteTable("alert_hook", {
  slot: text("slot").primaryKey(),
  /** `alh_…`: the sealed secret's binding and the audit log's target. */
  id: text("id").notNull(),
  url: text("url").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  secretSealed: text("secret_sealed").notNull(),
  created: integer("created").notNull(),
  updated: integer("updated").notNull(),
  /** The operator (or `root`) who last changed it. */
  updatedBy: text("updated_by").notNull(),
});

/**
 * A rule's state as last decided by the cron (a missing row is `ok`). `lease_until` is set while a
 * run delivers the rule's transition, so two overlapping runs never both send it.
 */
export const alertStates = sqliteTable("alert_states", {
  rule: text("rule", { enum: ALERT_RULES }).primaryKey(),
  state: text("state", { enum: ["ok", "firing"] }).notNull(),
  /** Unix seconds the state began. */
  since: integer("since").notNull(),
  /** Unix seconds of the last alert delivered for this rule; null if none was. */
  lastNotified: integer("last_notified"),
  leaseUntil: integer("lease_until"),
});

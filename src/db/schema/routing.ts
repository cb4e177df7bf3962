/**
 * Routing configurations: every version of a merchant's payment routing rules, set by the
 * operator and never updated (a change inserts the next version). The rules are the JSON the
 * operator API validated (src/domain/routing.ts has their shape). See docs/connectors.md.
 */
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One version of one merchant's routing configuration. */
export const routingConfigs = sqliteTable(
  "routing_configs",
  {
    merchantId: text("merchant_id").notNull(),
    /** 1, 2, …: the newest is the one in force; the primary key keeps two writes from sharing one. */
    version: integer("version").notNull(),
    /** JSON array of rules, in the order they are tried. */
    rules: text("rules").notNull(),
    /** The `mca_…` tried after the rules; null: none. */
    defaultConnector: text("default_connector"),
    created: integer("created").notNull(),
    /** The operator who set it (`opr_…` or `root`). */
    createdBy: text("created_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.merchantId, t.version] })],
);

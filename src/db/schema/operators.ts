/** Named operator credentials of the operator API, and the gateway-wide operator settings. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A named operator. The secret is stored only as a keyed HMAC (`secret_hash`), looked up by it. */
export const operators = sqliteTable(
  "operators",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    secretHash: text("secret_hash").notNull(),
    status: text("status", { enum: ["active", "disabled"] })
      .notNull()
      .default("active"),
    /** Requests per second; null means OPERATOR_RATE_LIMIT_DEFAULT. */
    rateLimit: integer("rate_limit"),
    /** Who created it: `root` or an operator id. */
    createdBy: text("created_by").notNull(),
    created: integer("created").notNull(),
    disabledAt: integer("disabled_at"),
  },
  (t) => [
    uniqueIndex("operators_name_idx").on(t.name),
    uniqueIndex("operators_secret_hash_idx").on(t.secretHash),
    index("operators_created_idx").on(t.created, t.id),
  ],
);

/** Gateway-wide operator settings, one row per key (today only `root_token`: `enabled` or `disabled`,
 * created by the migration). */
export const operatorSettings = sqliteTable("operator_settings", {
  key: text("key").primaryKey(),
  value: text("value").notNull(),
  /** When and by which actor it last changed; null when never changed since the migration created it. */
  updated: integer("updated"),
  updatedBy: text("updated_by"),
});

/**
 * Radar: a merchant's fraud rules and value lists (block and allow lists). Per-merchant, so on the
 * merchant's shard. See docs/schema.md and docs/fraud.md.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A value list (`rsl_…`), referenced from rules as `@alias`. Its item type never changes. */
export const radarValueLists = sqliteTable(
  "radar_value_lists",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    alias: text("alias").notNull(),
    name: text("name").notNull(),
    /** `ValueListItemType` (domain/value-lists.ts). */
    itemType: text("item_type").notNull(),
    /** JSON object of string values. */
    metadata: text("metadata").notNull().default("{}"),
    created: integer("created").notNull(),
  },
  (t) => [
    uniqueIndex("radar_value_lists_alias_idx").on(t.merchantId, t.alias),
    index("radar_value_lists_list_idx").on(t.merchantId, t.created, t.id),
  ],
);

/** One value of a list (`rsli_…`), stored normalized (domain/value-lists.ts) so lookups are exact. */
export const radarValueListItems = sqliteTable(
  "radar_value_list_items",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    valueList: text("value_list").notNull(),
    value: text("value").notNull(),
    created: integer("created").notNull(),
  },
  (t) => [
    uniqueIndex("radar_value_list_items_value_idx").on(t.valueList, t.value),
    index("radar_value_list_items_lookup_idx").on(t.merchantId, t.value),
    index("radar_value_list_items_list_idx").on(t.merchantId, t.valueList, t.created, t.id),
  ],
);

/** A merchant's rule (`rule_…`): an action and its predicate, kept as written and parsed on use. */
export const radarRules = sqliteTable(
  "radar_rules",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** `allow` | `block` | `review`. */
    action: text("action").notNull(),
    predicate: text("predicate").notNull(),
    /** JSON array of the list aliases the predicate uses: a list a rule uses cannot be deleted. */
    lists: text("lists").notNull().default("[]"),
    created: integer("created").notNull(),
  },
  (t) => [index("radar_rules_list_idx").on(t.merchantId, t.created, t.id)],
);

/**
 * A review (`prv_…`): a payment a `review` verdict held after its authorization. Open until the
 * merchant approves it (capture is then allowed) or the intent is canceled (refused, or expired).
 */
export const reviews = sqliteTable(
  "reviews",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    charge: text("charge").notNull(),
    paymentIntentId: text("payment_intent_id").notNull(),
    /** 1 while open, 0 once closed. */
    open: integer("open").notNull(),
    /** `rule` (a rule's review action held it). */
    openedReason: text("opened_reason").notNull(),
    /** `rule` while open; the closed reason once closed. */
    reason: text("reason").notNull(),
    /** `approved` | `canceled`, null while open. */
    closedReason: text("closed_reason"),
    /** The client IP of the authorization, when known. */
    ipAddress: text("ip_address"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("reviews_list_idx").on(t.merchantId, t.created, t.id),
    index("reviews_open_idx").on(t.merchantId, t.open, t.created),
  ],
);

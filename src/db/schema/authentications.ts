/**
 * 3-D Secure authentications of the simulated issuer (docs/three-d-secure.md): one row per
 * challenge an authorization attempt needs. The id (`payatt_…`, 48 random base62 characters) is the
 * challenge page's only capability; the row names the intent and the attempt it belongs to.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A challenge of one authorization attempt of one intent. */
export const authentications = sqliteTable(
  "authentications",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    intentId: text("intent_id").notNull(),
    /** The intent's version the challenge was issued at (its `action_required` change). */
    attempt: integer("attempt").notNull(),
    /** `pending` until the shopper completes or fails it, or it expires. */
    state: text("state", { enum: ["pending", "succeeded", "failed", "expired"] }).notNull(),
    /** Where the shopper goes back to (null: the page shows the result instead). */
    returnUrl: text("return_url"),
    /** JSON `{ route, fallback? }` of the attempt: the authorization after the challenge goes there. */
    route: text("route"),
    created: integer("created").notNull(),
    expiresAt: integer("expires_at").notNull(),
    finishedAt: integer("finished_at"),
  },
  (t) => [index("authentications_pending_idx").on(t.state, t.expiresAt)],
);

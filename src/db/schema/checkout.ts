/**
 * Checkout Sessions (`cs_test_…` / `cs_live_…`): a hosted payment of one PaymentIntent, created
 * with the session and paid through the page endpoints. Per-merchant, so on the merchant's shard.
 * See docs/checkout.md.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A checkout session of one merchant; its `payment_intent` is created in the same batch. */
export const checkoutSessions = sqliteTable(
  "checkout_sessions",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** `open` → `complete` | `expired`. */
    status: text("status", { enum: ["open", "complete", "expired"] }).notNull(),
    /** `unpaid` | `paid` (paid once its intent succeeded or is authorized). */
    paymentStatus: text("payment_status", { enum: ["unpaid", "paid"] }).notNull(),
    amountTotal: integer("amount_total").notNull(),
    currency: text("currency").notNull(),
    /** JSON array of `{id, name, unit_amount, quantity}`. */
    lineItems: text("line_items").notNull(),
    successUrl: text("success_url").notNull(),
    /** The hosted page (`<gateway origin>/checkout/<id>`), fixed at create; shown only while open. */
    url: text("url").notNull(),
    cancelUrl: text("cancel_url"),
    customer: text("customer"),
    customerEmail: text("customer_email"),
    /** JSON object of string values. */
    metadata: text("metadata").notNull().default("{}"),
    captureMethod: text("capture_method").notNull(),
    /** The `pi_…` created with the session: the only intent its page endpoints may touch. */
    paymentIntent: text("payment_intent").notNull(),
    expiresAt: integer("expires_at").notNull(),
    created: integer("created").notNull(),
    completedAt: integer("completed_at"),
    expiredAt: integer("expired_at"),
    /** Failed payment attempts through the page (card-testing cap, docs/checkout.md). */
    failedAttempts: integer("failed_attempts").notNull().default(0),
    /** Set when the failure cap locked the session: no more payment attempts. */
    lockedAt: integer("locked_at"),
  },
  (t) => [
    index("checkout_sessions_list_idx").on(t.merchantId, t.created, t.id),
    index("checkout_sessions_intent_idx").on(t.merchantId, t.paymentIntent),
    index("checkout_sessions_expiry_idx").on(t.status, t.expiresAt),
  ],
);

/**
 * Customers (`cus_…`): a merchant's record of a buyer, to which reusable payment methods are
 * attached (`payment_methods.customer`). Per-merchant, so on the merchant's shard. See docs/schema.md.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A customer of one merchant. Deleting one deletes the row (and detaches its payment methods). */
export const customers = sqliteTable(
  "customers",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    email: text("email"),
    name: text("name"),
    phone: text("phone"),
    description: text("description"),
    /** JSON object of string values. */
    metadata: text("metadata").notNull().default("{}"),
    /** `invoice_settings.default_payment_method`: a `pm_…` attached to this customer, or null. */
    defaultPaymentMethod: text("default_payment_method"),
    /** Idempotency-Key of the create: a re-run finds this row. */
    idempotencyKey: text("idempotency_key"),
    created: integer("created").notNull(),
  },
  (t) => [
    uniqueIndex("customers_idempotency_idx").on(t.merchantId, t.idempotencyKey),
    index("customers_list_idx").on(t.merchantId, t.created, t.id),
    index("customers_email_idx").on(t.merchantId, t.email, t.created),
  ],
);

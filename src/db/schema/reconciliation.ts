/**
 * Reconciliation: the mismatches found between the processor's daily settlement file and the
 * gateway's balance transactions (src/settlement/reconcile.ts), for the operator to investigate.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A reconciliation item (`rci_…`): one mismatch, recorded once. `missing`: the gateway booked it,
 * the processor's file does not list it; `extra`: the file lists it, the gateway has no booking;
 * `amount_differs`: both have it with another amount (or currency). Never updated.
 */
export const reconciliationItems = sqliteTable(
  "reconciliation_items",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** The UTC day (yyyy-mm-dd) of the run that found it. */
    date: text("date").notNull(),
    kind: text("kind", { enum: ["missing", "extra", "amount_differs"] }).notNull(),
    /** The gateway's object (`ch_…`, `re_…`); null for `extra`. */
    source: text("source"),
    /** The key both sides are matched on: a capture's authorization reference, a refund's id. */
    matchKey: text("match_key").notNull(),
    /** The processor's idempotency key on the file's line; null for `missing`. */
    processorKey: text("processor_key"),
    /** What the gateway booked (minor units, signed); null for `extra`. */
    expectedAmount: integer("expected_amount"),
    /** What the file lists (minor units, signed); null for `missing`. */
    reportedAmount: integer("reported_amount"),
    currency: text("currency").notNull(),
    created: integer("created").notNull(),
  },
  (t) => [
    // A mismatch is recorded once, however often (and on whichever day's run) it is found again.
    uniqueIndex("reconciliation_items_once_idx").on(t.merchantId, t.kind, t.matchKey),
    index("reconciliation_items_date_idx").on(t.date, t.id),
    index("reconciliation_items_merchant_idx").on(t.merchantId, t.date, t.id),
  ],
);

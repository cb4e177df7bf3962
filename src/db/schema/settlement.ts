/**
 * Settlement: what a merchant pays (pricing), when funds become available (delay), how they are
 * paid out (schedule, bank account), the balance transactions every balance movement writes, and
 * payouts. See docs/settlement.md.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A merchant's settlement terms, set by the operator. No row means the defaults: no fee, funds
 * available 2 days after the movement (at the next 00:00 UTC), daily automatic payouts, no bank
 * account (payouts wait until one is set).
 */
export const settlementSettings = sqliteTable(
  "settlement_settings",
  {
    merchantId: text("merchant_id").primaryKey(),
    /** The percentage fee in basis points (290 = 2.9 %) of every captured amount. */
    feeBps: integer("fee_bps").notNull().default(0),
    /** JSON `{ currency: minor units }`: the fixed fee per capture in each currency (absent = 0). */
    feeFixed: text("fee_fixed").notNull().default("{}"),
    /** 1: a refund returns its share of the charge's fee; 0 (default): the fee is kept. */
    refundFees: integer("refund_fees").notNull().default(0),
    /** Whole days before a movement's funds become available (0–30). */
    delayDays: integer("delay_days").notNull().default(2),
    /** `daily` | `weekly` | `manual`. */
    payoutSchedule: text("payout_schedule", { enum: ["daily", "weekly", "manual"] })
      .notNull()
      .default("daily"),
    /** For weekly payouts: the UTC weekday they run on (0 = Sunday … 6 = Saturday). */
    weeklyAnchor: integer("weekly_anchor").notNull().default(1),
    /** The last 4 digits of the payout bank account; null when none is set (no payouts). */
    bankLast4: text("bank_last4"),
    /** The bank's behaviour for the transfer simulator, decided from the test account number. */
    bankBehaviour: text("bank_behaviour", { enum: ["succeeds", "no_account", "account_closed"] }),
    updated: integer("updated").notNull(),
  },
  (t) => [
    check("settlement_settings_fee_check", sql`${t.feeBps} between 0 and 10000`),
    check("settlement_settings_delay_check", sql`${t.delayDays} between 0 and 30`),
  ],
);

/**
 * A balance transaction (`txn_…`): one money movement that changed the merchant's balance, written
 * in the batch of the movement. Immutable except `status` (pending → available, by the settlement
 * run `settlement`) and `payout` (the automatic payout that paid it out).
 */
export const balanceTransactions = sqliteTable(
  "balance_transactions",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    currency: text("currency").notNull(),
    /** Gross amount in minor units: positive credits the balance, negative debits it. */
    amount: integer("amount").notNull(),
    /** The gateway's fee (positive when charged, negative when a refund returns it). */
    fee: integer("fee").notNull(),
    /** amount − fee. */
    net: integer("net").notNull(),
    /** `charge` | `refund` | `refund_failure` | `payout` | `payout_failure` | `adjustment`. */
    type: text("type").notNull(),
    reportingCategory: text("reporting_category").notNull(),
    /** The object that caused it: `ch_…`, `re_…`, `po_…`. */
    source: text("source").notNull(),
    description: text("description"),
    /** `pending` | `available`. */
    status: text("status", { enum: ["pending", "available"] }).notNull(),
    /** Unix seconds (a 00:00 UTC cut-off) when it becomes available. */
    availableOn: integer("available_on").notNull(),
    /** The settlement run that made it available (`settle:<currency>:<date>`), null before. */
    settlement: text("settlement"),
    /** The automatic payout (`po_…`) that contains it, null until paid out. */
    payout: text("payout"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("balance_transactions_list_idx").on(t.merchantId, t.created, t.id),
    index("balance_transactions_due_idx").on(t.status, t.availableOn, t.merchantId, t.currency),
    index("balance_transactions_payout_idx").on(t.merchantId, t.payout),
    index("balance_transactions_source_idx").on(t.source),
  ],
);

/** A payout (`po_…`) of available funds to the merchant's bank account. */
export const payouts = sqliteTable(
  "payouts",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** `pending` → `in_transit` → `paid`, or `failed` / `canceled`. */
    status: text("status", { enum: ["pending", "in_transit", "paid", "failed", "canceled"] }).notNull(),
    /** 1 for a scheduled payout (it contains balance transactions), 0 for one made by `POST /v1/payouts`. */
    automatic: integer("automatic").notNull(),
    /** Unix seconds (00:00 UTC) the funds are expected in the bank. */
    arrivalDate: integer("arrival_date").notNull(),
    description: text("description"),
    statementDescriptor: text("statement_descriptor"),
    metadata: text("metadata").notNull().default("{}"),
    bankLast4: text("bank_last4"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /** The balance transaction that returned a failed payout's funds. */
    failureBalanceTransaction: text("failure_balance_transaction"),
    /** An automatic payout's run key (`<currency>:<yyyy-mm-dd>`): at most one payout per run. */
    runKey: text("run_key"),
    idempotencyKey: text("idempotency_key"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("payouts_list_idx").on(t.merchantId, t.created, t.id),
    index("payouts_open_idx").on(t.status, t.arrivalDate),
    uniqueIndex("payouts_run_idx").on(t.merchantId, t.runKey),
    uniqueIndex("payouts_idempotency_idx").on(t.merchantId, t.idempotencyKey),
  ],
);

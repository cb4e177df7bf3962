/**
 * Charges: one immutable row per authorization attempt the processor answered (held or declined).
 * The money that moves later (capture, refunds) is the intent's: only an intent's latest charge can
 * have succeeded, so a charge is rendered with its intent's money columns. See docs/schema.md.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** A charge (`ch_…`): written in the batch that records its authorization's outcome, never updated. */
export const charges = sqliteTable(
  "charges",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    paymentIntentId: text("payment_intent_id").notNull(),
    /** The intent's `customer` when the attempt was made. */
    customer: text("customer"),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    /** `succeeded` (authorized) or `failed` (declined). */
    status: text("status", { enum: ["succeeded", "failed"] }).notNull(),
    paymentMethod: text("payment_method"),
    failureCode: text("failure_code"),
    failureMessage: text("failure_message"),
    /** `outcome.reason`: the decline code of a failed charge, else null. */
    outcomeReason: text("outcome_reason"),
    /** JSON: Stripe's `payment_method_details` (card summary and checks); null if the method was gone. */
    paymentMethodDetails: text("payment_method_details"),
    /** JSON: the payment method's `billing_details` at the attempt; null if the method was gone. */
    billingDetails: text("billing_details"),
    /**
     * JSON: the fraud screen's verdict (`FraudVerdict`: action, score, level, rule, reason and each
     * signal's contribution), shown as the risk fields of `outcome`; null if the attempt was not screened.
     */
    risk: text("risk"),
    /** The connector account the attempt went to (`mca_…` or `builtin`); null before routing existed. */
    connector: text("connector"),
    /** The routing rule that chose the connector (null: the default, or no routing). */
    routingRule: text("routing_rule"),
    /** The routing configuration's version the choice was made with (0: none); null before routing existed. */
    routingVersion: integer("routing_version"),
    created: integer("created").notNull(),
  },
  (t) => [
    index("charges_list_idx").on(t.merchantId, t.created, t.id),
    index("charges_intent_idx").on(t.paymentIntentId, t.created),
    index("charges_customer_idx").on(t.merchantId, t.customer, t.created),
  ],
);

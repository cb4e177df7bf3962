/**
 * Payments: PaymentIntents, their append-only version log, refunds and the double-entry ledger.
 * See docs/schema.md.
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { type Account, NON_NEGATIVE_ACCOUNTS, NON_POSITIVE_ACCOUNTS, UNSIGNED_ACCOUNTS } from "../../domain/ledger";

/** A PaymentIntent. `version` is bumped by every change, through payment_intent_versions. */
export const paymentIntents = sqliteTable(
  "payment_intents",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status").notNull(),
    captureMethod: text("capture_method").notNull(),
    paymentMethod: text("payment_method"),
    description: text("description"),
    /** JSON object of string values. */
    metadata: text("metadata").notNull().default("{}"),
    statementDescriptor: text("statement_descriptor"),
    amountCapturable: integer("amount_capturable").notNull().default(0),
    amountReceived: integer("amount_received").notNull().default(0),
    /** Sum of refunds not failed (pending ones reserve their amount). */
    amountRefunded: integer("amount_refunded").notNull().default(0),
    latestCharge: text("latest_charge"),
    /** The processor's authorization reference; internal, never returned. */
    processorReference: text("processor_reference"),
    /**
     * The connector account (`mca_…`, or `builtin`) of the latest authorization claim: where its
     * capture, void and refunds go. Null on intents authorized before routing (the built-in simulator).
     */
    connector: text("connector"),
    /** JSON of the last decline, as returned in `last_payment_error`. */
    lastPaymentError: text("last_payment_error"),
    cancellationReason: text("cancellation_reason"),
    canceledAt: integer("canceled_at"),
    authorizedAt: integer("authorized_at"),
    /** JSON PendingOp while `status = processing`: the processor call whose outcome is not recorded. */
    pendingOp: text("pending_op"),
    version: integer("version").notNull(),
    idempotencyKey: text("idempotency_key"),
    created: integer("created").notNull(),
    /** `pi_…_secret_…`: lets a publishable key retrieve and confirm this one intent. Null on intents made before it existed. */
    clientSecret: text("client_secret"),
    /** The cus_ this intent belongs to (its payment method may be one of that customer's saved cards). */
    customer: text("customer"),
    /** `on_session` | `off_session`: save the card to `customer` when the authorization succeeds. */
    setupFutureUsage: text("setup_future_usage"),
    /** The intent's open review (`prv_…`): set while a Radar review holds it, so it cannot be captured. */
    review: text("review"),
    /**
     * JSON NextAction while `status = requires_action`: the pending 3-D Secure authentication
     * (`payatt_…`), its challenge URL and the return URL (payments/three-d-secure.ts).
     */
    nextAction: text("next_action"),
  },
  (t) => [
    uniqueIndex("payment_intents_idempotency_idx").on(t.merchantId, t.idempotencyKey),
    index("payment_intents_list_idx").on(t.merchantId, t.created, t.id),
    index("payment_intents_expiry_idx").on(t.status, t.authorizedAt),
    index("payment_intents_customer_idx").on(t.merchantId, t.customer, t.created),
  ],
);

/**
 * One row per intent version. Its primary key is the compare-and-swap: two writers that read the
 * same version both try to insert version + 1, and the second batch fails as a whole.
 */
export const paymentIntentVersions = sqliteTable(
  "payment_intent_versions",
  {
    intentId: text("intent_id").notNull(),
    version: integer("version").notNull(),
    /** What changed: created, updated, authorize_started, authorized, declined, captured, … */
    kind: text("kind").notNull(),
    amount: integer("amount"),
    created: integer("created").notNull(),
    /** On a claim: the Idempotency-Key of the request that claimed the operation (unique per intent). */
    requestKey: text("request_key"),
    /** On an operation's outcome: the answer its request got (JSON of an OutcomeAnswer). */
    answer: text("answer"),
  },
  (t) => [
    primaryKey({ columns: [t.intentId, t.version] }),
    uniqueIndex("payment_intent_versions_request_key_idx").on(t.intentId, t.requestKey),
  ],
);

/** A refund of (part of) a succeeded PaymentIntent. Its id is the processor-side idempotency key. */
export const refunds = sqliteTable(
  "refunds",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    paymentIntentId: text("payment_intent_id").notNull(),
    charge: text("charge").notNull(),
    amount: integer("amount").notNull(),
    currency: text("currency").notNull(),
    status: text("status").notNull(),
    reason: text("reason"),
    metadata: text("metadata").notNull().default("{}"),
    failureReason: text("failure_reason"),
    /** The balance transaction that gave a failed refund's funds back (`txn_…`), null otherwise. */
    failureBalanceTransaction: text("failure_balance_transaction"),
    idempotencyKey: text("idempotency_key"),
    created: integer("created").notNull(),
  },
  (t) => [
    uniqueIndex("refunds_idempotency_idx").on(t.merchantId, t.idempotencyKey),
    index("refunds_list_idx").on(t.merchantId, t.created, t.id),
    index("refunds_intent_idx").on(t.paymentIntentId, t.created),
  ],
);

/**
 * One posting of a balanced ledger transaction (`txn_id`): the amounts of a transaction sum to 0.
 * The unique (source_id, kind, account) index refuses a second booking of the same movement for
 * the same intent or refund, and with it the whole batch it was part of.
 */
export const ledgerEntries = sqliteTable(
  "ledger_entries",
  {
    id: text("id").primaryKey(),
    txnId: text("txn_id").notNull(),
    merchantId: text("merchant_id").notNull(),
    currency: text("currency").notNull(),
    account: text("account").notNull(),
    amount: integer("amount").notNull(),
    /** The movement (`MovementKind`): authorize, release, capture, refund_reserve, refund, refund_failure. */
    kind: text("kind").notNull(),
    /** The intent or refund the movement belongs to. */
    sourceId: text("source_id").notNull(),
    created: integer("created").notNull(),
  },
  (t) => [
    index("ledger_entries_balance_idx").on(t.merchantId, t.currency, t.account),
    index("ledger_entries_txn_idx").on(t.txnId),
    uniqueIndex("ledger_entries_movement_idx").on(t.sourceId, t.kind, t.account),
    // A refund is settled once: paid back or failed, never both (both post to refund_reserve).
    uniqueIndex("ledger_entries_refund_settled_idx")
      .on(t.sourceId, t.account)
      .where(sql`${t.kind} in ('refund', 'refund_failure')`),
  ],
);

/** SQL list of account names, for the sign CHECK (names come from the domain, never from input). */
const accountList = (accounts: readonly Account[]) => sql.raw(accounts.map((a) => `'${a}'`).join(", "));

/**
 * The running balance of each account of a merchant in one currency: the sum of its postings,
 * kept by an upsert in the same batch as the postings. The CHECK holds every account on its side
 * of zero (`accountSign`) and refuses unknown accounts, so a posting that would overdraw an
 * account fails its whole batch.
 */
export const ledgerBalances = sqliteTable(
  "ledger_balances",
  {
    merchantId: text("merchant_id").notNull(),
    currency: text("currency").notNull(),
    account: text("account").notNull(),
    balance: integer("balance").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.merchantId, t.currency, t.account] }),
    check(
      "ledger_balances_sign_check",
      sql`(${sql.identifier("account")} IN (${accountList(NON_NEGATIVE_ACCOUNTS)}) AND ${sql.identifier("balance")} >= 0) OR (${sql.identifier("account")} IN (${accountList(NON_POSITIVE_ACCOUNTS)}) AND ${sql.identifier("balance")} <= 0) OR ${sql.identifier("account")} IN (${accountList(UNSIGNED_ACCOUNTS)})`,
    ),
  ],
);

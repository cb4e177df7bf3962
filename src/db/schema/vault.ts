/**
 * The card vault: payment methods with their encrypted card secrets, and single-use tokens.
 * Card numbers and CVCs exist here only as AES-256-GCM ciphertext (see src/crypto/envelope.ts);
 * no plaintext column ever holds more than the last four digits.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A tokenized card of one merchant (`pm_…`), chargeable until detached. */
export const paymentMethods = sqliteTable(
  "payment_methods",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    type: text("type", { enum: ["card"] }).notNull(),
    status: text("status", { enum: ["active", "detached"] }).notNull(),
    /** 1 when created behind a `tok_…`: chargeable only by claiming that token, once. */
    singleUse: integer("single_use", { mode: "boolean" }).notNull(),
    brand: text("brand").notNull(),
    last4: text("last4").notNull(),
    expMonth: integer("exp_month").notNull(),
    expYear: integer("exp_year").notNull(),
    funding: text("funding").notNull(),
    /** The issuer's country (ISO 3166 alpha-2) from the card number, when known (domain/bins.ts). */
    country: text("country"),
    /** The first six digits of the card number (the BIN, which PCI DSS allows in the clear), for fraud rules and lists. */
    bin: text("bin"),
    /** Merchant-scoped HMAC fingerprint; the one merchants see. */
    fingerprint: text("fingerprint").notNull(),
    /** Cross-merchant HMAC fingerprint for fraud velocity; never returned by the API. */
    internalFingerprint: text("internal_fingerprint").notNull(),
    /** JSON: Stripe's billing_details object. */
    billingDetails: text("billing_details").notNull(),
    /** JSON: string key/value metadata. */
    metadata: text("metadata").notNull().default("{}"),
    /** KEK version that wraps `wrapped_key`; null once the secrets are shredded on detach. */
    keyVersion: integer("key_version"),
    /** The record's data key, AES-GCM-wrapped by the KEK: base64url(IV ‖ ciphertext ‖ tag). */
    wrappedKey: text("wrapped_key"),
    /** The PAN under the data key: base64url(IV ‖ ciphertext ‖ tag). */
    panCiphertext: text("pan_ciphertext"),
    /** The CVC under the data key until the first authorization attempt or `cvc_expires_at`. */
    cvcCiphertext: text("cvc_ciphertext"),
    cvcExpiresAt: integer("cvc_expires_at"),
    created: integer("created").notNull(),
    detachedAt: integer("detached_at"),
    /** Idempotency-Key of the create (of the `pm_…`, or of its `tok_…` when single-use); a re-run finds this row. */
    idempotencyKey: text("idempotency_key"),
    /** The customer (`cus_…`) it is attached to; null when unattached, and again once detached. */
    customer: text("customer"),
  },
  (t) => [
    uniqueIndex("payment_methods_idempotency_idx").on(t.merchantId, t.singleUse, t.idempotencyKey),
    index("payment_methods_merchant_idx").on(t.merchantId, t.created),
    index("payment_methods_internal_fp_idx").on(t.internalFingerprint, t.created),
    index("payment_methods_key_version_idx").on(t.keyVersion, t.id),
    index("payment_methods_cvc_expiry_idx").on(t.cvcExpiresAt),
    index("payment_methods_customer_idx").on(t.merchantId, t.customer, t.created),
  ],
);

/** A single-use card token (`tok_…`) wrapping a single-use payment method. */
export const tokens = sqliteTable(
  "tokens",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    paymentMethodId: text("payment_method_id")
      .notNull()
      .references(() => paymentMethods.id),
    used: integer("used", { mode: "boolean" }).notNull().default(false),
    created: integer("created").notNull(),
    usedAt: integer("used_at"),
  },
  (t) => [index("tokens_merchant_idx").on(t.merchantId, t.created)],
);

/**
 * One row per spent token. Written in the same batch as the claim that uses the token: its primary
 * key makes a second spend fail that whole batch, so a claim that loses spends nothing.
 */
export const tokenRedemptions = sqliteTable("token_redemptions", {
  tokenId: text("token_id").primaryKey(),
  merchantId: text("merchant_id").notNull(),
  /** The object that spent the token (a PaymentIntent id). */
  usedBy: text("used_by").notNull(),
  created: integer("created").notNull(),
});

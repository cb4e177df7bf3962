/**
 * Connector accounts (`mca_…`): the processor accounts a merchant's payments may go through, set by
 * the operator. Credentials are sealed under the vault's KEKs (src/connectors/credentials.ts) and
 * bound to the merchant and the account; only the secret key's last 4 characters are kept in clear.
 * See docs/connectors.md.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** One connector account of one merchant. */
export const connectorAccounts = sqliteTable(
  "connector_accounts",
  {
    id: text("id").primaryKey(),
    merchantId: text("merchant_id").notNull(),
    /** Which connector: the built-in simulator or Stripe. */
    kind: text("kind", { enum: ["simulator", "stripe"] }).notNull(),
    /** `test` | `live`: only live accounts may serve a live deployment. */
    mode: text("mode", { enum: ["test", "live"] }).notNull(),
    /** `active` | `disabled`. */
    status: text("status", { enum: ["active", "disabled"] }).notNull(),
    /** JSON array of lowercase ISO 4217 currencies accepted; `[]` = all. */
    currencies: text("currencies").notNull().default("[]"),
    /** JSON array of card brands accepted; `[]` = all. */
    brands: text("brands").notNull().default("[]"),
    /** The sealed credentials (JSON envelope, see connectors/credentials.ts); null when the kind takes none. */
    credentialsSealed: text("credentials_sealed"),
    /** The last 4 characters of the secret key, the only part ever shown; null without credentials. */
    secretKeyLast4: text("secret_key_last4"),
    created: integer("created").notNull(),
    updated: integer("updated").notNull(),
  },
  (t) => [index("connector_accounts_merchant_idx").on(t.merchantId, t.mode, t.status)],
);

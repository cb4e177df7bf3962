/** Merchants, their API clients (OAuth2 client credentials), their API keys, their moves between shards and the operator audit log. */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/** A merchant account: the tenant every object belongs to. */
export const merchants = sqliteTable(
  "merchants",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "suspended"] })
      .notNull()
      .default("active"),
    /** Requests per second; null means the deployment default (RATE_LIMIT_DEFAULT). */
    rateLimit: integer("rate_limit"),
    /** The shard database holding the merchant's objects (`SHARD_<n>`): the shard directory. */
    shard: integer("shard").notNull(),
    created: integer("created").notNull(),
  },
  // Lists are newest first with id as the tie-breaker (src/db/pagination.ts); the shard index counts merchants per shard.
  (t) => [index("merchants_created_idx").on(t.created, t.id), index("merchants_shard_idx").on(t.shard)],
);

/** An OAuth2 client of a merchant. The secret is stored only as a keyed HMAC (`secret_hash`). */
export const apiClients = sqliteTable(
  "api_clients",
  {
    clientId: text("client_id").primaryKey(),
    merchantId: text("merchant_id")
      .notNull()
      .references(() => merchants.id),
    secretHash: text("secret_hash").notNull(),
    /** Space-separated scopes, as in OAuth2's `scope` parameter. */
    scopes: text("scopes").notNull(),
    status: text("status", { enum: ["active", "revoked"] })
      .notNull()
      .default("active"),
    created: integer("created").notNull(),
    lastUsed: integer("last_used"),
  },
  (t) => [index("api_clients_merchant_idx").on(t.merchantId, t.created, t.clientId)],
);

/**
 * A merchant's Stripe-style API key (`sk_…`, `rk_…`, `pk_…`), found by the keyed HMAC of the whole
 * key (`key_hash`, under CLIENT_SECRET_PEPPER); the key itself is never stored, only its prefix and
 * last four characters for display. `id` (`key_…`) names it in the API.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    keyHash: text("key_hash").primaryKey(),
    id: text("id").notNull(),
    merchantId: text("merchant_id")
      .notNull()
      .references(() => merchants.id),
    kind: text("kind", { enum: ["secret", "restricted", "publishable"] }).notNull(),
    /** Space-separated scopes of a restricted key; empty for the other kinds, whose scopes follow from the kind. */
    scopes: text("scopes").notNull().default(""),
    /** The visible prefix, e.g. `sk_test_`. */
    prefix: text("prefix").notNull(),
    last4: text("last4").notNull(),
    status: text("status", { enum: ["active", "revoked"] })
      .notNull()
      .default("active"),
    /** Unix seconds after which the key is refused (set by a roll); null = no expiry. */
    expiresAt: integer("expires_at"),
    /** The key that replaced this one in a roll. */
    rolledTo: text("rolled_to"),
    created: integer("created").notNull(),
  },
  (t) => [uniqueIndex("api_keys_id_idx").on(t.id), index("api_keys_merchant_idx").on(t.merchantId, t.created, t.id)],
);

/** Append-only record of every operator action: who, what, on which target, when, and the request id. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    targetId: text("target_id").notNull(),
    requestId: text("request_id").notNull(),
    /** JSON object with non-secret details of the change. */
    details: text("details").notNull().default("{}"),
    created: integer("created").notNull(),
  },
  (t) => [index("audit_log_target_idx").on(t.targetId, t.created)],
);

/**
 * A merchant's move between shards (docs/scaling.md, "Moving a merchant"), one row per merchant:
 * the step reached, so a move interrupted at any point is resumed from its row.
 */
export const merchantMoves = sqliteTable("merchant_moves", {
  merchantId: text("merchant_id")
    .primaryKey()
    .references(() => merchants.id),
  fromShard: integer("from_shard").notNull(),
  toShard: integer("to_shard").notNull(),
  /** `copying` (frozen; the target's copy is redone from scratch on resume), `switched` (the directory names the target), `done`. */
  step: text("step", { enum: ["copying", "switched", "done", "dropped"] }).notNull(),
  /** Until when (ms) one call runs the move; another call meanwhile is refused, so two never copy at once. */
  claimedUntil: integer("claimed_until").notNull().default(0),
  created: integer("created").notNull(),
  updated: integer("updated").notNull(),
});

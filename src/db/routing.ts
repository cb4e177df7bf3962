/**
 * Queries of the routing configurations on a merchant's shard: the newest version, the history,
 * and the insert of the next version. Versions are never updated or deleted. See docs/connectors.md.
 */
import { desc, eq, sql } from "drizzle-orm";
import type { RoutingConfig, RoutingRule } from "../domain/routing";
import type { Db } from "./client";
import { isUniqueViolation } from "./errors";
import { routingConfigs } from "./schema";

/** A stored version of a merchant's routing: the config, when it was set and by which operator. */
export interface StoredRouting extends RoutingConfig {
  merchantId: string;
  created: number;
  createdBy: string;
}

/** The outcome of `insertRouting`: the stored version, or `conflict` when concurrent writes kept taking its number. */
export type InsertRoutingResult = { ok: true; routing: StoredRouting } | { ok: false; reason: "conflict" };

/** Tries of `insertRouting` before it gives up with `conflict`. */
const INSERT_TRIES = 3;

type Row = typeof routingConfigs.$inferSelect;

function stored(row: Row): StoredRouting {
  return {
    merchantId: row.merchantId,
    version: row.version,
    rules: JSON.parse(row.rules) as RoutingRule[],
    default_connector: row.defaultConnector,
    created: row.created,
    createdBy: row.createdBy,
  };
}

/** The merchant's routing in force (its newest version), or null when none was ever set. */
export async function latestRouting(db: Db, merchantId: string): Promise<StoredRouting | null> {
  const row = await db
    .select()
    .from(routingConfigs)
    .where(eq(routingConfigs.merchantId, merchantId))
    .orderBy(desc(routingConfigs.version))
    .limit(1)
    .get();
  return row ? stored(row) : null;
}

/** The merchant's newest `limit` versions, newest first. */
export async function routingVersions(db: Db, merchantId: string, limit: number): Promise<StoredRouting[]> {
  const rows = await db
    .select()
    .from(routingConfigs)
    .where(eq(routingConfigs.merchantId, merchantId))
    .orderBy(desc(routingConfigs.version))
    .limit(limit)
    .all();
  return rows.map(stored);
}

/**
 * Stores `config` as the merchant's next version (its newest + 1, or 1), numbered inside the one
 * INSERT … SELECT that writes it, so two writes never share a version: the primary key refuses the
 * second, which numbers itself again (up to INSERT_TRIES times, then `conflict`).
 */
export async function insertRouting(
  db: Db,
  merchantId: string,
  config: Pick<RoutingConfig, "rules" | "default_connector">,
  createdBy: string,
  now: number,
): Promise<InsertRoutingResult> {
  const next = db
    .select({
      merchantId: sql<string>`${merchantId}`.as("merchant_id"),
      version: sql<number>`coalesce(max(${routingConfigs.version}), 0) + 1`.as("version"),
      rules: sql<string>`${JSON.stringify(config.rules)}`.as("rules"),
      defaultConnector: sql<string | null>`${config.default_connector}`.as("default_connector"),
      created: sql<number>`${now}`.as("created"),
      createdBy: sql<string>`${createdBy}`.as("created_by"),
    })
    .from(routingConfigs)
    .where(eq(routingConfigs.merchantId, merchantId));
  for (let tries = 0; tries < INSERT_TRIES; tries++) {
    try {
      const row = await db.insert(routingConfigs).select(next).returning().get();
      return { ok: true, routing: stored(row) };
    } catch (err) {
      if (!isUniqueViolation(err, "routing_configs")) throw err;
    }
  }
  return { ok: false, reason: "conflict" };
}

/**
 * Stripe-style cursor pagination for list endpoints: `limit` (1–100, default 10), `starting_after`
 * or `ending_before` (never both), newest first by (created, id), and `{object:"list", url, has_more, data}`.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { Db } from "../db/client";
import { ApiError } from "../errors";
import { intParam } from "./params";

/** Query parameters shared by every list endpoint. */
export const listQuery = {
  limit: intParam().pipe(z.int().min(1).max(100)).optional(),
  starting_after: z.string().max(100).optional(),
  ending_before: z.string().max(100).optional(),
  "created[gte]": intParam().pipe(z.int().min(0)).optional(),
  "created[lte]": intParam().pipe(z.int().min(0)).optional(),
};

/** Parsed list parameters. */
export interface ListParams {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  "created[gte]"?: number;
  "created[lte]"?: number;
}

/** A Stripe list envelope. */
export interface ListPage<T> {
  object: "list";
  url: string;
  has_more: boolean;
  data: T[];
}

/** The columns a paginated table must have. */
interface Listable {
  id: SQLiteColumn;
  merchantId: SQLiteColumn;
  created: SQLiteColumn;
}

/**
 * One page of `table` rows of `merchantId` matching `filter`, newest first. A cursor id that is not
 * the merchant's answers 404 `resource_missing` naming the cursor parameter.
 */
export async function paginate<T extends SQLiteTable & Listable>(
  db: Db,
  table: T,
  merchantId: string,
  params: ListParams,
  filter?: SQL,
): Promise<{ rows: T["$inferSelect"][]; hasMore: boolean }> {
  if (params.starting_after && params.ending_before) {
    throw new ApiError("parameter_invalid", "You may only specify one of starting_after and ending_before.", {
      param: "ending_before",
    });
  }
  const limit = params.limit ?? 10;
  const conditions: (SQL | undefined)[] = [eq(table.merchantId, merchantId), filter];
  if (params["created[gte]"] !== undefined) conditions.push(gte(table.created, params["created[gte]"]));
  if (params["created[lte]"] !== undefined) conditions.push(lte(table.created, params["created[lte]"]));
  const cursorParam = params.starting_after ? "starting_after" : params.ending_before ? "ending_before" : undefined;
  const backwards = cursorParam === "ending_before";
  if (cursorParam) {
    const cursorId = params[cursorParam] as string;
    const cursor = await db
      .select({ created: table.created })
      .from(table as SQLiteTable)
      .where(and(eq(table.id, cursorId), eq(table.merchantId, merchantId)))
      .get();
    if (!cursor) throw new ApiError("resource_missing", `No such object: '${cursorId}'.`, { param: cursorParam });
    const created = cursor.created as number;
    conditions.push(
      backwards
        ? or(gt(table.created, created), and(eq(table.created, created), gt(table.id, cursorId)))
        : or(lt(table.created, created), and(eq(table.created, created), lt(table.id, cursorId))),
    );
  }
  const order = backwards ? [asc(table.created), asc(table.id)] : [desc(table.created), desc(table.id)];
  const rows = (await db
    .select()
    .from(table as SQLiteTable)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(limit + 1)
    .all()) as T["$inferSelect"][];
  const hasMore = rows.length > limit;
  const page = rows.slice(0, limit);
  return { rows: backwards ? page.reverse() : page, hasMore };
}

/** Wraps a page in Stripe's list envelope. */
export function listPage<T>(url: string, data: T[], hasMore: boolean): ListPage<T> {
  return { object: "list", url, has_more: hasMore, data };
}

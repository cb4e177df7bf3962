/**
 * Keyset pagination over any table with an id and a `created` column, newest first, ties broken
 * by id. Cursors are object ids looked up inside the same scope, so a cursor from another merchant
 * is simply "no such object".
 */
import { and, asc, desc, eq, gt, gte, lt, lte, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import type { CreatedRange, Page, PageRequest } from "../lib/pagination";
import type { Db } from "./client";

/** What to list: a table, its id and created columns, and an optional scope (e.g. merchant). */
export interface ListSource<T extends SQLiteTable> {
  table: T;
  id: SQLiteColumn;
  created: SQLiteColumn;
  scope?: SQL;
  /**
   * Where the cursor object is looked up, when wider than `scope`: a filtered list (e.g. events
   * with `delivery_success=false`) pages from any of the merchant's objects, as Stripe's do.
   */
  cursorScope?: SQL;
}

/** A page, or the cursor parameter that names no object in the scope. */
export type PageResult<T> =
  | { ok: true; page: Page<T> }
  | { ok: false; param: "starting_after" | "ending_before"; cursor: string };

/** Fetches one page, newest first; an unknown cursor is reported, not thrown. */
export async function listPage<T extends SQLiteTable>(
  db: Db,
  source: ListSource<T>,
  page: PageRequest,
): Promise<PageResult<T["$inferSelect"]>> {
  const { table, id, created, cursorScope = source.scope } = source;
  const scope = and(source.scope, createdRange(created, page.created));
  const cursorId = page.startingAfter ?? page.endingBefore;
  let where = scope;
  const backwards = page.endingBefore !== undefined;
  if (cursorId !== undefined) {
    const cursor = await db
      .select({ created })
      .from(table as SQLiteTable)
      .where(and(eq(id, cursorId), cursorScope))
      .get();
    if (!cursor) return { ok: false, param: backwards ? "ending_before" : "starting_after", cursor: cursorId };
    const cmp = backwards ? gt : lt;
    where = and(scope, or(cmp(created, cursor.created), and(eq(created, cursor.created), cmp(id, cursorId))));
  }
  const order = backwards ? [asc(created), asc(id)] : [desc(created), desc(id)];
  const rows = (await db
    .select()
    .from(table as SQLiteTable)
    .where(where)
    .orderBy(...order)
    .limit(page.limit + 1)
    .all()) as T["$inferSelect"][];
  const hasMore = rows.length > page.limit;
  const data = rows.slice(0, page.limit);
  if (backwards) data.reverse();
  return { ok: true, page: { data, hasMore } };
}

/** The condition a `created` filter puts on the `created` column (undefined, which `and` drops, when none). */
export function createdRange(created: SQLiteColumn, range: CreatedRange = {}): SQL | undefined {
  return and(
    range.gt === undefined ? undefined : gt(created, range.gt),
    range.gte === undefined ? undefined : gte(created, range.gte),
    range.lt === undefined ? undefined : lt(created, range.lt),
    range.lte === undefined ? undefined : lte(created, range.lte),
    range.eq === undefined ? undefined : eq(created, range.eq),
  );
}

/**
 * `column NOT IN (values)`, the values bound as one JSON array (so any number fits D1's 100 bound
 * values a statement), or nothing (undefined, which `and` drops) when there are none.
 */
export function notOf(column: SQLiteColumn, values: readonly string[]): SQL | undefined {
  return values.length > 0 ? sql`${column} not in (select value from json_each(${JSON.stringify(values)}))` : undefined;
}

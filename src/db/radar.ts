/**
 * Storage of Radar rules and value lists. Every query is scoped by merchant, so another
 * merchant's list, item or rule behaves exactly like a missing one. The rules that must hold under
 * concurrency are in the statements: an alias is unique per merchant (index), a value once per
 * list (index), and a list a rule uses is neither deleted nor renamed (guard in the statement).
 * The lookup an authorization makes is one query for every (list, value) pair its rules ask about.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { PageRequest } from "../lib/pagination";
import type { Db } from "./client";
import { isGuardMiss, isUniqueViolation } from "./errors";
import { listPage, type PageResult } from "./pagination";
import { radarRules, radarValueListItems, radarValueLists } from "./schema";

/** A radar_value_lists row. */
export type ValueListRow = typeof radarValueLists.$inferSelect;
/** A radar_value_list_items row. */
export type ValueListItemRow = typeof radarValueListItems.$inferSelect;
/** A radar_rules row. */
export type RuleRow = typeof radarRules.$inferSelect;

/** True (as SQL) when one of the merchant's rules uses the list alias `alias`. */
function usedByRule(merchantId: string, alias: SQL | string): SQL {
  const r = radarRules;
  return sql`exists (select 1 from ${r}, json_each(${r.lists}) as j where ${r.merchantId} = ${merchantId} and j.value = ${alias})`;
}

/** Inserts a list; false when the merchant already has one with its alias. */
export async function insertValueList(db: Db, row: ValueListRow): Promise<boolean> {
  try {
    await db.insert(radarValueLists).values(row);
    return true;
  } catch (err) {
    if (isUniqueViolation(err, "radar_value_lists")) return false;
    throw err;
  }
}

/** The merchant's list with this id, or undefined. */
export function getValueList(db: Db, merchantId: string, id: string): Promise<ValueListRow | undefined> {
  const l = radarValueLists;
  return db
    .select()
    .from(l)
    .where(and(eq(l.id, id), eq(l.merchantId, merchantId)))
    .get();
}

/** The merchant's lists with these aliases. */
export function valueListsByAlias(db: Db, merchantId: string, aliases: readonly string[]): Promise<ValueListRow[]> {
  const l = radarValueLists;
  return db
    .select()
    .from(l)
    .where(
      and(eq(l.merchantId, merchantId), sql`${l.alias} in (select value from json_each(${JSON.stringify(aliases)}))`),
    )
    .all();
}

/** What an update of a list did. */
export type ListUpdateResult = "updated" | "missing" | "alias_taken" | "alias_in_use";

/** Changes a list's name, alias or metadata; its alias only while no rule uses it. */
export async function updateValueList(
  db: Db,
  merchantId: string,
  id: string,
  changes: Partial<Pick<ValueListRow, "alias" | "name" | "metadata">>,
): Promise<ListUpdateResult> {
  const l = radarValueLists;
  const mine = and(eq(l.id, id), eq(l.merchantId, merchantId));
  const guard =
    changes.alias === undefined
      ? undefined
      : sql`(${l.alias} = ${changes.alias} or not ${usedByRule(merchantId, sql`${l.alias}`)})`;
  try {
    const rows = await db.update(l).set(changes).where(and(mine, guard)).returning({ id: l.id });
    if (rows.length > 0) return "updated";
  } catch (err) {
    if (isUniqueViolation(err, "radar_value_lists")) return "alias_taken";
    throw err;
  }
  return (await getValueList(db, merchantId, id)) ? "alias_in_use" : "missing";
}

/** Deletes a list and its items, unless a rule uses it. */
export async function deleteValueList(
  db: Db,
  merchantId: string,
  id: string,
): Promise<"deleted" | "missing" | "in_use"> {
  const l = radarValueLists;
  const i = radarValueListItems;
  const [gone] = await db.batch([
    db
      .delete(l)
      .where(and(eq(l.id, id), eq(l.merchantId, merchantId), sql`not ${usedByRule(merchantId, sql`${l.alias}`)}`))
      .returning({ id: l.id }),
    db
      .delete(i)
      .where(
        and(
          eq(i.valueList, id),
          eq(i.merchantId, merchantId),
          sql`not exists (select 1 from ${l} where ${l.id} = ${id})`,
        ),
      ),
  ]);
  if (gone.length > 0) return "deleted";
  return (await getValueList(db, merchantId, id)) ? "in_use" : "missing";
}

/** A page of the merchant's lists, newest first, optionally only the one with this alias. */
export function listValueLists(
  db: Db,
  merchantId: string,
  filter: { alias?: string },
  page: PageRequest,
): Promise<PageResult<ValueListRow>> {
  const l = radarValueLists;
  const scope = and(eq(l.merchantId, merchantId), filter.alias === undefined ? undefined : eq(l.alias, filter.alias));
  return listPage(
    db,
    { table: l, id: l.id, created: l.created, scope, cursorScope: eq(l.merchantId, merchantId) },
    page,
  );
}

/**
 * Inserts an item into one of the merchant's lists: "missing" when the list is not there (its id
 * is read in the statement; a missing one is NULL in a NOT NULL column), "duplicate" when the value is.
 */
export async function insertValueListItem(
  db: Db,
  row: ValueListItemRow,
): Promise<"inserted" | "missing" | "duplicate"> {
  const l = radarValueLists;
  try {
    await db.insert(radarValueListItems).values({
      ...row,
      valueList: sql`(select ${l.id} from ${l} where ${l.id} = ${row.valueList} and ${l.merchantId} = ${row.merchantId})`,
    });
    return "inserted";
  } catch (err) {
    if (isGuardMiss(err, "radar_value_list_items.value_list")) return "missing";
    if (isUniqueViolation(err, "radar_value_list_items")) return "duplicate";
    throw err;
  }
}

/** The merchant's list item with this id, or undefined. */
export function getValueListItem(db: Db, merchantId: string, id: string): Promise<ValueListItemRow | undefined> {
  const i = radarValueListItems;
  return db
    .select()
    .from(i)
    .where(and(eq(i.id, id), eq(i.merchantId, merchantId)))
    .get();
}

/** Deletes one of the merchant's items; false when there was none. */
export async function deleteValueListItem(db: Db, merchantId: string, id: string): Promise<boolean> {
  const i = radarValueListItems;
  const rows = await db
    .delete(i)
    .where(and(eq(i.id, id), eq(i.merchantId, merchantId)))
    .returning({ id: i.id });
  return rows.length > 0;
}

/** A page of the items of one of the merchant's lists, newest first, optionally only this (normalized) value. */
export function listValueListItems(
  db: Db,
  merchantId: string,
  filter: { valueList: string; value?: string },
  page: PageRequest,
): Promise<PageResult<ValueListItemRow>> {
  const i = radarValueListItems;
  const scope = and(
    eq(i.merchantId, merchantId),
    eq(i.valueList, filter.valueList),
    filter.value === undefined ? undefined : eq(i.value, filter.value),
  );
  return listPage(
    db,
    { table: i, id: i.id, created: i.created, scope, cursorScope: eq(i.merchantId, merchantId) },
    page,
  );
}

/**
 * Inserts a rule only if every list it uses still exists with the item type it was checked
 * against, in the insert itself: a list deleted (or replaced) since the check leaves no rule
 * naming it. False when one is gone.
 */
export async function insertRule(
  db: Db,
  row: RuleRow,
  lists: readonly { alias: string; itemType: string }[],
): Promise<boolean> {
  const l = radarValueLists;
  const wanted = JSON.stringify(lists.map((x) => [x.alias, x.itemType]));
  const present = sql`(select count(*) from ${l}, json_each(${wanted}) as w where ${l.merchantId} = ${row.merchantId} and ${l.alias} = json_extract(w.value, '$[0]') and ${l.itemType} = json_extract(w.value, '$[1]'))`;
  const result = await db.run(
    sql`insert into ${radarRules} (id, merchant_id, action, predicate, lists, created) select ${row.id}, ${row.merchantId}, ${row.action}, ${row.predicate}, ${row.lists}, ${row.created} where ${present} = ${lists.length}`,
  );
  return result.meta.changes === 1;
}

/** The merchant's rule with this id, or undefined. */
export function getRule(db: Db, merchantId: string, id: string): Promise<RuleRow | undefined> {
  const r = radarRules;
  return db
    .select()
    .from(r)
    .where(and(eq(r.id, id), eq(r.merchantId, merchantId)))
    .get();
}

/** Deletes one of the merchant's rules; false when there was none. */
export async function deleteRule(db: Db, merchantId: string, id: string): Promise<boolean> {
  const r = radarRules;
  const rows = await db
    .delete(r)
    .where(and(eq(r.id, id), eq(r.merchantId, merchantId)))
    .returning({ id: r.id });
  return rows.length > 0;
}

/** A page of the merchant's rules, newest first. */
export function listRules(db: Db, merchantId: string, page: PageRequest): Promise<PageResult<RuleRow>> {
  const r = radarRules;
  return listPage(db, { table: r, id: r.id, created: r.created, scope: eq(r.merchantId, merchantId) }, page);
}

/** Every rule of the merchant, oldest first (the order rules of one action are tried in). */
export function allRules(db: Db, merchantId: string) {
  const r = radarRules;
  return db.select().from(r).where(eq(r.merchantId, merchantId)).orderBy(r.created, r.id);
}

/**
 * The (list alias, value) pairs of the merchant's lists holding any of `values` (as stored): one
 * query (no shared column names, so it may share a batch) for every lookup a rule set could make.
 */
export function listHitsOf(db: Db, merchantId: string, values: readonly string[]) {
  const l = radarValueLists;
  const i = radarValueListItems;
  return db
    .select({ alias: l.alias, itemType: l.itemType, value: i.value })
    .from(i)
    .innerJoin(l, eq(l.id, i.valueList))
    .where(
      and(
        eq(i.merchantId, merchantId),
        eq(l.merchantId, merchantId),
        sql`${i.value} in (select value from json_each(${JSON.stringify(values)}))`,
      ),
    );
}

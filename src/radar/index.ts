/**
 * Radar as the API manages it: value lists and their items (Stripe's shapes), and a merchant's
 * rules (an edgepay equivalent of the Dashboard's rule editor: Stripe has no rules API). Unknown
 * and foreign ids throw the same 404; a rule that does not parse is a 400 naming the token.
 */
import type { Db } from "../db/client";
import * as q from "../db/radar";
import { listRefs, parsePredicate, type RuleAction } from "../domain/radar-rules";
import { listTypesFor, normalizeItem, type ValueListItemType } from "../domain/value-lists";
import { ApiError, invalidParam } from "../errors";
import { type IdPrefix, newId, noSuchMessage } from "../lib/ids";
import { type Metadata, mergeMetadata } from "../lib/params";

export type { RuleRow, ValueListItemRow, ValueListRow } from "../db/radar";

/** What the Radar services run on: the merchant's shard and the clock (unix seconds). */
export interface RadarDeps {
  db: Db;
  now: () => number;
}

/** Most rules one merchant may have (each authorization evaluates all of them). */
export const MAX_RULES = 100;

/** The rules every merchant has, before its own: Radar's defaults. */
export const DEFAULT_RULES: readonly { id: string; action: RuleAction; predicate: string }[] = [
  { id: "rule_default_block_highest", action: "block", predicate: ":risk_level: = 'highest'" },
  { id: "rule_default_review_elevated", action: "review", predicate: ":risk_level: = 'elevated'" },
];

function missing(kind: string, id: string, prefix: IdPrefix, param = "id"): ApiError {
  return new ApiError("resource_missing", noSuchMessage(kind, id, prefix), { param, noEffect: true });
}

/** Creates a value list; its alias must be new for the merchant. */
export async function createValueList(
  deps: RadarDeps,
  merchantId: string,
  input: { alias: string; name: string; itemType: ValueListItemType; metadata?: Metadata },
): Promise<q.ValueListRow> {
  const row: q.ValueListRow = {
    id: newId("rsl"),
    merchantId,
    alias: input.alias,
    name: input.name,
    itemType: input.itemType,
    metadata: mergeMetadata("{}", input.metadata),
    created: deps.now(),
  };
  if (!(await q.insertValueList(deps.db, row))) throw aliasTaken();
  return row;
}

function aliasTaken(): ApiError {
  return invalidParam("parameter_invalid", "A value list with this alias already exists.", "alias");
}

/** The merchant's value list, or the 404. */
export async function loadValueList(deps: RadarDeps, merchantId: string, id: string, param = "id") {
  const row = await q.getValueList(deps.db, merchantId, id);
  if (!row) throw missing("value_list", id, "rsl", param);
  return row;
}

/** Changes a list's alias, name or metadata (merged); the alias only while no rule uses it. */
export async function updateValueList(
  deps: RadarDeps,
  merchantId: string,
  id: string,
  input: { alias?: string; name?: string; metadata?: Metadata },
): Promise<q.ValueListRow> {
  const current = await loadValueList(deps, merchantId, id);
  const changes: Parameters<typeof q.updateValueList>[3] = {};
  if (input.alias !== undefined) changes.alias = input.alias;
  if (input.name !== undefined) changes.name = input.name;
  if (input.metadata !== undefined) changes.metadata = mergeMetadata(current.metadata, input.metadata);
  if (Object.keys(changes).length > 0) {
    const result = await q.updateValueList(deps.db, merchantId, id, changes);
    switch (result) {
      case "updated":
        break;
      case "missing":
        throw missing("value_list", id, "rsl");
      case "alias_taken":
        throw aliasTaken();
      case "alias_in_use":
        throw invalidParam("parameter_invalid", "A rule uses this list: change the rule before the alias.", "alias");
    }
  }
  return loadValueList(deps, merchantId, id);
}

/** Deletes a list and its items; refused while a rule uses it. */
export async function deleteValueList(deps: RadarDeps, merchantId: string, id: string): Promise<void> {
  switch (await q.deleteValueList(deps.db, merchantId, id)) {
    case "deleted":
      return;
    case "missing":
      throw missing("value_list", id, "rsl");
    case "in_use":
      throw new ApiError("parameter_invalid", "A rule uses this list: delete the rule first.", { noEffect: true });
  }
}

/** Adds a value to one of the merchant's lists, checked and normalized for the list's item type. */
export async function createValueListItem(
  deps: RadarDeps,
  merchantId: string,
  input: { valueList: string; value: string },
): Promise<q.ValueListItemRow> {
  const list = await loadValueList(deps, merchantId, input.valueList, "value_list");
  const value = normalizeItem(list.itemType as ValueListItemType, input.value);
  if (value === null) throw invalidParam("parameter_invalid", `The value is not a valid ${list.itemType}.`, "value");
  const row = { id: newId("rsli"), merchantId, valueList: list.id, value, created: deps.now() };
  switch (await q.insertValueListItem(deps.db, row)) {
    case "inserted":
      return row;
    case "missing":
      throw missing("value_list", input.valueList, "rsl", "value_list");
    case "duplicate":
      throw invalidParam("parameter_invalid", "This value is already on the list.", "value");
  }
}

/** The merchant's list item, or the 404. */
export async function loadValueListItem(deps: RadarDeps, merchantId: string, id: string) {
  const row = await q.getValueListItem(deps.db, merchantId, id);
  if (!row) throw missing("value_list_item", id, "rsli");
  return row;
}

/** Deletes one of the merchant's list items. */
export async function deleteValueListItem(deps: RadarDeps, merchantId: string, id: string): Promise<void> {
  if (!(await q.deleteValueListItem(deps.db, merchantId, id))) throw missing("value_list_item", id, "rsli");
}

/**
 * Creates a rule after parsing it: a syntax error is a 400 naming the token and its position; every
 * list it uses must exist with an item type its attribute can be looked up in.
 */
export async function createRule(
  deps: RadarDeps,
  merchantId: string,
  input: { action: RuleAction; predicate: string },
): Promise<q.RuleRow> {
  const parsed = parsePredicate(input.predicate);
  if (!parsed.ok) {
    const { message, token, position } = parsed.error;
    const at = token === "" ? `at position ${position}` : `at position ${position} (${token})`;
    throw invalidParam("parameter_invalid", `Invalid rule ${at}: ${message}`, "predicate");
  }
  const refs = listRefs(parsed.predicate);
  const aliases = [...new Set(refs.map((r) => r.list))];
  const [lists, rules] = await Promise.all([
    aliases.length > 0 ? q.valueListsByAlias(deps.db, merchantId, aliases) : [],
    q.allRules(deps.db, merchantId),
  ]);
  for (const ref of refs) {
    const list = lists.find((l) => l.alias === ref.list);
    if (!list) throw invalidParam("parameter_invalid", `Invalid rule: there is no list @${ref.list}.`, "predicate");
    if (!listTypesFor(ref.attribute).includes(list.itemType as ValueListItemType)) {
      throw invalidParam(
        "parameter_invalid",
        `Invalid rule: :${ref.attribute}: cannot be looked up in @${ref.list}, a list of ${list.itemType}.`,
        "predicate",
      );
    }
  }
  if (rules.length >= MAX_RULES) {
    throw new ApiError("resource_limit_exceeded", `A merchant has at most ${MAX_RULES} rules.`, { noEffect: true });
  }
  const row: q.RuleRow = {
    id: newId("rule"),
    merchantId,
    action: input.action,
    predicate: input.predicate,
    lists: JSON.stringify(aliases),
    created: deps.now(),
  };
  const used = aliases.flatMap((alias) => lists.filter((l) => l.alias === alias));
  if (!(await q.insertRule(deps.db, row, used))) {
    // A list it uses was deleted (or replaced) since it was checked.
    throw invalidParam("parameter_invalid", "Invalid rule: a list it uses no longer exists.", "predicate");
  }
  return row;
}

/** The merchant's rule (or a default one), or the 404. */
export async function loadRule(deps: RadarDeps, merchantId: string, id: string): Promise<q.RuleRow> {
  const fallback = DEFAULT_RULES.find((r) => r.id === id);
  if (fallback) return { ...fallback, merchantId, lists: "[]", created: 0 };
  const row = await q.getRule(deps.db, merchantId, id);
  if (!row) throw missing("rule", id, "rule");
  return row;
}

/** Deletes one of the merchant's rules (the defaults cannot be deleted). */
export async function deleteRule(deps: RadarDeps, merchantId: string, id: string): Promise<void> {
  if (DEFAULT_RULES.some((r) => r.id === id)) {
    throw invalidParam("parameter_invalid", "The default rules cannot be deleted.", "id");
  }
  if (!(await q.deleteRule(deps.db, merchantId, id))) throw missing("rule", id, "rule");
}

/** The default rules, then every rule of the merchant, oldest first. */
export async function allRules(deps: RadarDeps, merchantId: string): Promise<q.RuleRow[]> {
  const own = await q.allRules(deps.db, merchantId);
  return [...DEFAULT_RULES.map((r) => ({ ...r, merchantId, lists: "[]", created: 0 })), ...own];
}

/** The ValueList object (its first items inline, as Stripe's `list_items`). */
export function valueListJson(row: q.ValueListRow, items: q.ValueListItemRow[], hasMore: boolean, livemode: boolean) {
  return {
    id: row.id,
    object: "radar.value_list" as const,
    alias: row.alias,
    created: row.created,
    created_by: "api",
    item_type: row.itemType as ValueListItemType,
    list_items: {
      object: "list" as const,
      data: items.map((i) => valueListItemJson(i, livemode)),
      has_more: hasMore,
      url: `/v1/radar/value_list_items?value_list=${row.id}`,
    },
    livemode,
    metadata: JSON.parse(row.metadata) as Metadata,
    name: row.name,
  };
}

/** The ValueListItem object. */
export function valueListItemJson(row: q.ValueListItemRow, livemode: boolean) {
  return {
    id: row.id,
    object: "radar.value_list_item" as const,
    created: row.created,
    created_by: "api",
    livemode,
    value: row.value,
    value_list: row.valueList,
  };
}

/** The Rule object (edgepay's: Stripe keeps rules in its Dashboard). */
export function ruleJson(row: q.RuleRow, livemode: boolean) {
  return {
    id: row.id,
    object: "radar.rule" as const,
    action: row.action as RuleAction,
    created: row.created,
    default: DEFAULT_RULES.some((r) => r.id === row.id),
    livemode,
    predicate: row.predicate,
  };
}

/**
 * `/v1/radar/value_lists` and `/v1/radar/value_list_items`: block and allow lists as Stripe shapes
 * them. Items are checked and normalized for their list's type; a list a rule uses cannot be
 * deleted or renamed.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { listValueListItems, listValueLists } from "../db/radar";
import { normalizeItem, VALUE_LIST_ITEM_TYPES, type ValueListItemType } from "../domain/value-lists";
import { invalidParam } from "../errors";
import { errorResponses, formOrJsonBody, NoQuery, registerComponents } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { metadataParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import {
  createValueList,
  createValueListItem,
  deleteValueList,
  deleteValueListItem,
  loadValueList,
  loadValueListItem,
  type RadarDeps,
  updateValueList,
  valueListItemJson,
  valueListJson,
} from "../radar";
import type { App, AppEnv } from "../types";

const ItemSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `rsli_`.", example: "rsli_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("radar.value_list_item")
      .openapi({ description: "String representing the object's type: always `radar.value_list_item`." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    created_by: z.string().openapi({ description: "Who added the item: always `api`.", example: "api" }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    value: z.string().openapi({
      description: "The value, normalized for the list's item type (e.g. an email lowercased).",
      example: "fraudster@example.com",
    }),
    value_list: z
      .string()
      .openapi({ description: "The list it belongs to (`rsl_…`).", example: "rsl_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
  })
  .openapi("RadarValueListItem");

const ListSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `rsl_`.", example: "rsl_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("radar.value_list")
      .openapi({ description: "String representing the object's type: always `radar.value_list`." }),
    alias: z.string().openapi({ description: "How rules name the list: `@alias`.", example: "blocked_emails" }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    created_by: z.string().openapi({ description: "Who created the list: always `api`.", example: "api" }),
    item_type: z
      .enum(VALUE_LIST_ITEM_TYPES)
      .openapi({ description: "The type of the list's items; set on create, never changes.", example: "email" }),
    list_items: z
      .object({
        object: z.literal("list").openapi({ description: "Always `list`." }),
        data: z.array(ItemSchema).openapi({ description: "The list's first items, newest first (at most 10)." }),
        has_more: z.boolean().openapi({ description: "Whether the list holds more items than `data`." }),
        url: z.string().openapi({
          description: "Where to list every item: `/v1/radar/value_list_items?value_list=…`.",
          example: "/v1/radar/value_list_items?value_list=rsl_3fX9aQ2kLm8Zr1Vb0cYt7WnE",
        }),
      })
      .openapi({ description: "The list's first items; page through the rest at `url`." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    name: z.string().openapi({ description: "The list's display name.", example: "Blocked emails" }),
  })
  .openapi("RadarValueList");

const deleted = (object: string, name: string) =>
  z
    .object({
      id: z.string().openapi({ description: "The id of the deleted object." }),
      object: z
        .literal(object)
        .openapi({ description: `String representing the object's type: always \`${object}\`.` }),
      deleted: z.literal(true).openapi({ description: "Always true: the object was deleted." }),
    })
    .openapi(name);

const aliasParam = z
  .string()
  .regex(/^[a-z0-9_]{1,64}$/, "lowercase letters, digits and _ (at most 64)")
  .openapi({ description: "How rules name the list: `@alias`." });

const CreateListBody = z
  .strictObject({
    alias: aliasParam,
    name: z
      .string()
      .min(1)
      .max(100)
      .openapi({ description: "The list's display name, 1 to 100 characters.", example: "Blocked emails" }),
    item_type: z.enum(VALUE_LIST_ITEM_TYPES).optional().openapi({ description: "Default `string`; never changes." }),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the list." }).optional(),
  })
  .openapi("RadarValueListCreate", {
    example: { alias: "blocked_emails", name: "Blocked emails", item_type: "email" },
  });

const UpdateListBody = z
  .strictObject({
    alias: aliasParam.optional(),
    name: z.string().min(1).max(100).optional().openapi({ description: "New display name, 1 to 100 characters." }),
    metadata: metadataParam
      .openapi({ description: 'Keys to set on the list\'s metadata; a key set to `""` is removed.' })
      .optional(),
  })
  .openapi("RadarValueListUpdate");

const CreateItemBody = z
  .strictObject({
    value_list: z.string().max(255).openapi({ description: "The list to add the item to (`rsl_…`)." }),
    value: z.string().min(1).max(800).openapi({
      description:
        "The value, 1 to 800 characters; checked and normalized for the list's item type (a duplicate is refused).",
      example: "fraudster@example.com",
    }),
  })
  .openapi("RadarValueListItemCreate", {
    example: { value_list: "rsl_3fX9aQ2kLm8Zr1Vb0cYt7WnE", value: "fraudster@example.com" },
  });

const idParams = (example: string, description: string) =>
  z.object({
    id: z
      .string()
      .max(255)
      .openapi({ param: { name: "id", in: "path" }, example, description }),
  });

const ListsQuery = z.strictObject({
  ...listParams,
  alias: z
    .string()
    .max(64)
    .optional()
    .openapi({ param: { name: "alias", in: "query" }, description: "Only the list with this alias." }),
});

const ItemsQuery = z.strictObject({
  ...listParams,
  value_list: z
    .string()
    .max(255)
    .optional()
    .openapi({ param: { name: "value_list", in: "query" }, description: "The list whose items to list (required)." }),
  value: z
    .string()
    .max(800)
    .optional()
    .openapi({ param: { name: "value", in: "query" }, description: "Only the item with this value." }),
});

const common = { tags: ["Radar"], security: [{ merchantToken: [] }] };
const read = requireScope("radar:read");
const write = requireScope("radar:write");
const json = <T extends z.ZodType>(description: string, schema: T) => ({
  200: { description, content: { "application/json": { schema } } },
});

const routes = {
  createList: createRoute({
    ...common,
    method: "post",
    path: "/v1/radar/value_lists",
    summary: "Create a value list",
    middleware: [write] as const,
    request: { body: formOrJsonBody(CreateListBody) },
    responses: { ...json("The new list", ListSchema), ...errorResponses(400, 401, 403) },
  }),
  retrieveList: createRoute({
    ...common,
    method: "get",
    path: "/v1/radar/value_lists/{id}",
    summary: "Retrieve a value list",
    middleware: [read] as const,
    request: { params: idParams("rsl_…", "The value list's id (`rsl_…`)."), query: NoQuery },
    responses: { ...json("The list", ListSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  updateList: createRoute({
    ...common,
    method: "post",
    path: "/v1/radar/value_lists/{id}",
    summary: "Update a value list (its item type never changes)",
    middleware: [write] as const,
    request: { params: idParams("rsl_…", "The value list's id (`rsl_…`)."), body: formOrJsonBody(UpdateListBody) },
    responses: { ...json("The list", ListSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  deleteList: createRoute({
    ...common,
    method: "delete",
    path: "/v1/radar/value_lists/{id}",
    summary: "Delete a value list and its items (not while a rule uses it)",
    middleware: [write] as const,
    request: { params: idParams("rsl_…", "The value list's id (`rsl_…`).") },
    responses: {
      ...json("The deleted list", deleted("radar.value_list", "DeletedRadarValueList")),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  lists: createRoute({
    ...common,
    method: "get",
    path: "/v1/radar/value_lists",
    summary: "List value lists, newest first",
    middleware: [read] as const,
    request: { query: ListsQuery },
    responses: {
      ...json("A page of lists", listSchema(ListSchema, "RadarValueListList")),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
  createItem: createRoute({
    ...common,
    method: "post",
    path: "/v1/radar/value_list_items",
    summary: "Add a value to a list",
    middleware: [write] as const,
    request: { body: formOrJsonBody(CreateItemBody) },
    responses: { ...json("The new item", ItemSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  retrieveItem: createRoute({
    ...common,
    method: "get",
    path: "/v1/radar/value_list_items/{id}",
    summary: "Retrieve a list item",
    middleware: [read] as const,
    request: { params: idParams("rsli_…", "The value list item's id (`rsli_…`)."), query: NoQuery },
    responses: { ...json("The item", ItemSchema), ...errorResponses(400, 401, 403, 404) },
  }),
  deleteItem: createRoute({
    ...common,
    method: "delete",
    path: "/v1/radar/value_list_items/{id}",
    summary: "Remove a value from its list",
    middleware: [write] as const,
    request: { params: idParams("rsli_…", "The value list item's id (`rsli_…`).") },
    responses: {
      ...json("The deleted item", deleted("radar.value_list_item", "DeletedRadarValueListItem")),
      ...errorResponses(401, 403, 404),
    },
  }),
  items: createRoute({
    ...common,
    method: "get",
    path: "/v1/radar/value_list_items",
    summary: "List the items of a list, newest first",
    middleware: [read] as const,
    request: { query: ItemsQuery },
    responses: {
      ...json("A page of items", listSchema(ItemSchema, "RadarValueListItemList")),
      ...errorResponses(400, 401, 403, 404),
    },
  }),
};

/** Items shown inline on a list object. */
const INLINE_ITEMS = 10;

/** Registers the value list and list item routes. */
export function registerRadarValueLists(app: App): void {
  registerComponents(app, { Metadata: metadataParam });
  const deps = (c: Context<AppEnv>): RadarDeps => ({ db: c.var.merchantDb, now: c.var.payments.now });
  const merchant = (c: Context<AppEnv>) => c.var.auth.merchantId;

  /** The list object with its first items. */
  const render = async (c: Context<AppEnv>, row: Awaited<ReturnType<typeof loadValueList>>) => {
    const page = pageOr404(
      await listValueListItems(c.var.merchantDb, merchant(c), { valueList: row.id }, { limit: INLINE_ITEMS }),
    );
    return valueListJson(row, page.data, page.hasMore, isLive(c.env));
  };

  app.openapi(routes.createList, async (c) => {
    const b = c.req.valid("json");
    const row = await createValueList(deps(c), merchant(c), {
      alias: b.alias,
      name: b.name,
      itemType: b.item_type ?? "string",
      metadata: b.metadata,
    });
    return c.json(valueListJson(row, [], false, isLive(c.env)), 200);
  });

  app.openapi(routes.retrieveList, async (c) => {
    return c.json(await render(c, await loadValueList(deps(c), merchant(c), c.req.valid("param").id)), 200);
  });

  app.openapi(routes.updateList, async (c) => {
    const row = await updateValueList(deps(c), merchant(c), c.req.valid("param").id, c.req.valid("json"));
    return c.json(await render(c, row), 200);
  });

  app.openapi(routes.deleteList, async (c) => {
    const { id } = c.req.valid("param");
    await deleteValueList(deps(c), merchant(c), id);
    return c.json({ id, object: "radar.value_list" as const, deleted: true as const }, 200);
  });

  app.openapi(routes.lists, async (c) => {
    const { alias, ...query } = c.req.valid("query");
    const page = pageOr404(await listValueLists(c.var.merchantDb, merchant(c), { alias }, pageRequest(query)));
    const data = await Promise.all(page.data.map((row) => render(c, row)));
    return c.json(listEnvelope("/v1/radar/value_lists", { ...page, data }), 200);
  });

  app.openapi(routes.createItem, async (c) => {
    const b = c.req.valid("json");
    const row = await createValueListItem(deps(c), merchant(c), { valueList: b.value_list, value: b.value });
    return c.json(valueListItemJson(row, isLive(c.env)), 200);
  });

  app.openapi(routes.retrieveItem, async (c) => {
    const row = await loadValueListItem(deps(c), merchant(c), c.req.valid("param").id);
    return c.json(valueListItemJson(row, isLive(c.env)), 200);
  });

  app.openapi(routes.deleteItem, async (c) => {
    const { id } = c.req.valid("param");
    await deleteValueListItem(deps(c), merchant(c), id);
    return c.json({ id, object: "radar.value_list_item" as const, deleted: true as const }, 200);
  });

  app.openapi(routes.items, async (c) => {
    const { value_list: valueList, value, ...query } = c.req.valid("query");
    // Required, but checked here so that an unknown parameter is named first (as on every GET).
    if (valueList === undefined)
      throw invalidParam("parameter_missing", "Missing required param: value_list.", "value_list");
    const list = await loadValueList(deps(c), merchant(c), valueList, "value_list");
    // The filter matches how items are stored: normalized for the list's type.
    const normalized =
      value === undefined ? undefined : (normalizeItem(list.itemType as ValueListItemType, value) ?? value);
    const page = pageOr404(
      await listValueListItems(c.var.merchantDb, merchant(c), { valueList, value: normalized }, pageRequest(query)),
    );
    const live = isLive(c.env);
    return c.json(
      listEnvelope("/v1/radar/value_list_items", { ...page, data: page.data.map((r) => valueListItemJson(r, live)) }),
      200,
    );
  });
}

/**
 * The `expand` parameter on the wire. POST bodies carry it as an array (`expand[0]=a` or
 * `expand[]=a` in a form, `"expand": ["a"]` in JSON). A GET's query carries `expand[]=a`
 * (repeatable) or `expand[0]=a&expand[1]=b` (the stripe SDK's form); every other
 * query key must be one the route declares.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { invalidParam } from "../errors";
import type { AppEnv } from "../types";
import type { ObjectType } from "./registry";

/** Most paths one request may expand. */
export const MAX_EXPAND_PATHS = 20;

const PATH = z.string().min(1).max(200);
const DESCRIPTION =
  "Fields to expand into objects, e.g. `latest_charge` or `latest_charge.payment_intent.customer` (at most 4 levels; list answers: `data.…`).";

/** The body parameter: spread `expand: expandBodyParam` into a POST body schema. */
export const expandBodyParam = z.array(PATH).max(MAX_EXPAND_PATHS).optional().openapi({ description: DESCRIPTION });

/**
 * An expandable field in a response schema: the id (`id`, e.g. nullable), or the object of `type`
 * when the request expanded it (documented loosely: the object's own schema is its route's).
 */
export function expandableId<T extends z.ZodType>(id: T, type: ObjectType, description?: string) {
  const object = z.looseObject({
    id: z.string().openapi({ description: `Unique identifier of the expanded ${type}.` }),
    object: z.literal(type).openapi({ description: `String representing the object's type: always \`${type}\`.` }),
  });
  const expandable = `Expandable with \`expand[]\` into the ${type} object.`;
  return z
    .union([id, object])
    .openapi({ description: description === undefined ? expandable : `${description} ${expandable}` });
}

/** An `expand[]` or `expand[<i>]` query key. */
const EXPAND_KEY = /^expand\[(\d*)\]$/;

/**
 * A GET route's query schema: the keys of `shape`, strictly (any other key is a 400
 * `parameter_unknown` naming it), and the `expand` parameter in each of its query forms.
 */
export function queryWithExpand<S extends Record<string, z.ZodType>>(shape: S) {
  const known = new Set(Object.keys(shape));
  return z
    .object({
      ...shape,
      "expand[]": z
        .union([PATH, z.array(PATH)])
        .optional()
        .openapi({
          param: { name: "expand[]", in: "query", style: "form", explode: true },
          type: "array",
          items: { type: "string" },
          description: `${DESCRIPTION} Sent as \`expand[]=…\` (repeated) or \`expand[0]=…\`.`,
        }),
    })
    .catchall(z.union([z.string(), z.array(z.string())]))
    .superRefine((query, ctx) => {
      const unknown = Object.keys(query).find((k) => !known.has(k) && !EXPAND_KEY.test(k));
      if (unknown !== undefined) ctx.addIssue({ code: "unrecognized_keys", keys: [unknown], input: query });
    });
}

/**
 * The paths the request asks to expand, in index order: from a GET's query, or the body's
 * `expand` array. Undefined when there are none, or when the body's `expand` is not an array of
 * strings (the route's body schema then refuses it, naming the parameter).
 */
export function requestedPaths(c: Context<AppEnv>): string[] | undefined {
  const paths = c.req.method === "GET" ? queryPaths(c.req.queries()) : bodyPaths(c.var.body?.expand);
  if (paths === undefined || paths.length === 0) return undefined;
  if (paths.length > MAX_EXPAND_PATHS) {
    throw invalidParam("parameter_invalid", `At most ${MAX_EXPAND_PATHS} properties may be expanded.`, "expand");
  }
  return paths;
}

function bodyPaths(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

function queryPaths(queries: Record<string, string[]>): string[] {
  const indexed: [number, string][] = [];
  const listed: string[] = queries["expand[]"] ?? [];
  for (const [key, values] of Object.entries(queries)) {
    const index = EXPAND_KEY.exec(key)?.[1];
    if (index === undefined || index === "") continue;
    for (const value of values) indexed.push([Number(index), value]);
  }
  indexed.sort((a, b) => a[0] - b[0]);
  return [...listed, ...indexed.map(([, value]) => value)];
}

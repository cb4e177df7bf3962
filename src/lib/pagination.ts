/**
 * Stripe-style list endpoints: the query parameters (`limit` 1–100, default 10, `starting_after`
 * or `ending_before`, and `created` exactly or `created[gt|gte|lt|lte]`), and the
 * `{object: "list", url, has_more, data}` envelope.
 * The query itself lives in src/db/pagination.ts.
 */
import { z } from "@hono/zod-openapi";
import { ApiError } from "../errors";
import { noSuchMessage } from "./ids";
import { intParam } from "./params";

/** Default page size when `limit` is omitted. */
export const DEFAULT_LIMIT = 10;
/** Largest page size a caller may ask for. */
export const MAX_LIMIT = 100;

const seconds = (name: string, description: string) =>
  intParam()
    .pipe(z.int().min(0))
    .optional()
    .openapi({ param: { name, in: "query" }, description: `${description} (unix seconds)` });

/** Query parameters every list endpoint accepts; spread into a route's `z.strictObject({...})` to add filters. */
export const listParams = {
  limit: intParam()
    .pipe(z.int().min(1).max(MAX_LIMIT))
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "Page size, 1 to 100 (default 10)." }),
  starting_after: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "starting_after", in: "query" }, description: "Id of the object to list after." }),
  ending_before: z
    .string()
    .min(1)
    .optional()
    .openapi({ param: { name: "ending_before", in: "query" }, description: "Id of the object to list before." }),
  created: seconds("created", "Only objects created at exactly this time"),
  "created[gt]": seconds("created[gt]", "Only objects created after"),
  "created[gte]": seconds("created[gte]", "Only objects created at or after"),
  "created[lt]": seconds("created[lt]", "Only objects created before"),
  "created[lte]": seconds("created[lte]", "Only objects created at or before"),
};

/** The query schema of a list endpoint without extra filters. */
export const ListQuery = z.strictObject(listParams);

/** A `created` filter in unix seconds: each bound given narrows the list (`eq`: exactly). */
export interface CreatedRange {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
}

/** One page to fetch, newest first: at most `limit` objects after or before a cursor object, within `created`. */
export interface PageRequest {
  limit: number;
  startingAfter?: string;
  endingBefore?: string;
  created?: CreatedRange;
}

/** The list parameters as validated (every list's query holds them). */
export interface ListQueryValues {
  limit?: number;
  starting_after?: string;
  ending_before?: string;
  created?: number;
  "created[gt]"?: number;
  "created[gte]"?: number;
  "created[lt]"?: number;
  "created[lte]"?: number;
}

/** A fetched page: the objects, newest first, and whether more exist in the direction of travel. */
export interface Page<T> {
  data: T[];
  hasMore: boolean;
}

/** Turns validated list parameters into a PageRequest; both cursors at once is a 400. */
export function pageRequest(q: ListQueryValues): PageRequest {
  if (q.starting_after !== undefined && q.ending_before !== undefined) {
    throw new ApiError(
      "parameter_invalid",
      "You may only specify one of these parameters: starting_after, ending_before.",
      {
        param: "ending_before",
      },
    );
  }
  const bounds = {
    gt: q["created[gt]"],
    gte: q["created[gte]"],
    lt: q["created[lt]"],
    lte: q["created[lte]"],
    eq: q.created,
  };
  const created = Object.fromEntries(Object.entries(bounds).filter(([, v]) => v !== undefined)) as CreatedRange;
  return {
    limit: q.limit ?? DEFAULT_LIMIT,
    ...(q.starting_after !== undefined && { startingAfter: q.starting_after }),
    ...(q.ending_before !== undefined && { endingBefore: q.ending_before }),
    ...(Object.keys(created).length > 0 && { created }),
  };
}

/** The list envelope for a page of already-serialized objects. */
export function listEnvelope<T>(url: string, page: Page<T>) {
  return { object: "list" as const, url, has_more: page.hasMore, data: page.data };
}

/** OpenAPI schema of the list envelope around `item`. */
export function listSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      object: z.literal("list").openapi({ description: "String representing the object's type: always `list`." }),
      url: z.string().openapi({ description: "The URL of this list, without its query.", example: "/v1/charges" }),
      has_more: z.boolean().openapi({
        description: "Whether more objects follow this page; fetch them with `starting_after` set to the last id.",
      }),
      data: z.array(item).openapi({ description: "The objects of this page, newest first, at most `limit`." }),
    })
    .openapi(name);
}

/** The page of a list query, or the 404 `resource_missing` naming the cursor parameter that found nothing. */
export function pageOr404<T>(
  result: { ok: true; page: Page<T> } | { ok: false; param: "starting_after" | "ending_before"; cursor: string },
): Page<T> {
  if (result.ok) return result.page;
  throw new ApiError("resource_missing", noSuchMessage("object", result.cursor), { param: result.param });
}

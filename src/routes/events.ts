/**
 * The Events API: `GET /v1/events/{id}` and `GET /v1/events` (Stripe's shape), over the last 30
 * days. `type` takes one type or a `*` pattern (`payment_intent.*`), `types[]` up to 20 exact types
 * (not with `type`), `created[gt|gte|lt|lte]` (or `created` exactly), `delivery_success`, and the
 * usual cursor pagination.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { EVENT_RETENTION_SECONDS, getEvent, listEvents } from "../db/events";
import { isTypePattern } from "../domain/event-types";
import { ApiError, invalidParam } from "../errors";
import { eventJson } from "../events/render";
import { noSuchMessage } from "../lib/ids";
import { errorResponses, NoQuery, pathId } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { boolParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App, AppEnv } from "../types";

/** Most entries `types[]` may hold. */
export const MAX_TYPES = 20;

const EventSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `evt_`.", example: "evt_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z.literal("event").openapi({ description: "String representing the object's type: always `event`." }),
    api_version: z
      .string()
      .nullable()
      .openapi({ description: "The API version the event is rendered in.", example: "2026-10-28.endive" }),
    created: z.int().openapi({ description: "When the change happened, in unix seconds.", example: 1733097600 }),
    data: z
      .object({
        object: z
          .record(z.string(), z.unknown())
          .openapi({ description: "The object as it was right after the change." }),
        previous_attributes: z.record(z.string(), z.unknown()).optional().openapi({
          description: "For `*.updated` events: the changed fields' values before the change.",
        }),
      })
      .openapi({ description: "The object the event is about." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    pending_webhooks: z
      .int()
      .openapi({ description: "How many endpoints have not yet received the event successfully.", example: 0 }),
    request: z
      .object({
        id: z
          .string()
          .nullable()
          .openapi({ description: "The id (`req_…`) of the API request that caused the event; null for none." }),
        idempotency_key: z
          .string()
          .nullable()
          .openapi({ description: "That request's Idempotency-Key; null when it had none." }),
      })
      .openapi({ description: "The API request that caused the event, if any." }),
    type: z.string().openapi({ description: "The event's type.", example: "payment_intent.succeeded" }),
  })
  .openapi("Event");

const typeName = z.string().max(100).refine(isTypePattern, { message: "is not an event type or a type pattern" });

/** One `types[]` value, or several (`types[]=a&types[]=b`); `types[0]`, `types[1]` are folded in by the route. */
const typesParam = z
  .union([typeName, z.array(typeName)])
  .transform((v) => (Array.isArray(v) ? v : [v]))
  .optional()
  .openapi({
    param: { name: "types[]", in: "query" },
    description: `Only events of these types (at most ${MAX_TYPES}; not with \`type\`).`,
  });

const ListEventsQuery = z.strictObject({
  ...listParams,
  type: typeName.optional().openapi({
    param: { name: "type", in: "query" },
    description: "Only events of this type; `*` matches any characters (`payment_intent.*`).",
  }),
  "types[]": typesParam,
  delivery_success: boolParam()
    .optional()
    .openapi({
      param: { name: "delivery_success", in: "query" },
      description: "true: delivered to every endpoint; false: still pending or failed at one or more.",
    }),
});

const common = { tags: ["Events"], security: [{ merchantToken: [] }] };
const read = requireScope("events:read");

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/events/{id}",
  summary: "Retrieve an event created in the last 30 days",
  middleware: [read] as const,
  request: { params: z.object({ id: pathId("The event's id (`evt_…`).").shape.id.max(255) }), query: NoQuery },
  responses: {
    200: { description: "The event", content: { "application/json": { schema: EventSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

/**
 * Rewrites `types[0]=a&types[1]=b` (how the stripe SDK sends arrays) as `types[]=a&types[]=b`
 * before validation, so both spellings reach the one `types[]` parameter.
 */
const foldIndexedTypes = createMiddleware<AppEnv>(async (c, next) => {
  const url = new URL(c.req.url);
  const indexed = (key: string) => /^types\[\d+\]$/.test(key);
  if (![...url.searchParams.keys()].some(indexed)) return next();
  const folded = new URLSearchParams();
  for (const [k, v] of url.searchParams) folded.append(indexed(k) ? "types[]" : k, v);
  url.search = folded.toString();
  c.req.raw = new Request(url, c.req.raw);
  return next();
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/events",
  summary: "List events of the last 30 days, newest first",
  middleware: [read, foldIndexedTypes] as const,
  request: { query: ListEventsQuery },
  responses: {
    200: {
      description: "A page of events",
      content: { "application/json": { schema: listSchema(EventSchema, "EventList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the Events API routes. */
export function registerEvents(app: App): void {
  app.openapi(retrieveRoute, async (c) => {
    const { id } = c.req.valid("param");
    const since = c.var.payments.now() - EVENT_RETENTION_SECONDS;
    const row = await getEvent(c.var.merchantDb, c.var.auth.merchantId, id, since);
    if (!row) throw new ApiError("resource_missing", noSuchMessage("event", id, "evt"));
    return c.json(eventJson(row, isLive(c.env)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const types = q["types[]"];
    if (types !== undefined && q.type !== undefined) {
      throw invalidParam("parameter_invalid", "You may only specify one of these parameters: type, types.", "types");
    }
    if (types !== undefined && types.length > MAX_TYPES) {
      throw invalidParam("parameter_invalid", `types may hold at most ${MAX_TYPES} event types.`, "types");
    }
    if (types?.some((t) => t.includes("*"))) {
      throw invalidParam("parameter_invalid", "types takes exact event types; use type for a * pattern.", "types");
    }
    const filter = {
      type: q.type,
      types,
      deliverySuccess: q.delivery_success,
    };
    const since = c.var.payments.now() - EVENT_RETENTION_SECONDS;
    const result = await listEvents(c.var.merchantDb, c.var.auth.merchantId, since, filter, pageRequest(q));
    const page = pageOr404(result);
    const live = isLive(c.env);
    return c.json(listEnvelope("/v1/events", { ...page, data: page.data.map((r) => eventJson(r, live)) }), 200);
  });
}

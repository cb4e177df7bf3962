/**
 * `/v1/webhook_endpoints`: create, retrieve, update, list and delete (Stripe's shape), and the
 * edgepay extension `POST /v1/webhook_endpoints/{id}/roll_secret`. The `secret` appears only in
 * the answers of create and roll, which the idempotency gate never saves (middleware/gate.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { listEndpoints } from "../db/webhook-endpoints";
import { ENABLED_EVENTS, type EnabledEvent, isEnabledEvent } from "../domain/event-types";
import { errorResponses, formOrJsonBody, NoQuery, pathId, registerComponents } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { boolParam, intParam, metadataParam } from "../lib/params";
import { answerCarriesSecret } from "../middleware/gate";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App, AppEnv } from "../types";
import {
  createEndpoint,
  deleteEndpoint,
  type EndpointWithSecret,
  loadEndpoint,
  MAX_PREVIOUS_SECRET_SECONDS,
  rollSecret,
  updateEndpoint,
  type WebhookDeps,
  webhookEndpointJson,
} from "../webhooks/endpoints";
import { MAX_URL_LENGTH, type Resolver } from "../webhooks/url-safety";

const WebhookEndpointSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `we_`.", example: "we_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("webhook_endpoint")
      .openapi({ description: "String representing the object's type: always `webhook_endpoint`." }),
    api_version: z.string().nullable().openapi({
      description: "The API version given on create; null when none was given (events use edgepay's one).",
    }),
    application: z.null().openapi({ description: "Always null." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    description: z.string().nullable().openapi({ description: "The merchant's description; null when not set." }),
    enabled_events: z.array(z.string()).openapi({
      description: "The event types sent to the endpoint, or `*` for all.",
      example: ["payment_intent.succeeded"],
    }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    metadata: z
      .record(z.string(), z.string())
      .openapi({ description: "Key/value pairs set by the merchant.", example: {} }),
    secret: z
      .string()
      .optional()
      .openapi({ description: "The signing secret (`whsec_…`): only in the answers of create and roll_secret." }),
    status: z
      .enum(["enabled", "disabled"])
      .openapi({ description: "`disabled` endpoints receive no events.", example: "enabled" }),
    url: z.string().openapi({ description: "Where events are sent.", example: "https://example.com/webhooks" }),
  })
  .openapi("WebhookEndpoint");

const DeletedSchema = z
  .object({
    id: z.string().openapi({ description: "The deleted endpoint's id (`we_…`)." }),
    object: z.literal("webhook_endpoint").openapi({ description: "Always `webhook_endpoint`." }),
    deleted: z.literal(true).openapi({ description: "Always true: the endpoint was deleted." }),
  })
  .openapi("DeletedWebhookEndpoint");

/** `enabled_events`: event types edgepay sends, or `*`; an unknown one is a 400 naming `enabled_events[i]`. */
const enabledEventsParam = z
  .array(
    z
      .string()
      .refine(isEnabledEvent, { message: "is not an event type edgepay sends, nor *" })
      .openapi({ description: "An event type, or `*`.", example: "payment_intent.succeeded" }),
  )
  .min(1)
  .max(ENABLED_EVENTS.length)
  .transform((events) => events as EnabledEvent[])
  .openapi({
    description: `Event types to send, or \`*\` for all: ${ENABLED_EVENTS.join(", ")}.`,
    example: ["payment_intent.succeeded", "charge.refunded"],
  });

const urlParam = z.string().min(1).max(MAX_URL_LENGTH).openapi({
  description: "Where events are sent. Live mode: a public https URL; test mode also allows http and localhost.",
  example: "https://example.com/webhooks",
});

const CreateBody = z
  .strictObject({
    url: urlParam,
    enabled_events: enabledEventsParam,
    description: z
      .string()
      .max(5000)
      .optional()
      .openapi({ description: "An arbitrary description, up to 5000 characters." }),
    metadata: metadataParam.openapi({ description: "Key/value pairs to store on the endpoint." }).optional(),
    api_version: z
      .string()
      .max(64)
      .optional()
      .openapi({ description: "Only edgepay's own API version is accepted: events are rendered in it alone." }),
  })
  .openapi("WebhookEndpointCreate", {
    example: { url: "https://example.com/webhooks", enabled_events: ["payment_intent.succeeded", "charge.refunded"] },
  });

const UpdateBody = z
  .strictObject({
    url: urlParam.optional(),
    enabled_events: enabledEventsParam.optional(),
    description: z
      .string()
      .max(5000)
      .optional()
      .openapi({ description: 'New description, up to 5000 characters; `""` clears it.' }),
    metadata: metadataParam
      .openapi({ description: 'Keys to set on the endpoint\'s metadata; a key set to `""` is removed.' })
      .optional(),
    disabled: boolParam()
      .optional()
      .openapi({ description: "`true` disables the endpoint (no events are sent to it); `false` enables it." }),
  })
  .openapi("WebhookEndpointUpdate");

const RollBody = z
  .strictObject({
    expires_in: intParam()
      .pipe(z.int().min(0).max(MAX_PREVIOUS_SECRET_SECONDS))
      .optional()
      .openapi({ description: "Seconds the current secret keeps signing (0 to 86400, default 86400)." }),
  })
  .openapi("WebhookEndpointRollSecret");

const IdParams = z.object({ id: pathId("The webhook endpoint's id (`we_…`).").shape.id.max(255) });

const common = { tags: ["Webhook endpoints"], security: [{ merchantToken: [] }] };
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: WebhookEndpointSchema } } },
});
const read = requireScope("webhook_endpoints:read");
const write = requireScope("webhook_endpoints:write");

const createEndpointRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/webhook_endpoints",
  summary: "Create a webhook endpoint; the answer carries its signing secret, shown only here",
  middleware: [write] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...one("The new endpoint, with its secret"), ...errorResponses(400, 401, 403) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/webhook_endpoints/{id}",
  summary: "Retrieve a webhook endpoint",
  middleware: [read] as const,
  request: { params: IdParams, query: NoQuery },
  responses: { ...one("The endpoint"), ...errorResponses(400, 401, 403, 404) },
});

const updateRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/webhook_endpoints/{id}",
  summary: "Update a webhook endpoint (url, enabled_events, description, metadata, disabled)",
  middleware: [write] as const,
  request: { params: IdParams, body: formOrJsonBody(UpdateBody) },
  responses: { ...one("The updated endpoint"), ...errorResponses(400, 401, 403, 404) },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/webhook_endpoints",
  summary: "List webhook endpoints, newest first",
  middleware: [read] as const,
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of endpoints",
      content: { "application/json": { schema: listSchema(WebhookEndpointSchema, "WebhookEndpointList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const deleteRoute = createRoute({
  ...common,
  method: "delete",
  path: "/v1/webhook_endpoints/{id}",
  summary: "Delete a webhook endpoint; no more events are sent to it",
  middleware: [write] as const,
  request: { params: IdParams },
  responses: {
    200: { description: "The deleted endpoint", content: { "application/json": { schema: DeletedSchema } } },
    ...errorResponses(401, 403, 404),
  },
});

const rollRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/webhook_endpoints/{id}/roll_secret",
  summary: "edgepay extension: roll the signing secret; the old one keeps signing for up to 24 h",
  middleware: [write] as const,
  request: { params: IdParams, body: formOrJsonBody(RollBody) },
  responses: { ...one("The endpoint, with its new secret"), ...errorResponses(400, 401, 403, 404) },
});

/** The answer that shows a secret: never saved by the gate, never cached. */
function secretAnswer(c: Context<AppEnv>, shown: EndpointWithSecret) {
  answerCarriesSecret(c, "reopened");
  c.header("Cache-Control", "no-store");
  return c.json(webhookEndpointJson(shown.row, isLive(c.env), shown.secret), 200);
}

/**
 * Registers the webhook endpoint routes. `resolve` answers the live-mode URL check's DNS
 * questions (DNS-over-HTTPS in the Worker; tests pass a table).
 */
export function registerWebhookEndpoints(app: App, resolve: Resolver): void {
  registerComponents(app, { Metadata: metadataParam });
  const deps = (c: Context<AppEnv>): WebhookDeps => ({
    env: c.env,
    db: c.var.merchantDb,
    now: c.var.payments.now,
    resolve,
    mode: isLive(c.env) ? "live" : "test",
  });
  const requestKey = (c: Context<AppEnv>) => ({
    key: c.var.idempotencyKey,
    rerun: c.var.idempotentRerun === true,
  });

  app.openapi(createEndpointRoute, async (c) => {
    const body = c.req.valid("json");
    const input = {
      url: body.url,
      enabledEvents: body.enabled_events,
      description: body.description,
      metadata: body.metadata,
      apiVersion: body.api_version,
    };
    return secretAnswer(c, await createEndpoint(deps(c), c.var.auth.merchantId, input, requestKey(c)));
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadEndpoint(deps(c), c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(webhookEndpointJson(row, isLive(c.env)), 200);
  });

  app.openapi(updateRoute, async (c) => {
    const body = c.req.valid("json");
    const update = {
      url: body.url,
      enabledEvents: body.enabled_events,
      description: body.description,
      metadata: body.metadata,
      disabled: body.disabled,
    };
    const row = await updateEndpoint(deps(c), c.var.auth.merchantId, c.req.valid("param").id, update);
    return c.json(webhookEndpointJson(row, isLive(c.env)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = pageOr404(await listEndpoints(c.var.merchantDb, c.var.auth.merchantId, pageRequest(query)));
    const live = isLive(c.env);
    return c.json(
      listEnvelope("/v1/webhook_endpoints", { ...page, data: page.data.map((r) => webhookEndpointJson(r, live)) }),
      200,
    );
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await deleteEndpoint(deps(c), c.var.auth.merchantId, id);
    return c.json({ id, object: "webhook_endpoint" as const, deleted: true as const }, 200);
  });

  app.openapi(rollRoute, async (c) => {
    const { expires_in: expiresIn } = c.req.valid("json");
    const rolled = await rollSecret(deps(c), c.var.auth.merchantId, c.req.valid("param").id, expiresIn, requestKey(c));
    return secretAnswer(c, rolled);
  });
}

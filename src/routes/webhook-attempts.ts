/**
 * Webhook deliveries as the merchant sees them: `GET /v1/webhook_endpoints/{id}/attempts` (every
 * delivery attempt to an endpoint, newest first, optionally of one event) and
 * `POST /v1/events/{id}/resend` (queue an event again). Both are edgepay extensions: Stripe shows
 * attempts and resends in its dashboard only.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AttemptRow } from "../db/webhook-attempts";
import { listAttempts } from "../db/webhook-attempts";
import { getEndpoint } from "../db/webhook-endpoints";
import { ApiError } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { errorResponses, formOrJsonBody, pathId } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { requireScope } from "../middleware/merchant-auth";
import type { App } from "../types";
import { resendEvent } from "../webhooks/resend";

const AttemptSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `whatt_`.", example: "whatt_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("webhook_attempt")
      .openapi({ description: "String representing the object's type: always `webhook_attempt`." }),
    webhook_endpoint: z.string().openapi({ description: "The endpoint (`we_…`) the event was sent to." }),
    event: z.string().openapi({ description: "The event (`evt_…`) sent." }),
    attempt: z
      .int()
      .openapi({ description: "1 for the first attempt of this event at this endpoint (0: never attempted)." }),
    outcome: z.enum(["succeeded", "failed", "dead", "gone"]).openapi({
      description:
        "succeeded (2xx); failed (retried); dead (given up after the last retry); gone (410: endpoint disabled).",
    }),
    response_status: z
      .int()
      .nullable()
      .openapi({ description: "The endpoint's HTTP status; null when no response came.", example: 200 }),
    response_body: z.string().nullable().openapi({ description: "The first 1,000 characters of the response body." }),
    error: z
      .string()
      .nullable()
      .openapi({ description: "timeout, network_error, redirect, url_refused, consumer_failed; null on a response." }),
    latency_ms: z.int().openapi({ description: "How long the attempt took, in milliseconds.", example: 182 }),
    next_retry_at: z
      .int()
      .nullable()
      .openapi({ description: "When the next retry is due, in unix seconds; null when none will be made." }),
    created: z.int().openapi({ description: "Time of the attempt, in unix seconds.", example: 1733097600 }),
  })
  .openapi("WebhookAttempt");

const ResendSchema = z
  .object({
    object: z.literal("event_resend").openapi({ description: "Always `event_resend`." }),
    event: z.string().openapi({ description: "The event (`evt_…`) queued again." }),
    webhook_endpoints: z.array(z.string()).openapi({ description: "The endpoints the event was queued for." }),
  })
  .openapi("EventResend");

const ResendBody = z
  .strictObject({
    webhook_endpoint: z.string().max(255).optional().openapi({
      description: "Only this endpoint (enabled). Default: every enabled endpoint listening for the type.",
    }),
  })
  .openapi("EventResendParams");

const IdParams = z.object({ id: pathId("The webhook endpoint's id (`we_…`).").shape.id.max(255) });
const EventIdParams = z.object({ id: pathId("The event's id (`evt_…`).").shape.id.max(255) });

const attemptsRoute = createRoute({
  tags: ["Webhook endpoints"],
  security: [{ merchantToken: [] }],
  method: "get",
  path: "/v1/webhook_endpoints/{id}/attempts",
  summary: "List the delivery attempts to a webhook endpoint, newest first",
  middleware: [requireScope("webhook_endpoints:read")] as const,
  request: {
    params: IdParams,
    query: z.strictObject({
      ...listParams,
      event: z
        .string()
        .max(255)
        .optional()
        .openapi({ param: { name: "event", in: "query" }, description: "Only attempts of this event." }),
    }),
  },
  responses: {
    200: {
      description: "A page of attempts",
      content: { "application/json": { schema: listSchema(AttemptSchema, "WebhookAttemptList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const resendRoute = createRoute({
  tags: ["Events"],
  security: [{ merchantToken: [] }],
  method: "post",
  path: "/v1/events/{id}/resend",
  summary: "Deliver an event again, to one endpoint or to every enabled endpoint listening for its type",
  middleware: [requireScope("webhook_endpoints:write")] as const,
  request: { params: EventIdParams, body: formOrJsonBody(ResendBody) },
  responses: {
    200: { description: "What was queued", content: { "application/json": { schema: ResendSchema } } },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** The WebhookAttempt object of a stored attempt. */
export function attemptJson(row: AttemptRow) {
  return {
    id: row.id,
    object: "webhook_attempt" as const,
    webhook_endpoint: row.endpointId,
    event: row.eventId,
    attempt: row.attempt,
    outcome: row.outcome as "succeeded" | "failed" | "dead" | "gone",
    response_status: row.responseStatus,
    response_body: row.responseBody,
    error: row.error,
    latency_ms: row.latencyMs,
    next_retry_at: row.nextRetryAt,
    created: row.created,
  };
}

/** Registers the attempts list and the resend. */
export function registerWebhookAttempts(app: App): void {
  app.openapi(attemptsRoute, async (c) => {
    const { id } = c.req.valid("param");
    const query = c.req.valid("query");
    const { merchantId } = c.var.auth;
    if (!(await getEndpoint(c.var.merchantDb, merchantId, id))) {
      throw new ApiError("resource_missing", noSuchMessage("webhook endpoint", id, "we"), { param: "id" });
    }
    const page = pageOr404(await listAttempts(c.var.merchantDb, merchantId, id, query.event, pageRequest(query)));
    const url = `/v1/webhook_endpoints/${id}/attempts`;
    return c.json(listEnvelope(url, { ...page, data: page.data.map(attemptJson) }), 200);
  });

  app.openapi(resendRoute, async (c) => {
    const { id } = c.req.valid("param");
    const body = c.req.valid("json");
    const resent = await resendEvent(c.env, c.var.merchantDb, c.var.auth.merchantId, id, body.webhook_endpoint);
    return c.json(
      { object: "event_resend" as const, event: resent.eventId, webhook_endpoints: resent.endpointIds },
      200,
    );
  });
}

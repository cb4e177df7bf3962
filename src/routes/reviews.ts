/**
 * Reviews (Stripe's `/v1/reviews`): the payments a Radar `review` rule held after their
 * authorization. List (newest first, `open` filter), retrieve, and approve (the intent becomes
 * capturable; an automatic-capture one is captured). A review is refused by canceling its
 * PaymentIntent (`POST /v1/payment_intents/:id/cancel`), which closes it as `canceled`.
 * Reads need `radar:read`, approve `radar:write`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { listReviews } from "../db/reviews";
import { expandable, expandableId, expandBodyParam, expanded, queryWithExpand } from "../expand";
import { errorResponses, formOrJsonBody } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { boolParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import { reviewJson } from "../radar/review-json";
import { approveReview, loadReview } from "../radar/reviews";
import type { App } from "../types";

const ReviewSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `prv_`.", example: "prv_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z.literal("review").openapi({ description: "String representing the object's type: always `review`." }),
    billing_zip: z.null().openapi({ description: "Always null: edgepay records no billing ZIP." }),
    charge: expandableId(z.string(), "charge", "The charge (`ch_…`) held for review."),
    closed_reason: z.enum(["approved", "canceled"]).nullable().openapi({
      description: "`approved`, or `canceled` when its PaymentIntent was canceled; null while open.",
      example: null,
    }),
    created: z.int().openapi({ description: "When the review opened, in unix seconds.", example: 1733097600 }),
    ip_address: z
      .string()
      .nullable()
      .openapi({ description: "The client's IP address seen with the payment; null when unknown." }),
    ip_address_location: z.null().openapi({ description: "Always null: edgepay records no IP location." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    open: z.boolean().openapi({ description: "True until approved or canceled." }),
    opened_reason: z.enum(["rule", "manual"]).openapi({
      description: "Why the review opened: `rule`, a Radar `review` rule matched (`manual` is Stripe's; never set).",
      example: "rule",
    }),
    payment_intent: expandableId(z.string(), "payment_intent", "The PaymentIntent (`pi_…`) held."),
    reason: z.string().openapi({ description: "`rule` while open; then the closed reason.", example: "rule" }),
    session: z.null().openapi({ description: "Always null: edgepay records no browser session." }),
  })
  .openapi("Review");

const IdParams = z.object({
  id: z
    .string()
    .max(255)
    .openapi({ param: { name: "id", in: "path" }, description: "The review's id (`prv_…`)." }),
});

const common = { tags: ["Radar"], security: [{ merchantToken: [] }] };
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: ReviewSchema } } },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/reviews",
  summary: "List reviews, newest first (optionally only open or closed ones)",
  middleware: [requireScope("radar:read"), expandable("review", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      open: boolParam()
        .optional()
        .openapi({ param: { name: "open", in: "query" }, description: "Only open (true) or closed (false) reviews." }),
    }),
  },
  responses: {
    200: {
      description: "A page of reviews",
      content: { "application/json": { schema: listSchema(ReviewSchema, "ReviewList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/reviews/{id}",
  summary: "Retrieve a review",
  middleware: [requireScope("radar:read"), expandable("review")] as const,
  request: { params: IdParams, query: queryWithExpand({}) },
  responses: { ...one("The review"), ...errorResponses(400, 401, 403, 404) },
});

const approveRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/reviews/{id}/approve",
  summary: "Approve an open review: its PaymentIntent may be captured (an automatic-capture one is captured now)",
  middleware: [requireScope("radar:write"), expandable("review")] as const,
  request: {
    params: IdParams,
    body: formOrJsonBody(z.strictObject({ expand: expandBodyParam }).openapi("ReviewApprove")),
  },
  responses: { ...one("The closed review"), ...errorResponses(400, 401, 403, 404) },
});

/** Registers the review routes. */
export function registerReviews(app: App): void {
  app.openapi(listRoute, async (c) => {
    const query = c.req.valid("query");
    const page = pageOr404(
      await listReviews(c.var.payments.db, c.var.auth.merchantId, pageRequest(query), { open: query.open }),
    );
    const live = isLive(c.env);
    const data = page.data.map((r) => reviewJson(r, live));
    return c.json(await expanded(c, listEnvelope("/v1/reviews", { ...page, data })), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadReview(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, reviewJson(row, isLive(c.env))), 200);
  });

  app.openapi(approveRoute, async (c) => {
    const row = await approveReview(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(await expanded(c, reviewJson(row, isLive(c.env))), 200);
  });
}

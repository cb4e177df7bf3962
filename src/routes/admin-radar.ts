/**
 * `GET /admin/v1/radar/velocity`: for an investigation, the operator reads the network-wide
 * velocity (attempts, declines, approvals, distinct cards, small amounts, last hour and day) of the card
 * behind one merchant's payment method, across every merchant. The answer carries counts only:
 * no merchant, amount or fingerprint. Every read is written to the audit log.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import { insertAudit } from "../db/merchants";
import { merchantShard } from "../db/shards";
import { findPaymentMethod } from "../db/vault";
import { ApiError, invalidParam } from "../errors";
import { networkKey, networkVelocity } from "../fraud/velocity";
import { errorResponses, OPERATOR_ROUTE } from "../lib/openapi";
import { operatorAudit } from "../middleware/operator-auth";
import { isLive } from "../payments/serialize";
import type { App } from "../types";

const Query = z.strictObject({
  merchant: z
    .string()
    .max(100)
    .optional()
    .openapi({
      param: { name: "merchant", in: "query" },
      description: "The merchant (`mer_…`) the payment method belongs to.",
    }),
  payment_method: z
    .string()
    .max(100)
    .optional()
    .openapi({
      param: { name: "payment_method", in: "query" },
      description: "The payment method (`pm_…`) whose card to look up.",
    }),
});

const Counts = z.object({
  attempts: z.int().openapi({ description: "Authorization attempts sent to a processor with the card.", example: 3 }),
  declines: z.int().openapi({ description: "Of those, how many were declined.", example: 1 }),
  approvals: z.int().openapi({ description: "Of those, how many were approved.", example: 2 }),
  cards: z.int().openapi({ description: "Distinct cards among the attempts.", example: 1 }),
  small: z.int().openapi({
    description: "Attempts of a small amount (under 2 units of the currency; under 200 in a zero-decimal one).",
    example: 0,
  }),
});

const VelocitySchema = z
  .object({
    object: z.literal("radar.velocity").openapi({ description: "Always `radar.velocity`." }),
    scope: z.literal("network").openapi({ description: "Always `network`: counted across every merchant." }),
    hour: Counts.openapi({ description: "The last hour." }),
    day: Counts.openapi({ description: "The last 24 hours." }),
  })
  .openapi("RadarVelocity");

const route = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/radar/velocity",
  summary: "The network-wide velocity of the card behind a payment method (operator only)",
  request: { query: Query },
  responses: {
    200: {
      description: "Counts of the last hour and day",
      content: { "application/json": { schema: VelocitySchema } },
    },
    ...errorResponses(400, 401, 404),
  },
});

/** Registers the operator's Radar routes. */
export function registerAdminRadar(app: App): void {
  app.openapi(route, async (c) => {
    const { merchant, payment_method: pmId } = c.req.valid("query");
    // Both required, checked here so that an unknown parameter is named first (as on every GET).
    if (merchant === undefined)
      throw invalidParam("parameter_missing", "Missing required param: merchant.", "merchant");
    if (pmId === undefined) {
      throw invalidParam("parameter_missing", "Missing required param: payment_method.", "payment_method");
    }
    const db = await merchantShard(c.env, merchant);
    const pm = db ? await findPaymentMethod(db, merchant, pmId) : undefined;
    if (!pm)
      throw new ApiError("resource_missing", "No such payment method for this merchant.", { param: "payment_method" });
    // Named as the screen names it (a shared test BIN's card is per merchant in test mode).
    const key = networkKey(pm, merchant, isLive(c.env));
    const velocity = await networkVelocity(c.env, key, Math.floor(Date.now() / 1000));
    await insertAudit(controlDb(c.env), operatorAudit(c, "radar.velocity.read", pmId, { merchant }));
    return c.json({ object: "radar.velocity" as const, scope: "network" as const, ...velocity }, 200);
  });
}

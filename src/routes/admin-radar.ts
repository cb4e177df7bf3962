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

const Counts = z.object({ attempts: z.int(), declines: z.int(), approvals: z.int(), cards: z.int(), small: z.int() });

const VelocitySchema = z
  .object({
    object: z.literal("radar.velocity"),
    scope: z.literal("network"),
    hour: Counts,
    day: Counts,
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

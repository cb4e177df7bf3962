/**
 * `POST /admin/v1/merchants/{id}/move`: the operator moves a merchant to another D1 shard, or
 * finishes its unfinished move (moves/move-merchant.ts, docs/scaling.md). The merchant's requests
 * get a retryable 429 for the duration; the call answers when the move is done, and is safe to
 * repeat after a failure or a lost answer. `POST …/move/drop_source`, later, deletes the stale copy
 * the last finished move left on its source shard.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import type { MoveRow } from "../db/merchant-move";
import { insertAudit } from "../db/merchants";
import { ApiError } from "../errors";
import { hasPrefix, noSuchMessage } from "../lib/ids";
import { errorResponses, formOrJsonBody, MerchantPathId, NoBody, OPERATOR_ROUTE } from "../lib/openapi";
import { intParam } from "../lib/params";
import { operatorAudit } from "../middleware/operator-auth";
import { dropMovedSource, MOVE_TIMING, type MoveTiming, moveMerchant } from "../moves/move-merchant";
import type { App } from "../types";

const MoveSchema = z
  .object({
    object: z.literal("merchant_move").openapi({ description: "Always `merchant_move`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) moved." }),
    from_shard: z.int().openapi({ description: "The shard it was on, by index.", example: 0 }),
    to_shard: z.int().openapi({ description: "The shard it is on now, by index.", example: 1 }),
    status: z.enum(["done", "source_dropped"]).openapi({
      description: "`done`: moved, its stale copy still on `from_shard`; `source_dropped`: that copy deleted.",
      example: "done",
    }),
  })
  .openapi("MerchantMove");

const MoveParams = z
  .strictObject({
    shard: intParam()
      .pipe(z.int().min(0))
      .openapi({ description: "The shard to move the merchant to, by index (from 0).", example: 1 }),
  })
  .openapi("MoveMerchantParams");

const moveRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}/move",
  summary: "Move a merchant to another shard, or finish its unfinished move",
  request: { params: MerchantPathId, body: formOrJsonBody(MoveParams) },
  responses: {
    200: { description: "The finished move", content: { "application/json": { schema: MoveSchema } } },
    ...errorResponses(400, 401, 404, 429, 503),
  },
});

const dropRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}/move/drop_source",
  summary: "Delete the stale copy a finished move left on its source shard",
  request: { params: MerchantPathId, body: NoBody },
  responses: {
    200: { description: "The move whose source copy is gone", content: { "application/json": { schema: MoveSchema } } },
    ...errorResponses(400, 401, 404, 429),
  },
});

function moveObject(id: string, move: MoveRow, status: "done" | "source_dropped") {
  return { object: "merchant_move" as const, merchant: id, from_shard: move.fromShard, to_shard: move.toShard, status };
}

/** Registers the merchant move routes; `timing` shortens the waits in tests. */
export function registerAdminMerchantMoves(app: App, timing: MoveTiming = MOVE_TIMING): void {
  app.openapi(moveRoute, async (c) => {
    const id = c.req.valid("param").id;
    const { shard } = c.req.valid("json");
    const result = hasPrefix(id, "mer")
      ? await moveMerchant(c.env, id, shard, { timing })
      : ({ ok: false, reason: "no_such_merchant" } as const);
    if (!result.ok) {
      switch (result.reason) {
        case "no_such_merchant":
          throw new ApiError("resource_missing", noSuchMessage("merchant", id, "mer"), { param: "id" });
        case "no_such_shard":
          throw new ApiError("parameter_invalid", "No such shard is bound in this deployment.", { param: "shard" });
        case "already_there":
          throw new ApiError("parameter_invalid", "The merchant is already on this shard.", { param: "shard" });
        case "other_move":
          throw new ApiError("parameter_invalid", "An unfinished move of this merchant goes to another shard.", {
            param: "shard",
          });
        case "source_not_dropped":
          throw new ApiError(
            "parameter_invalid",
            "Drop the source copy of this merchant's last move (POST …/move/drop_source) before moving it elsewhere.",
            { param: "shard" },
          );
        case "in_progress":
          throw new ApiError("lock_timeout", "Another call is moving this merchant. Retry when it has finished.");
        case "copy_differs":
          throw new ApiError(
            "service_unavailable",
            "The merchant's copy differs from its source; it stays where it is. Retry the move.",
          );
      }
    }
    const { move } = result;
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.moved", id, { from_shard: move.fromShard, to_shard: move.toShard }),
    );
    return c.json(moveObject(id, move, "done"), 200);
  });

  app.openapi(dropRoute, async (c) => {
    const id = c.req.valid("param").id;
    const result = hasPrefix(id, "mer")
      ? await dropMovedSource(c.env, id, timing)
      : ({ ok: false, reason: "no_such_merchant" } as const);
    if (!result.ok) {
      switch (result.reason) {
        case "no_such_merchant":
          throw new ApiError("resource_missing", noSuchMessage("merchant", id, "mer"), { param: "id" });
        case "no_finished_move":
          throw new ApiError(
            "parameter_invalid",
            "The merchant has no finished move whose source copy could be dropped.",
          );
        case "in_progress":
          throw new ApiError("lock_timeout", "Another call is moving this merchant. Retry when it has finished.");
      }
    }
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.move_source_dropped", id, { shard: result.move.fromShard }),
    );
    return c.json(moveObject(id, result.move, "source_dropped"), 200);
  });
}

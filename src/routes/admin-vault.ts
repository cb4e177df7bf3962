/**
 * `POST /admin/v1/vault/rotate`: the operator moves card records sealed under an older KEK to the
 * newest one, one bounded batch per call. Call it with `starting_after = next_starting_after` until
 * `has_more` is false; then `remaining` is 0 unless some records failed (listed in `failed`) or
 * changed mid-batch (a new pass from the start picks those up). Each call also re-seals webhook
 * endpoints' secrets and connector accounts' credentials, each after a cursor of its own. It can stop and resume at any
 * point. Every call is written to the audit log.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import { insertAudit } from "../db/merchants";
import { log } from "../lib/log";
import { errorResponses, formOrJsonBody, OPERATOR_ROUTE } from "../lib/openapi";
import { intParam } from "../lib/params";
import { operatorAudit } from "../middleware/operator-auth";
import type { App } from "../types";
import { rotateVault } from "../vault";

/** Largest batch one call may re-encrypt: bounds the work, memory and D1 batch size of one request. */
export const MAX_ROTATION_BATCH = 200;

const RotateBody = z
  .strictObject({
    batch_size: intParam()
      .pipe(z.int().min(1).max(MAX_ROTATION_BATCH))
      .optional()
      .openapi({ description: "Records to re-encrypt in this call, 1 to 200 (default 100)." }),
    starting_after: z.string().max(255).optional().openapi({
      description: "Resume after this payment method (`pm_…`): the previous call's `next_starting_after`.",
    }),
    webhook_endpoints_starting_after: z
      .string()
      .max(255)
      .optional()
      .openapi({ description: "Resume webhook secrets after this endpoint (`we_…`)." }),
    connector_accounts_starting_after: z
      .string()
      .max(255)
      .optional()
      .openapi({ description: "Resume connector credentials after this account (`mca_…`)." }),
  })
  .openapi("VaultRotateRequest");

const RotationSchema = z
  .object({
    object: z.literal("vault_rotation").openapi({ description: "Always `vault_rotation`." }),
    key_version: z.int().openapi({ description: "The KEK version records are moved to (the newest)" }),
    rotated: z.int().openapi({ description: "Records, webhook secrets and connector credentials moved" }),
    failed: z.array(z.string()).openapi({
      description: "Payment methods, webhook endpoints and connector accounts that could not be decrypted; left as is",
    }),
    remaining: z.int().openapi({
      description: "Records, webhook secrets and connector credentials still under an older KEK",
    }),
    has_more: z.boolean().openapi({ description: "Whether another call is needed to finish the pass." }),
    next_starting_after: z.string().nullable().openapi({ description: "Pass as starting_after to skip past failures" }),
    next_webhook_endpoints_starting_after: z
      .string()
      .nullable()
      .openapi({ description: "Pass as webhook_endpoints_starting_after to skip past webhook endpoints that failed" }),
    next_connector_accounts_starting_after: z.string().nullable().openapi({
      description: "Pass as connector_accounts_starting_after to skip past connector accounts that failed",
    }),
  })
  .openapi("VaultRotation");

const rotate = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/vault/rotate",
  summary: "Re-encrypt one batch of vault records under the newest key-encrypting key",
  request: { body: formOrJsonBody(RotateBody) },
  responses: {
    200: { description: "Progress of the rotation", content: { "application/json": { schema: RotationSchema } } },
    ...errorResponses(400, 401),
  },
});

/** Registers the operator's vault routes. */
export function registerVaultAdmin(app: App): void {
  app.openapi(rotate, async (c) => {
    const body = c.req.valid("json");
    const result = await rotateVault(
      c.env,
      body.batch_size ?? 100,
      body.starting_after,
      body.webhook_endpoints_starting_after,
      body.connector_accounts_starting_after,
    );
    const details = {
      key_version: result.keyVersion,
      rotated: result.rotated,
      failed: result.failed.length,
      remaining: result.remaining,
    };
    await insertAudit(controlDb(c.env), operatorAudit(c, "vault.rotate", "vault", details));
    log("info", "vault_rotation_batch", { request_id: c.var.requestId, ...details });
    return c.json(
      {
        object: "vault_rotation" as const,
        key_version: result.keyVersion,
        rotated: result.rotated,
        failed: result.failed,
        remaining: result.remaining,
        has_more:
          result.nextStartingAfter !== null ||
          result.nextWebhookStartingAfter !== null ||
          result.nextConnectorStartingAfter !== null,
        next_starting_after: result.nextStartingAfter,
        next_webhook_endpoints_starting_after: result.nextWebhookStartingAfter,
        next_connector_accounts_starting_after: result.nextConnectorStartingAfter,
      },
      200,
    );
  });
}

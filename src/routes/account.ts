/**
 * `GET /v1/account`: who am I. Returns the merchant behind the access token, plus the token's
 * client and scopes, so an integration can check its credentials. Any valid token may call it.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import { getMerchant } from "../db/merchants";
import { ApiError } from "../errors";
import { errorResponses, NoQuery } from "../lib/openapi";
import type { App } from "../types";

const AccountSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "The merchant's id, prefixed `mer_`.", example: "mer_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("account").openapi({ description: "String representing the object's type: always `account`." }),
    name: z.string().openapi({ description: "The merchant's name.", example: "Acme Inc." }),
    created: z.int().openapi({ description: "When the merchant was created, in unix seconds.", example: 1733097600 }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    client_id: z.string().openapi({
      description: "The API client the access token was issued to.",
      example: "cli_3PbQx2Lk9dWm4TqR7vYc1Zs8",
    }),
    scopes: z
      .array(z.string())
      .openapi({ description: "Scopes of the access token.", example: ["payments:read", "payments:write"] }),
  })
  .openapi("Account");

const route = createRoute({
  method: "get",
  path: "/v1/account",
  tags: ["Account"],
  summary: "Retrieve the merchant account behind the access token",
  security: [{ merchantToken: [] }],
  request: { query: NoQuery },
  responses: {
    200: { description: "The merchant", content: { "application/json": { schema: AccountSchema } } },
    ...errorResponses(400, 401),
  },
});

/** Registers `GET /v1/account`. */
export function registerAccount(app: App): void {
  app.openapi(route, async (c) => {
    const { merchantId, clientId, scopes } = c.var.auth;
    const merchant = await getMerchant(controlDb(c.env), merchantId);
    // The token was valid a moment ago, so a missing row means it was deleted out of band.
    if (!merchant) throw new ApiError("invalid_token", "The access token is invalid, expired or revoked.");
    return c.json(
      {
        id: merchant.id,
        object: "account" as const,
        name: merchant.name,
        created: merchant.created,
        livemode: c.env.EDGEPAY_MODE === "live",
        client_id: clientId,
        scopes: [...scopes],
      },
      200,
    );
  });
}

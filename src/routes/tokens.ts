/**
 * `/v1/tokens`: single-use card tokens (`tok_…`) for SDK flows that still use them. A token wraps a
 * payment method that only a payment claiming the token can charge, exactly once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, formOrJsonBody, NoQuery } from "../lib/openapi";
import { allowPublishable, PUBLISHABLE_SECURITY, requireScope } from "../middleware/merchant-auth";
import type { App } from "../types";
import { createToken, getToken } from "../vault";
import { tokenObject } from "../vault/objects";
import { CardParams, checkedCard, storedDetails } from "./payment-method-schemas";

const CreateBody = z.strictObject({ card: CardParams }).openapi("CreateToken");

const TokenSchema = z
  .object({
    id: z.string().openapi({ example: "tok_8dK2mQ9xLr4Vb7ZcN1sT0aWe" }),
    object: z.literal("token"),
    type: z.literal("card"),
    card: z.object({
      object: z.literal("card"),
      brand: z.string().openapi({ example: "Visa" }),
      country: z.string().nullable(),
      last4: z.string(),
      exp_month: z.int(),
      exp_year: z.int(),
      fingerprint: z.string(),
      funding: z.string(),
    }),
    client_ip: z.null(),
    created: z.int(),
    livemode: z.boolean(),
    used: z.boolean(),
  })
  .openapi("Token");

const ok = (description: string) => ({
  200: { description, content: { "application/json": { schema: TokenSchema } } },
});

const create = createRoute({
  method: "post",
  path: "/v1/tokens",
  tags: ["Tokens"],
  summary: "Create a single-use card token",
  security: PUBLISHABLE_SECURITY,
  middleware: [allowPublishable, requireScope("payment_methods:write")] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...ok("The new token"), ...errorResponses(400, 401, 402, 403) },
});

const retrieve = createRoute({
  method: "get",
  path: "/v1/tokens/{id}",
  tags: ["Tokens"],
  summary: "Retrieve a token",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("payment_methods:read")] as const,
  request: {
    params: z.object({
      id: z
        .string()
        .max(255)
        .openapi({ param: { name: "id", in: "path" } }),
    }),
    query: NoQuery,
  },
  responses: { ...ok("The token"), ...errorResponses(400, 401, 403, 404) },
});

/** Registers the token routes. */
export function registerTokens(app: App): void {
  app.openapi(create, async (c) => {
    const { card } = c.req.valid("json");
    const { token, paymentMethod } = await createToken(
      c.var.payments,
      c.var.auth.merchantId,
      {
        card: checkedCard(card),
        ...storedDetails(undefined, undefined),
      },
      c.var.idempotencyKey,
    );
    return c.json(tokenObject(token, paymentMethod, c.env.EDGEPAY_MODE === "live"), 200);
  });

  app.openapi(retrieve, async (c) => {
    const { token, paymentMethod } = await getToken(c.var.payments, c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(tokenObject(token, paymentMethod, c.env.EDGEPAY_MODE === "live"), 200);
  });
}

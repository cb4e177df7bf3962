/**
 * `/v1/tokens`: single-use card tokens (`tok_…`) for SDK flows that still use them. A token wraps a
 * payment method that only a payment claiming the token can charge, exactly once.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { errorResponses, formOrJsonBody, NoQuery, registerComponents } from "../lib/openapi";
import { allowPublishable, PUBLISHABLE_SECURITY, requireScope } from "../middleware/merchant-auth";
import type { App } from "../types";
import { createToken, getToken } from "../vault";
import { tokenObject } from "../vault/objects";
import { CARD_COMPONENTS, CardParams, checkedCard, storedDetails } from "./payment-method-schemas";

const CreateBody = z
  .strictObject({ card: CardParams.openapi({ description: "The card to tokenize." }) })
  .openapi("CreateToken", {
    example: { card: { number: "4242424242424242", exp_month: 12, exp_year: 2030, cvc: "123" } },
  });

const TokenSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `tok_`.", example: "tok_8dK2mQ9xLr4Vb7ZcN1sT0aWe" }),
    object: z.literal("token").openapi({ description: "String representing the object's type: always `token`." }),
    type: z.literal("card").openapi({ description: "The token's type: always `card`." }),
    card: z
      .object({
        object: z.literal("card").openapi({ description: "Always `card`." }),
        brand: z.string().openapi({
          description: "Card brand as Stripe's tokens name it: `Visa`, `MasterCard`, `American Express` …",
          example: "Visa",
        }),
        country: z.string().nullable().openapi({ description: "The issuer's country, when known; else null." }),
        last4: z.string().openapi({ description: "The last four digits of the card number.", example: "4242" }),
        exp_month: z.int().openapi({ description: "Expiry month, 1 to 12.", example: 12 }),
        exp_year: z.int().openapi({ description: "Four-digit expiry year.", example: 2030 }),
        fingerprint: z.string().openapi({ description: "HMAC of the card number, scoped to your account." }),
        funding: z.string().openapi({ description: "`credit`, `debit`, `prepaid` or `unknown`.", example: "credit" }),
      })
      .openapi({ description: "The tokenized card; the number itself is never returned." }),
    client_ip: z.null().openapi({ description: "Always null: edgepay does not record the client's IP address." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    used: z.boolean().openapi({ description: "Whether a payment has claimed the token: it can be charged once." }),
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
        .openapi({ param: { name: "id", in: "path" }, description: "The token's id (`tok_…`)." }),
    }),
    query: NoQuery,
  },
  responses: { ...ok("The token"), ...errorResponses(400, 401, 403, 404) },
});

/** Registers the token routes. */
export function registerTokens(app: App): void {
  registerComponents(app, CARD_COMPONENTS);
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

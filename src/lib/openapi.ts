/** Shared OpenAPI pieces for route modules: the request-body declaration and the error envelope schema. */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors";
import type { App } from "../types";

/**
 * Declares a request body. Bodies are always validated as JSON: the body middleware re-presents
 * form-encoded requests as the equivalent JSON object, so one schema covers both encodings. Only
 * JSON is declared here (a form entry with a zod schema would add hono's form validator); the
 * document's form entry is added with the same schema by lib/openapi-document.ts.
 */
export function formOrJsonBody<T extends z.ZodType>(schema: T) {
  return {
    required: true,
    description:
      "`application/x-www-form-urlencoded` with bracket nesting (`metadata[order]=42`), or the same object as `application/json`.",
    content: { "application/json": { schema } },
  } as const;
}

/**
 * The body of a POST route that takes no parameters (a revoke, a suspend): it may be empty, and any
 * parameter in it is a 400 `parameter_unknown` naming it, as in every other body.
 */
export const NoBody = {
  ...formOrJsonBody(z.strictObject({}).openapi({ description: "No parameters." })),
  required: false,
  description: "None: send an empty body. Any parameter is a 400 `parameter_unknown`.",
} as const;

/** The error envelope, as a schema for documentation. */
export const ErrorSchema = z
  .object({
    error: z
      .object({
        type: z.string().openapi({
          description:
            "The kind of error: `api_error`, `authentication_error`, `card_error`, `idempotency_error`, `invalid_request_error`, `permission_error` or `rate_limit_error`.",
          example: "invalid_request_error",
        }),
        code: z
          .enum(Object.keys(ERROR_CODES) as [string, ...string[]])
          .or(z.string())
          .openapi({ description: "A stable, machine-readable error code.", example: "parameter_missing" }),
        message: z.string().openapi({
          description: "A human-readable message; it never echoes card numbers, secrets or internals.",
          example: "Missing required param: amount.",
        }),
        param: z
          .string()
          .optional()
          .openapi({ description: "The parameter the error is about, when there is one.", example: "amount" }),
        decline_code: z.string().optional().openapi({
          description: "For a declined card (`card_declined`): the issuer's reason, e.g. `insufficient_funds`.",
        }),
        request_id: z.string().openapi({
          description: "The id of the request (`req_…`), also sent as the `Request-Id` header; quote it to support.",
          example: "req_3PbQx2Lk9dWm4TqR7vYc1Zs8",
        }),
      })
      .openapi({ description: "What went wrong." }),
  })
  .openapi("Error");

/** Documents the listed error statuses with the shared envelope. */
export function errorResponses(...statuses: number[]) {
  const descriptions: Record<number, string> = {
    400: "Invalid request",
    401: "Missing or invalid credentials",
    402: "The card was declined",
    403: "Missing scope",
    404: "No such object",
    409: "Conflict, or a request with the same idempotency key is in flight",
    413: "Body too large (over 64 KiB)",
    415: "Body neither `application/x-www-form-urlencoded` nor `application/json`",
    429: "Rate limit exceeded",
  };
  return Object.fromEntries(
    statuses.map((s) => [
      s,
      { description: descriptions[s] ?? "Error", content: { "application/json": { schema: ErrorSchema } } },
    ]),
  );
}

/** The query of a route that takes no query parameters: any key is a 400 `parameter_unknown` naming it. */
export const NoQuery = z.strictObject({});

/** The `{id}` path parameter of a resource route, as the OpenAPI document names it, with its description. */
export function pathId(description: string) {
  return z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, description }) });
}

/** The `{id}` path parameter of an operator route about one merchant. */
export const MerchantPathId = pathId("The merchant's id (`mer_…`).");

/** What every operator route shares in the OpenAPI document: its tag and the operator token it requires. */
export const OPERATOR_ROUTE = { tags: ["Operator"], security: [{ operatorToken: [] }] };

/**
 * Registers named components before any route refers to them. The generator makes a component of
 * the first use of a named schema it meets, so without this a property that describes itself
 * (`Metadata.openapi({ description })`) would become the component, and its own description would
 * be lost; registered first, each such property is emitted as the `$ref` plus its description.
 * Leaves first: a component is registered after those its properties refer to.
 */
export function registerComponents(app: App, components: Record<string, z.ZodType>): void {
  for (const [name, schema] of Object.entries(components)) app.openAPIRegistry.register(name, schema);
}

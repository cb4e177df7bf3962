/** Shared OpenAPI pieces for route modules: the request-body declaration and the error envelope schema. */
import { z } from "@hono/zod-openapi";
import { ERROR_CODES } from "../errors";

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

/** The error envelope, as a schema for documentation. */
export const ErrorSchema = z
  .object({
    error: z.object({
      type: z.string(),
      code: z.enum(Object.keys(ERROR_CODES) as [string, ...string[]]).or(z.string()),
      message: z.string(),
      param: z.string().optional(),
      decline_code: z.string().optional(),
      request_id: z.string(),
    }),
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
    413: "Body too large",
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

/** The `{id}` path parameter of a resource route, as the OpenAPI document names it. */
export const PathId = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

/** What every operator route shares in the OpenAPI document: its tag and the operator token it requires. */
export const OPERATOR_ROUTE = { tags: ["Operator"], security: [{ operatorToken: [] }] };

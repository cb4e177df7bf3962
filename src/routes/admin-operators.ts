/**
 * Operator API for operators themselves (`/admin/v1/operators`, `/admin/v1/root_token`): named
 * operator credentials (create, with the secret in that one response; list; retrieve; disable) and
 * the root OPERATOR_TOKEN's switch. Nothing may leave the API without a working credential: an
 * operator cannot be disabled when no other is active and the root token is unusable, and the root
 * token can be disabled only while an active operator exists. Every change is audited with the
 * acting operator (`root` for the root token), in the same `db.batch` as the change.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { generateSecret, hashClientSecret, OPERATOR_SECRET_PREFIX } from "../crypto/secrets";
import { controlDb } from "../db/client";
import { nowSeconds } from "../db/merchants";
import {
  createOperator,
  disableOperator,
  getOperator,
  getRootTokenSetting,
  listOperators,
  type OperatorRow,
  setRootToken,
} from "../db/operators";
import { ApiError, invalidParam } from "../errors";
import { hasPrefix, newId, noSuchMessage } from "../lib/ids";
import { errorResponses, formOrJsonBody, NoBody, NoQuery, OPERATOR_ROUTE, pathId } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { intParam } from "../lib/params";
import { operatorAudit, rootTokenConfigured } from "../middleware/operator-auth";
import type { App } from "../types";

/** Highest per-operator rate limit, in requests per second. */
export const MAX_OPERATOR_RATE_LIMIT = 10_000;

const OperatorPathId = pathId("The operator's id (`opr_…`).");

const OperatorSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `opr_`.", example: "opr_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("operator").openapi({ description: "Always `operator`." }),
    name: z.string().openapi({ description: "The operator's unique name.", example: "alice@example.com" }),
    status: z
      .enum(["active", "disabled"])
      .openapi({ description: "`disabled` operators' secrets are refused.", example: "active" }),
    rate_limit: z.int().nullable().openapi({ description: "Requests per second; null = the default (100)." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    created_by: z.string().openapi({ description: "`root` or the id of the operator that created it." }),
    disabled_at: z
      .int()
      .nullable()
      .openapi({ description: "When the operator was disabled, in unix seconds; null while active." }),
  })
  .openapi("Operator");
const NewOperatorSchema = OperatorSchema.extend({
  secret: z
    .string()
    .openapi({ description: "The operator's Bearer secret (`eop_…`). Shown once; only a keyed hash is stored." }),
}).openapi("NewOperator");
const RootTokenSchema = z
  .object({
    object: z.literal("root_token").openapi({ description: "Always `root_token`." }),
    status: z.enum(["enabled", "disabled"]).openapi({
      description: "Whether OPERATOR_TOKEN is accepted; it can be disabled only while an active operator exists.",
    }),
    configured: z.boolean().openapi({ description: "OPERATOR_TOKEN is set and long enough to authenticate." }),
    updated: z
      .int()
      .nullable()
      .openapi({ description: "When the status last changed, in unix seconds; null: never changed." }),
    updated_by: z
      .string()
      .nullable()
      .openapi({ description: "Who last changed it (`root` or an `opr_…`); null: never changed." }),
  })
  .openapi("RootToken");

/** The API representation of an operator (never its secret or hash). */
function operatorObject(row: OperatorRow): z.infer<typeof OperatorSchema> {
  return {
    id: row.id,
    object: "operator",
    name: row.name,
    status: row.status,
    rate_limit: row.rateLimit,
    created: row.created,
    created_by: row.createdBy,
    disabled_at: row.disabledAt,
  };
}

const CreateOperator = z
  .strictObject({
    name: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/)
      .openapi({ description: "Unique; letters, digits and `._@-`, up to 64 characters (e.g. a login or an email)." }),
    rate_limit: intParam()
      .pipe(z.int().min(1).max(MAX_OPERATOR_RATE_LIMIT))
      .optional()
      .openapi({ description: "Requests per second, 1 to 10000; default 100." }),
  })
  .openapi("CreateOperatorParams");
const one = { description: "The operator", content: { "application/json": { schema: OperatorSchema } } };
const root = { description: "The root token's state", content: { "application/json": { schema: RootTokenSchema } } };

const createOperatorRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/operators",
  summary: "Create a named operator; the response carries its secret, once",
  request: { body: formOrJsonBody(CreateOperator) },
  responses: {
    200: { description: "The operator and its secret", content: { "application/json": { schema: NewOperatorSchema } } },
    ...errorResponses(400, 401, 429),
  },
});
const listOperatorsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/operators",
  summary: "List operators, newest first",
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of operators",
      content: { "application/json": { schema: listSchema(OperatorSchema, "OperatorList") } },
    },
    ...errorResponses(400, 401, 404, 429),
  },
});
const getOperatorRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/operators/{id}",
  summary: "Retrieve an operator",
  request: { params: OperatorPathId, query: NoQuery },
  responses: { 200: one, ...errorResponses(400, 401, 404, 429) },
});
const disableOperatorRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/operators/{id}/disable",
  summary: "Disable an operator: its secret stops working with the next request",
  request: { params: OperatorPathId, body: NoBody },
  responses: { 200: one, ...errorResponses(400, 401, 404, 429) },
});
const getRootRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/root_token",
  summary: "Whether the root OPERATOR_TOKEN is enabled",
  request: { query: NoQuery },
  responses: { 200: root, ...errorResponses(400, 401, 429) },
});
const rootRoute = (action: "disable" | "enable") =>
  createRoute({
    ...OPERATOR_ROUTE,
    method: "post",
    path: `/admin/v1/root_token/${action}`,
    request: { body: NoBody },
    summary:
      action === "disable"
        ? "Disable the root OPERATOR_TOKEN (needs an active named operator)"
        : "Enable the root OPERATOR_TOKEN again",
    responses: { 200: root, ...errorResponses(400, 401, 429) },
  });

/** Registers the operator routes for operators and the root token. */
export function registerAdminOperators(app: App): void {
  app.openapi(createOperatorRoute, async (c) => {
    const { name, rate_limit } = c.req.valid("json");
    const secret = generateSecret(OPERATOR_SECRET_PREFIX);
    const row: OperatorRow = {
      id: newId("opr"),
      name,
      secretHash: await hashClientSecret(c.env.CLIENT_SECRET_PEPPER, secret),
      status: "active",
      rateLimit: rate_limit ?? null,
      createdBy: c.var.operator.id,
      created: nowSeconds(),
      disabledAt: null,
    };
    const audit = operatorAudit(c, "operator.created", row.id, { name, rate_limit: row.rateLimit });
    if (!(await createOperator(controlDb(c.env), row, audit))) {
      throw invalidParam("parameter_invalid", "An operator with this name already exists.", "name");
    }
    c.header("Cache-Control", "no-store");
    return c.json({ ...operatorObject(row), secret }, 200);
  });

  app.openapi(listOperatorsRoute, async (c) => {
    const page = pageOr404(await listOperators(controlDb(c.env), pageRequest(c.req.valid("query"))));
    return c.json(listEnvelope("/admin/v1/operators", { ...page, data: page.data.map(operatorObject) }), 200);
  });

  app.openapi(getOperatorRoute, async (c) => {
    const { id } = c.req.valid("param");
    const row = hasPrefix(id, "opr") ? await getOperator(controlDb(c.env), id) : undefined;
    if (!row) throw new ApiError("resource_missing", noSuchMessage("operator", id, "opr"), { param: "id" });
    return c.json(operatorObject(row), 200);
  });

  app.openapi(disableOperatorRoute, async (c) => {
    const { id } = c.req.valid("param");
    const missing = new ApiError("resource_missing", noSuchMessage("operator", id, "opr"), { param: "id" });
    if (!hasPrefix(id, "opr")) throw missing;
    const audit = operatorAudit(c, "operator.disabled", id);
    const result = await disableOperator(controlDb(c.env), id, rootTokenConfigured(c.env), audit);
    switch (result.kind) {
      case "disabled":
      case "already_disabled":
        return c.json(operatorObject(result.row), 200);
      case "missing":
        throw missing;
      case "last_credential":
        throw new ApiError(
          "operator_lockout",
          "This is the last active operator and the root token is disabled or not configured: create another operator (or enable the root token) first.",
          { param: "id" },
        );
    }
  });

  const rootState = async (env: Env) => {
    const setting = await getRootTokenSetting(controlDb(env));
    return {
      object: "root_token" as const,
      status: setting?.value === "disabled" ? ("disabled" as const) : ("enabled" as const),
      configured: rootTokenConfigured(env),
      updated: setting?.updated ?? null,
      updated_by: setting?.updatedBy ?? null,
    };
  };

  app.openapi(getRootRoute, async (c) => c.json(await rootState(c.env), 200));

  for (const action of ["disable", "enable"] as const) {
    app.openapi(rootRoute(action), async (c) => {
      const state = action === "disable" ? "disabled" : "enabled";
      const audit = operatorAudit(c, `root_token.${state}`, "root_token");
      const changed = await setRootToken(controlDb(c.env), state, audit);
      const now = await rootState(c.env);
      if (!changed && now.status !== state) {
        throw new ApiError(
          "operator_lockout",
          "Create a named operator before disabling the root token: it is the only operator credential.",
        );
      }
      return c.json(now, 200);
    });
  }
}

/**
 * Operator API for merchants (`/admin/v1/merchants`): create, list, retrieve, update (name and
 * rate limit), suspend and reactivate. Every change and its audit-log entry are one `db.batch`.
 * Suspension and reactivation clear the isolate's status cache, so they apply at once here and
 * within the cache TTL elsewhere (src/db/access-status.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { forgetMerchant } from "../db/access-status";
import { controlDb } from "../db/client";
import {
  insertAudit,
  insertMerchant,
  listMerchants,
  type MerchantRow,
  nowSeconds,
  setMerchantStatus,
  updateMerchant,
} from "../db/merchants";
import { pickShard } from "../db/shards";
import { MAX_RATE_LIMIT } from "../domain/limits";
import { newId } from "../lib/ids";
import { errorResponses, formOrJsonBody, MerchantPathId, NoBody, NoQuery, OPERATOR_ROUTE } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { intParam } from "../lib/params";
import { operatorAudit } from "../middleware/operator-auth";
import type { App } from "../types";
import { merchantOr404 } from "./operator-shard";

const MerchantSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `mer_`.", example: "mer_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("merchant").openapi({ description: "Always `merchant`." }),
    name: z.string().openapi({ description: "The merchant's name.", example: "Acme Inc." }),
    status: z.enum(["active", "suspended"]).openapi({
      description: "`suspended` merchants' credentials are refused until reactivated.",
      example: "active",
    }),
    rate_limit: z.int().nullable().openapi({ description: "Requests per second; null = deployment default." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
  })
  .openapi("Merchant");

/** The API representation of a merchant. */
export function merchantObject(row: MerchantRow): z.infer<typeof MerchantSchema> {
  return {
    id: row.id,
    object: "merchant",
    name: row.name,
    status: row.status,
    rate_limit: row.rateLimit,
    created: row.created,
  };
}

const rateLimit = intParam().pipe(z.int().min(1).max(MAX_RATE_LIMIT));
/** A merchant's name: 1 to 200 characters once trimmed. */
const merchantName = z.string().trim().min(1).max(200);
const CreateMerchant = z
  .strictObject({
    name: merchantName.openapi({
      description: "The merchant's name, 1 to 200 characters once trimmed.",
      example: "Acme Inc.",
    }),
    rate_limit: rateLimit
      .optional()
      .openapi({ description: "Requests per second, 1 to 10000; default: the deployment's.", example: 100 }),
  })
  .openapi("CreateMerchantParams");
const UpdateMerchant = z
  .strictObject({
    name: merchantName.optional().openapi({ description: "New name, 1 to 200 characters once trimmed." }),
    rate_limit: z
      .union([z.literal(""), rateLimit])
      .optional()
      .openapi({ description: 'Requests per second; "" restores the deployment default.' }),
  })
  .openapi("UpdateMerchantParams");

const one = { description: "The merchant", content: { "application/json": { schema: MerchantSchema } } };

const createMerchantRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants",
  summary: "Create a merchant",
  request: { body: formOrJsonBody(CreateMerchant) },
  responses: { 200: one, ...errorResponses(400, 401) },
});
const listMerchantsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/merchants",
  summary: "List merchants, newest first",
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of merchants",
      content: { "application/json": { schema: listSchema(MerchantSchema, "MerchantList") } },
    },
    ...errorResponses(400, 401, 404),
  },
});
const getMerchantRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/merchants/{id}",
  summary: "Retrieve a merchant",
  request: { params: MerchantPathId, query: NoQuery },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});
const updateMerchantRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}",
  summary: "Update a merchant's name or rate limit",
  request: { params: MerchantPathId, body: formOrJsonBody(UpdateMerchant) },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});
const statusRoute = (action: "suspend" | "reactivate") =>
  createRoute({
    ...OPERATOR_ROUTE,
    method: "post",
    path: `/admin/v1/merchants/{id}/${action}`,
    summary: action === "suspend" ? "Suspend a merchant: its tokens stop working" : "Reactivate a suspended merchant",
    request: { params: MerchantPathId, body: NoBody },
    responses: { 200: one, ...errorResponses(401, 404) },
  });

/** Registers the operator's merchant routes. */
export function registerAdminMerchants(app: App): void {
  app.openapi(createMerchantRoute, async (c) => {
    const { name, rate_limit } = c.req.valid("json");
    const db = controlDb(c.env);
    const row: MerchantRow = {
      id: newId("mer"),
      name,
      status: "active",
      rateLimit: rate_limit ?? null,
      shard: await pickShard(c.env),
      created: nowSeconds(),
    };
    await db.batch([
      insertMerchant(db, row),
      insertAudit(db, operatorAudit(c, "merchant.created", row.id, { name, rate_limit: row.rateLimit })),
    ]);
    return c.json(merchantObject(row), 200);
  });

  app.openapi(listMerchantsRoute, async (c) => {
    const page = pageOr404(await listMerchants(controlDb(c.env), pageRequest(c.req.valid("query"))));
    return c.json(listEnvelope("/admin/v1/merchants", { ...page, data: page.data.map(merchantObject) }), 200);
  });

  app.openapi(getMerchantRoute, async (c) => {
    return c.json(merchantObject(await merchantOr404(controlDb(c.env), c.req.valid("param").id)), 200);
  });

  app.openapi(updateMerchantRoute, async (c) => {
    const db = controlDb(c.env);
    const current = await merchantOr404(db, c.req.valid("param").id);
    const { name, rate_limit } = c.req.valid("json");
    const patch = {
      name: name ?? current.name,
      rateLimit: rate_limit === undefined ? current.rateLimit : rate_limit === "" ? null : rate_limit,
    };
    const [rows] = await db.batch([
      updateMerchant(db, current.id, patch),
      insertAudit(
        db,
        operatorAudit(c, "merchant.updated", current.id, { name: patch.name, rate_limit: patch.rateLimit }),
      ),
    ]);
    // The rate limit travels in the auth status cache: drop it so this isolate applies the change now.
    if (patch.rateLimit !== current.rateLimit) forgetMerchant(current.id);
    return c.json(merchantObject(rows[0] ?? { ...current, ...patch }), 200);
  });

  for (const action of ["suspend", "reactivate"] as const) {
    app.openapi(statusRoute(action), async (c) => {
      const db = controlDb(c.env);
      const current = await merchantOr404(db, c.req.valid("param").id);
      const status = action === "suspend" ? "suspended" : "active";
      const [rows] = await db.batch([
        setMerchantStatus(db, current.id, status),
        insertAudit(
          db,
          operatorAudit(c, `merchant.${action === "suspend" ? "suspended" : "reactivated"}`, current.id, {
            from: current.status,
            to: status,
          }),
        ),
      ]);
      forgetMerchant(current.id);
      return c.json(merchantObject(rows[0] ?? { ...current, status }), 200);
    });
  }
}

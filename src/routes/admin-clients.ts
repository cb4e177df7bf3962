/**
 * Operator API for a merchant's OAuth2 clients (`/admin/v1/merchants/{id}/clients`): create (the
 * secret is in that one response and never again), list and revoke. Revocation clears the
 * isolate's status cache, so the client's unexpired tokens stop working (src/db/access-status.ts).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { CLIENT_SECRET_PREFIX, generateSecret, hashClientSecret } from "../crypto/secrets";
import { forgetClient } from "../db/access-status";
import { controlDb } from "../db/client";
import {
  type ApiClientRow,
  getClient,
  insertAudit,
  insertClient,
  listClients,
  nowSeconds,
  revokeClient,
} from "../db/merchants";
import { parseScopes, SCOPES } from "../domain/scopes";
import { ApiError } from "../errors";
import { hasPrefix, newId } from "../lib/ids";
import { errorResponses, formOrJsonBody, MerchantPathId, NoBody, OPERATOR_ROUTE } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { operatorAudit } from "../middleware/operator-auth";
import type { App } from "../types";
import { merchantOr404 } from "./operator-shard";

const ClientSchema = z
  .object({
    id: z.string().openapi({ description: "The OAuth2 client_id (`cli_…`)." }),
    object: z.literal("api_client").openapi({ description: "Always `api_client`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) the client acts for." }),
    scopes: z
      .array(z.string())
      .openapi({ description: "The scopes its tokens may carry.", example: ["payments:read", "payments:write"] }),
    status: z
      .enum(["active", "revoked"])
      .openapi({ description: "`revoked` clients get no tokens, and their tokens stop working.", example: "active" }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    last_used: z.int().nullable().openapi({ description: "Last token issued, to the minute; null if never." }),
  })
  .openapi("ApiClient");
const NewClientSchema = ClientSchema.extend({
  client_secret: z.string().openapi({ description: "Shown once; only a keyed hash is stored." }),
}).openapi("NewApiClient");

/** The API representation of a client (never its secret or hash). */
function clientObject(row: ApiClientRow): z.infer<typeof ClientSchema> {
  return {
    id: row.clientId,
    object: "api_client",
    merchant: row.merchantId,
    scopes: row.scopes.split(" ").filter((s) => s !== ""),
    status: row.status,
    created: row.created,
    last_used: row.lastUsed,
  };
}

const CreateClient = z
  .strictObject({
    scopes: z
      .union([z.string(), z.array(z.string())])
      .optional()
      .openapi({ description: `Space-separated string or array; defaults to every scope (${SCOPES.join(", ")}).` }),
  })
  .openapi("CreateApiClientParams");
const ClientParams = MerchantPathId.extend({
  client: z.string().openapi({ param: { name: "client", in: "path" }, description: "The client's id (`cli_…`)." }),
});

const createClientRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}/clients",
  summary: "Create an API client; the response carries its secret, once",
  request: { params: MerchantPathId, body: formOrJsonBody(CreateClient) },
  responses: {
    200: { description: "The client and its secret", content: { "application/json": { schema: NewClientSchema } } },
    ...errorResponses(400, 401, 404),
  },
});
const listClientsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/merchants/{id}/clients",
  summary: "List a merchant's API clients, newest first",
  request: { params: MerchantPathId, query: ListQuery },
  responses: {
    200: {
      description: "A page of clients",
      content: { "application/json": { schema: listSchema(ClientSchema, "ApiClientList") } },
    },
    ...errorResponses(400, 401, 404),
  },
});
const revokeClientRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}/clients/{client}/revoke",
  summary: "Revoke an API client: it can get no new token and its tokens stop working",
  request: { params: ClientParams, body: NoBody },
  responses: {
    200: { description: "The revoked client", content: { "application/json": { schema: ClientSchema } } },
    ...errorResponses(401, 404),
  },
});

/** Registers the operator's API-client routes. */
export function registerAdminClients(app: App): void {
  app.openapi(createClientRoute, async (c) => {
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, c.req.valid("param").id);
    const { scopes: requested } = c.req.valid("json");
    const parsed = parseScopes(requested ?? [...SCOPES]);
    if (!parsed.ok)
      throw new ApiError("parameter_invalid", `Unknown scope: ${parsed.unknown.slice(0, 64)}`, { param: "scopes" });
    if (parsed.scopes.length === 0)
      throw new ApiError("parameter_invalid", "Give the client at least one scope.", { param: "scopes" });
    const secret = generateSecret(CLIENT_SECRET_PREFIX);
    const row: ApiClientRow = {
      clientId: newId("cli"),
      merchantId: merchant.id,
      secretHash: await hashClientSecret(c.env.CLIENT_SECRET_PEPPER, secret),
      scopes: parsed.scopes.join(" "),
      status: "active",
      created: nowSeconds(),
      lastUsed: null,
    };
    await db.batch([
      insertClient(db, row),
      insertAudit(
        db,
        operatorAudit(c, "client.created", merchant.id, { client_id: row.clientId, scopes: parsed.scopes }),
      ),
    ]);
    c.header("Cache-Control", "no-store");
    return c.json({ ...clientObject(row), client_secret: secret }, 200);
  });

  app.openapi(listClientsRoute, async (c) => {
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, c.req.valid("param").id);
    const page = pageOr404(await listClients(db, merchant.id, pageRequest(c.req.valid("query"))));
    const url = `/admin/v1/merchants/${merchant.id}/clients`;
    return c.json(listEnvelope(url, { ...page, data: page.data.map(clientObject) }), 200);
  });

  app.openapi(revokeClientRoute, async (c) => {
    const db = controlDb(c.env);
    const { id, client: clientId } = c.req.valid("param");
    const merchant = await merchantOr404(db, id);
    const current = hasPrefix(clientId, "cli") ? await getClient(db, merchant.id, clientId) : undefined;
    if (!current) throw new ApiError("resource_missing", "No such client for this merchant.", { param: "client" });
    const [rows] = await db.batch([
      revokeClient(db, merchant.id, current.clientId),
      insertAudit(
        db,
        operatorAudit(c, "client.revoked", merchant.id, { client_id: current.clientId, from: current.status }),
      ),
    ]);
    forgetClient(current.clientId);
    return c.json(clientObject(rows[0] ?? { ...current, status: "revoked" }), 200);
  });
}

/**
 * Operator API for a merchant's API keys (`/admin/v1/merchants/{id}/api_keys`): create any kind
 * (the key is in that one response and never again), list, revoke and roll. Every change is
 * audited with the acting operator; revoke and roll clear this isolate's status cache at once.
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type AuditFor, createKey, keyObject, revokeKey, rollKey } from "../api-keys/manage";
import { listApiKeys } from "../db/api-keys";
import { controlDb } from "../db/client";
import { ROLL_DEFAULT_EXPIRES_IN } from "../domain/api-keys";
import { errorResponses, formOrJsonBody, MerchantPathId, NoBody, OPERATOR_ROUTE } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { operatorAudit } from "../middleware/operator-auth";
import type { App, AppEnv } from "../types";
import {
  ApiKeySchema,
  CreateApiKey,
  KeyParam,
  keyOr404,
  NewApiKeySchema,
  notRollable,
  RollApiKey,
  requestedKey,
} from "./api-key-schemas";
import { merchantOr404 } from "./operator-shard";

const KeyParams = MerchantPathId.extend(KeyParam.shape);
const PATH = "/admin/v1/merchants/{id}/api_keys";

const createKeyRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: PATH,
  summary: "Create an API key for a merchant; the response carries the key, once",
  request: { params: MerchantPathId, body: formOrJsonBody(CreateApiKey) },
  responses: {
    200: { description: "The key, with its secret", content: { "application/json": { schema: NewApiKeySchema } } },
    ...errorResponses(400, 401, 404),
  },
});
const listKeysRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: PATH,
  summary: "List a merchant's API keys, newest first (never the keys)",
  request: { params: MerchantPathId, query: ListQuery },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: listSchema(ApiKeySchema, "AdminApiKeyList") } },
    },
    ...errorResponses(400, 401, 404),
  },
});
const revokeKeyRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: `${PATH}/{key}/revoke`,
  summary: "Revoke a merchant's API key",
  request: { params: KeyParams, body: NoBody },
  responses: {
    200: { description: "The revoked key", content: { "application/json": { schema: ApiKeySchema } } },
    ...errorResponses(401, 404),
  },
});
const rollKeyRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: `${PATH}/{key}/roll`,
  summary: "Roll a merchant's API key: a new key now, and the old one expires after expires_in seconds",
  request: { params: KeyParams, body: formOrJsonBody(RollApiKey) },
  responses: {
    200: { description: "The new key, with its secret", content: { "application/json": { schema: NewApiKeySchema } } },
    ...errorResponses(400, 401, 404),
  },
});

/** The audit entry of an operator's key change on `merchantId`. */
function auditFor(c: Context<AppEnv>, merchantId: string): AuditFor {
  return (action, details) => operatorAudit(c, action, merchantId, details);
}

/** Registers the operator's API-key routes. */
export function registerAdminApiKeys(app: App): void {
  app.openapi(createKeyRoute, async (c) => {
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, c.req.valid("param").id);
    const { kind, scopes } = requestedKey(c.req.valid("json"));
    const { row, secret } = await createKey(c.env, db, merchant.id, kind, scopes, auditFor(c, merchant.id));
    c.header("Cache-Control", "no-store");
    return c.json({ ...keyObject(row), secret }, 200);
  });

  app.openapi(listKeysRoute, async (c) => {
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, c.req.valid("param").id);
    const page = pageOr404(await listApiKeys(db, merchant.id, pageRequest(c.req.valid("query"))));
    const url = `/admin/v1/merchants/${merchant.id}/api_keys`;
    return c.json(listEnvelope(url, { ...page, data: page.data.map((row) => keyObject(row)) }), 200);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const { id, key } = c.req.valid("param");
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, id);
    const current = await keyOr404(db, merchant.id, key);
    return c.json(keyObject(await revokeKey(db, current, auditFor(c, merchant.id))), 200);
  });

  app.openapi(rollKeyRoute, async (c) => {
    const { id, key } = c.req.valid("param");
    const db = controlDb(c.env);
    const merchant = await merchantOr404(db, id);
    const current = await keyOr404(db, merchant.id, key);
    const expiresIn = c.req.valid("json").expires_in ?? ROLL_DEFAULT_EXPIRES_IN;
    const rolled = await rollKey(c.env, db, current, expiresIn, auditFor(c, merchant.id));
    if (!rolled) throw notRollable();
    c.header("Cache-Control", "no-store");
    return c.json({ ...keyObject(rolled.issued.row), secret: rolled.issued.secret }, 200);
  });
}

/**
 * `/v1/api_keys`: a merchant manages its own API keys with an access token or a key carrying
 * `api_keys:write` (create, roll, revoke) or `api_keys:read` (list, retrieve). A caller manages only
 * keys whose scopes it holds itself, so a restricted key can never mint, roll or revoke a broader
 * key; a publishable key can do nothing here (no route is marked `allowPublishable`). Answers that
 * carry a key have `Cache-Control: no-store` and are marked `answerCarriesSecret(c, "never")`: the
 * gate never saves them under an Idempotency-Key and releases the key (a key is stored only as a
 * hash and cannot be shown again, so a retried create makes another key).
 */
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type AuditFor, createKey, keyObject, revokeKey, rollKey, scopesOf } from "../api-keys/manage";
import { listApiKeys } from "../db/api-keys";
import { controlDb } from "../db/client";
import { nowSeconds } from "../db/merchants";
import { missingScope, ROLL_DEFAULT_EXPIRES_IN } from "../domain/api-keys";
import type { Scope } from "../domain/scopes";
import { ApiError } from "../errors";
import { newId } from "../lib/ids";
import { errorResponses, formOrJsonBody, NoBody, NoQuery } from "../lib/openapi";
import { ListQuery, listEnvelope, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { answerCarriesSecret } from "../middleware/gate";
import { requireScope } from "../middleware/merchant-auth";
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

const MERCHANT_ROUTE = { tags: ["API keys"], security: [{ merchantToken: [] }] };
const one = (description: string, schema: typeof ApiKeySchema | typeof NewApiKeySchema) => ({
  200: { description, content: { "application/json": { schema } } },
});

const createKeyRoute = createRoute({
  ...MERCHANT_ROUTE,
  method: "post",
  path: "/v1/api_keys",
  summary: "Create an API key; the response carries the key, once",
  middleware: [requireScope("api_keys:write")] as const,
  request: { body: formOrJsonBody(CreateApiKey) },
  responses: { ...one("The key, with its secret", NewApiKeySchema), ...errorResponses(400, 401, 403) },
});
const listKeysRoute = createRoute({
  ...MERCHANT_ROUTE,
  method: "get",
  path: "/v1/api_keys",
  summary: "List the merchant's API keys, newest first (never the keys)",
  middleware: [requireScope("api_keys:read")] as const,
  request: { query: ListQuery },
  responses: {
    200: {
      description: "A page of keys",
      content: { "application/json": { schema: listSchema(ApiKeySchema, "ApiKeyList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});
const retrieveKeyRoute = createRoute({
  ...MERCHANT_ROUTE,
  method: "get",
  path: "/v1/api_keys/{key}",
  summary: "Retrieve an API key (never the key itself)",
  middleware: [requireScope("api_keys:read")] as const,
  request: { params: KeyParam, query: NoQuery },
  responses: { ...one("The key", ApiKeySchema), ...errorResponses(400, 401, 403, 404) },
});
const rollKeyRoute = createRoute({
  ...MERCHANT_ROUTE,
  method: "post",
  path: "/v1/api_keys/{key}/roll",
  summary: "Roll an API key: a new key now, and the old one expires after expires_in seconds",
  middleware: [requireScope("api_keys:write")] as const,
  request: { params: KeyParam, body: formOrJsonBody(RollApiKey) },
  responses: { ...one("The new key, with its secret", NewApiKeySchema), ...errorResponses(400, 401, 403, 404) },
});
const revokeKeyRoute = createRoute({
  ...MERCHANT_ROUTE,
  method: "post",
  path: "/v1/api_keys/{key}/revoke",
  summary: "Revoke an API key: it stops working",
  middleware: [requireScope("api_keys:write")] as const,
  request: { params: KeyParam, body: NoBody },
  responses: { ...one("The revoked key", ApiKeySchema), ...errorResponses(401, 403, 404) },
});

/** The audit entry of a merchant's own key change: the actor is its client or key id. */
function merchantAudit(c: Context<AppEnv>): AuditFor {
  return (action, details) => ({
    id: newId("aud"),
    actor: c.var.auth.clientId,
    action,
    targetId: c.var.auth.merchantId,
    requestId: c.var.requestId,
    details,
    created: nowSeconds(),
  });
}

/** 403 unless the caller holds every scope of the key it would create or change. */
function mayManage(c: Context<AppEnv>, scopes: readonly Scope[]): void {
  const missing = missingScope(c.var.auth.scopes, scopes);
  if (missing) {
    const message = `A credential can only manage keys within its own scopes; it lacks ${missing}.`;
    throw new ApiError("insufficient_scope", message, { extra: { required_scope: missing } });
  }
}

/** Registers the merchant's API-key routes. */
export function registerApiKeys(app: App): void {
  app.openapi(createKeyRoute, async (c) => {
    const { kind, scopes } = requestedKey(c.req.valid("json"));
    mayManage(c, scopesOf({ kind, scopes: scopes.join(" ") }));
    const db = controlDb(c.env);
    const { row, secret } = await createKey(c.env, db, c.var.auth.merchantId, kind, scopes, merchantAudit(c));
    c.header("Cache-Control", "no-store");
    answerCarriesSecret(c, "never");
    return c.json({ ...keyObject(row), secret }, 200);
  });

  app.openapi(listKeysRoute, async (c) => {
    const db = controlDb(c.env);
    const page = pageOr404(await listApiKeys(db, c.var.auth.merchantId, pageRequest(c.req.valid("query"))));
    return c.json(listEnvelope("/v1/api_keys", { ...page, data: page.data.map((row) => keyObject(row)) }), 200);
  });

  app.openapi(retrieveKeyRoute, async (c) => {
    const row = await keyOr404(controlDb(c.env), c.var.auth.merchantId, c.req.valid("param").key);
    return c.json(keyObject(row), 200);
  });

  app.openapi(rollKeyRoute, async (c) => {
    const db = controlDb(c.env);
    const current = await keyOr404(db, c.var.auth.merchantId, c.req.valid("param").key);
    mayManage(c, scopesOf(current));
    const expiresIn = c.req.valid("json").expires_in ?? ROLL_DEFAULT_EXPIRES_IN;
    const rolled = await rollKey(c.env, db, current, expiresIn, merchantAudit(c));
    if (!rolled) throw notRollable();
    c.header("Cache-Control", "no-store");
    answerCarriesSecret(c, "never");
    return c.json({ ...keyObject(rolled.issued.row), secret: rolled.issued.secret }, 200);
  });

  app.openapi(revokeKeyRoute, async (c) => {
    const db = controlDb(c.env);
    const current = await keyOr404(db, c.var.auth.merchantId, c.req.valid("param").key);
    mayManage(c, scopesOf(current));
    return c.json(keyObject(await revokeKey(db, current, merchantAudit(c))), 200);
  });
}

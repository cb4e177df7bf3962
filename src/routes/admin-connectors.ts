/**
 * Operator API for a merchant's connector accounts (`mca_…`, `/admin/v1/merchants/:id/connector_accounts`):
 * create, list, retrieve and update (status, currencies, brands, credentials). Credentials are sealed
 * on the merchant's shard and never answered, logged or audited: answers show the secret key's last 4
 * characters only. Every write is audited. See docs/connectors.md.
 */

import { createRoute, z } from "@hono/zod-openapi";
import { sealCredentials, stripeKeyMode } from "../connectors/credentials";
import { forgetRouting } from "../connectors/route";
import { controlDb, type Db } from "../db/client";
import {
  type ConnectorAccountRow,
  getConnectorAccount,
  insertConnectorAccount,
  listConnectorAccounts,
  updateConnectorAccount,
} from "../db/connector-accounts";
import { insertAudit } from "../db/merchants";
import { CARD_BRANDS as BRANDS } from "../domain/cards";
import { isCurrency } from "../domain/currencies";
import { ApiError, invalidParam } from "../errors";
import { newId, noSuchMessage } from "../lib/ids";
import { errorResponses, formOrJsonBody, MerchantPathId, NoQuery, OPERATOR_ROUTE } from "../lib/openapi";
import { operatorAudit } from "../middleware/operator-auth";
import type { App } from "../types";
import { shardOr404, writableShard } from "./operator-shard";

const AccountSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `mca_`.", example: "mca_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z.literal("connector_account").openapi({ description: "Always `connector_account`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) it belongs to." }),
    kind: z
      .enum(["simulator", "stripe"])
      .openapi({ description: "`simulator` (the built-in test processor) or `stripe` (Stripe over HTTPS)." }),
    mode: z.enum(["test", "live"]).openapi({ description: "Whether it moves test or live money.", example: "test" }),
    status: z
      .enum(["active", "disabled"])
      .openapi({ description: "`disabled` accounts are never routed to.", example: "active" }),
    currencies: z.array(z.string()).openapi({ description: "Currencies accepted; empty: all." }),
    brands: z.array(z.string()).openapi({ description: "Card brands accepted; empty: all." }),
    credentials: z
      .object({ secret_key_last4: z.string().openapi({ description: "The secret key's last 4 characters." }) })
      .nullable()
      .openapi({ description: "Never the credentials themselves: the secret key's last 4 characters." }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    updated: z.int().openapi({ description: "Time of the last change, in unix seconds.", example: 1733097600 }),
  })
  .openapi("ConnectorAccount");

const currenciesParam = z
  .array(z.string().refine(isCurrency, { message: "is not a lowercase ISO 4217 currency edgepay accepts" }))
  .max(64)
  .openapi({ description: "Lowercase currencies to accept (at most 64); empty or omitted: all.", example: ["usd"] });
const brandsParam = z
  .array(z.enum(BRANDS))
  .max(BRANDS.length)
  .openapi({ description: "Card brands to accept; empty or omitted: all.", example: ["visa", "mastercard"] });
const credentialsParam = z
  .strictObject({
    secret_key: z
      .string()
      .max(256)
      .openapi({ description: "The Stripe secret key; sealed on the merchant's shard, never answered." }),
  })
  .openapi({ description: "For `stripe`: `secret_key` (`sk_test_…` or `sk_live_…`, agreeing with `mode`)." });

const CreateBody = z
  .strictObject({
    kind: z
      .enum(["simulator", "stripe"])
      .openapi({ description: "`simulator` (the built-in test processor) or `stripe` (needs `credentials`)." }),
    mode: z.enum(["test", "live"]).openapi({ description: "Whether it moves test or live money." }),
    status: z
      .enum(["active", "disabled"])
      .optional()
      .openapi({ description: "Default `active`; `disabled` accounts are never routed to." }),
    currencies: currenciesParam.optional(),
    brands: brandsParam.optional(),
    credentials: credentialsParam.optional(),
  })
  .openapi("ConnectorAccountCreate");

const UpdateBody = z
  .strictObject({
    status: z
      .enum(["active", "disabled"])
      .optional()
      .openapi({ description: "`disabled` accounts are never routed to." }),
    currencies: currenciesParam.optional(),
    brands: brandsParam.optional(),
    credentials: credentialsParam.optional(),
  })
  .openapi("ConnectorAccountUpdate");

const AccountPath = MerchantPathId.extend({
  mca: z.string().openapi({ param: { name: "mca", in: "path" }, description: "The connector account's id (`mca_…`)." }),
});
const BASE_PATH = "/admin/v1/merchants/{id}/connector_accounts";
const one = { description: "The connector account", content: { "application/json": { schema: AccountSchema } } };
const ListSchema = z
  .object({
    object: z.literal("list").openapi({ description: "Always `list`." }),
    data: z.array(AccountSchema).openapi({ description: "Every connector account of the merchant." }),
  })
  .openapi("ConnectorAccountList");

const createAccountRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: BASE_PATH,
  summary: "Create a connector account for a merchant",
  request: { params: MerchantPathId, body: formOrJsonBody(CreateBody) },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});
const listAccountsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: BASE_PATH,
  summary: "List a merchant's connector accounts",
  request: { params: MerchantPathId, query: NoQuery },
  responses: {
    200: { description: "The accounts", content: { "application/json": { schema: ListSchema } } },
    ...errorResponses(400, 401, 404),
  },
});
const getAccountRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: `${BASE_PATH}/{mca}`,
  summary: "Retrieve a connector account",
  request: { params: AccountPath, query: NoQuery },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});
const updateAccountRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: `${BASE_PATH}/{mca}`,
  summary: "Update a connector account (status, currencies, brands, credentials)",
  request: { params: AccountPath, body: formOrJsonBody(UpdateBody) },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});

/** The API representation of an account: never its credentials. */
function accountObject(row: ConnectorAccountRow): z.infer<typeof AccountSchema> {
  return {
    id: row.id,
    object: "connector_account",
    merchant: row.merchantId,
    kind: row.kind,
    mode: row.mode,
    status: row.status,
    currencies: JSON.parse(row.currencies) as string[],
    brands: JSON.parse(row.brands) as string[],
    credentials: row.secretKeyLast4 === null ? null : { secret_key_last4: row.secretKeyLast4 },
    created: row.created,
    updated: row.updated,
  };
}

/** The merchant's account, or a 404 that echoes only a well-formed id. */
async function accountOr404(db: Db, merchantId: string, id: string): Promise<ConnectorAccountRow> {
  const row = await getConnectorAccount(db, merchantId, id);
  if (!row) throw new ApiError("resource_missing", noSuchMessage("connector account", id, "mca"), { param: "mca" });
  return row;
}

/** Checks a Stripe key's shape and that its prefix agrees with `mode`; the key is never echoed. */
function checkStripeKey(key: string | undefined, mode: "test" | "live"): string {
  if (key === undefined) {
    throw invalidParam(
      "parameter_missing",
      "A stripe account requires credentials[secret_key].",
      "credentials[secret_key]",
    );
  }
  const keyMode = stripeKeyMode(key);
  if (keyMode === null) {
    throw invalidParam(
      "parameter_invalid",
      "credentials[secret_key] must be a Stripe secret key (sk_test_… or sk_live_…).",
      "credentials[secret_key]",
    );
  }
  if (keyMode !== mode) {
    throw invalidParam("parameter_invalid", `A ${mode} account takes an sk_${mode}_ secret key.`, "mode");
  }
  return key;
}

/** Registers the operator's connector-account routes. */
export function registerAdminConnectors(app: App): void {
  app.openapi(createAccountRoute, async (c) => {
    const merchantId = c.req.valid("param").id;
    const body = c.req.valid("json");
    if (body.kind === "simulator") {
      if (body.mode === "live") {
        throw invalidParam("parameter_invalid", "The simulator cannot be a live account.", "mode");
      }
      if (body.credentials !== undefined) {
        throw invalidParam("parameter_unknown", "A simulator account takes no credentials.", "credentials");
      }
    }
    const key = body.kind === "stripe" ? checkStripeKey(body.credentials?.secret_key, body.mode) : null;
    const db = await writableShard(c.env, merchantId);
    const id = newId("mca");
    const now = Math.floor(Date.now() / 1000);
    const row: ConnectorAccountRow = {
      id,
      merchantId,
      kind: body.kind,
      mode: body.mode,
      status: body.status ?? "active",
      currencies: JSON.stringify(body.currencies ?? []),
      brands: JSON.stringify(body.brands ?? []),
      credentialsSealed: key === null ? null : await sealCredentials(c.env, merchantId, id, key),
      secretKeyLast4: key === null ? null : key.slice(-4),
      created: now,
      updated: now,
    };
    await insertConnectorAccount(db, row);
    forgetRouting(row.merchantId);
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.connector_account.created", merchantId, {
        connector_account: id,
        kind: row.kind,
        mode: row.mode,
        status: row.status,
        credentials: key !== null,
      }),
    );
    return c.json(accountObject(row), 200);
  });

  app.openapi(listAccountsRoute, async (c) => {
    const merchantId = c.req.valid("param").id;
    const db = await shardOr404(c.env, merchantId);
    const rows = await listConnectorAccounts(db, merchantId);
    return c.json({ object: "list" as const, data: rows.map(accountObject) }, 200);
  });

  app.openapi(getAccountRoute, async (c) => {
    const { id: merchantId, mca } = c.req.valid("param");
    const db = await shardOr404(c.env, merchantId);
    return c.json(accountObject(await accountOr404(db, merchantId, mca)), 200);
  });

  app.openapi(updateAccountRoute, async (c) => {
    const { id: merchantId, mca } = c.req.valid("param");
    const body = c.req.valid("json");
    const db = await writableShard(c.env, merchantId);
    const current = await accountOr404(db, merchantId, mca);
    if (body.credentials !== undefined && current.kind !== "stripe") {
      throw invalidParam("parameter_unknown", "A simulator account takes no credentials.", "credentials");
    }
    const key = body.credentials === undefined ? null : checkStripeKey(body.credentials.secret_key, current.mode);
    const row: ConnectorAccountRow = {
      ...current,
      status: body.status ?? current.status,
      currencies: body.currencies === undefined ? current.currencies : JSON.stringify(body.currencies),
      brands: body.brands === undefined ? current.brands : JSON.stringify(body.brands),
      credentialsSealed: key === null ? current.credentialsSealed : await sealCredentials(c.env, merchantId, mca, key),
      secretKeyLast4: key === null ? current.secretKeyLast4 : key.slice(-4),
      updated: Math.floor(Date.now() / 1000),
    };
    await updateConnectorAccount(db, row);
    forgetRouting(row.merchantId);
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.connector_account.updated", merchantId, {
        connector_account: mca,
        fields: Object.keys(body),
      }),
    );
    return c.json(accountObject(row), 200);
  });
}

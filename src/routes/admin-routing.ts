/**
 * Operator API for a merchant's payment routing (`/admin/v1/merchants/:id/routing`): read the
 * configuration in force, replace it (stored as the next version; every connector it names must be
 * one of the merchant's connector accounts), and list its versions. Every write is audited. The rules
 * themselves are src/domain/routing.ts; their wire schema src/lib/routing-params.ts. See
 * docs/connectors.md.
 */

import { createRoute, z } from "@hono/zod-openapi";
import { forgetRouting } from "../connectors/route";
import { controlDb } from "../db/client";
import { listConnectorAccounts } from "../db/connector-accounts";
import { insertAudit } from "../db/merchants";
import { insertRouting, latestRouting, routingVersions, type StoredRouting } from "../db/routing";
import { EMPTY_ROUTING, type RoutingRule } from "../domain/routing";
import { ApiError, invalidParam } from "../errors";
import { noSuchMessage } from "../lib/ids";
import {
  errorResponses,
  formOrJsonBody,
  MerchantPathId,
  NoQuery,
  OPERATOR_ROUTE,
  registerComponents,
} from "../lib/openapi";
import { intParam } from "../lib/params";
import { ROUTING_COMPONENTS, RoutingBody, type RoutingBodyValue, RoutingRuleJson } from "../lib/routing-params";
import { operatorAudit } from "../middleware/operator-auth";
import type { App } from "../types";
import { shardOr404, writableShard } from "./operator-shard";

/** Most versions the versions route answers. */
export const MAX_VERSIONS = 100;

/** A routing configuration as the operator API answers it. */
export const RoutingConfigSchema = z
  .object({
    object: z.literal("routing_config").openapi({ description: "Always `routing_config`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) it routes." }),
    version: z.int().openapi({ description: "0: never set (no rules, no default)." }),
    rules: z.array(RoutingRuleJson).openapi({ description: "The rules, in order: the first that matches decides." }),
    default_connector: z
      .string()
      .nullable()
      .openapi({ description: "The connector account (`mca_…`) tried after the matching rule's; null: none." }),
    created: z.int().nullable().openapi({ description: "null for version 0." }),
  })
  .openapi("RoutingConfig");

/** The routing configuration answer. */
export type RoutingConfigJson = z.infer<typeof RoutingConfigSchema>;

const VersionsQuery = z.strictObject({
  limit: intParam()
    .pipe(z.int().min(1).max(MAX_VERSIONS))
    .optional()
    .openapi({ param: { name: "limit", in: "query" }, description: "How many versions, 1 to 100 (default 100)." }),
});

const PATH = "/admin/v1/merchants/{id}/routing";
const one = {
  description: "The routing configuration",
  content: { "application/json": { schema: RoutingConfigSchema } },
};

const getRoutingRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: PATH,
  summary: "Retrieve a merchant's routing configuration in force (version 0 when never set)",
  request: { params: MerchantPathId, query: NoQuery },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});
const setRoutingRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: PATH,
  summary: "Replace a merchant's routing configuration (stored as its next version)",
  request: { params: MerchantPathId, body: formOrJsonBody(RoutingBody) },
  responses: { 200: one, ...errorResponses(400, 401, 404, 429) },
});
const versionsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: `${PATH}/versions`,
  summary: "List a merchant's routing configurations, newest first",
  request: { params: MerchantPathId, query: VersionsQuery },
  responses: {
    200: {
      description: "The versions",
      content: {
        "application/json": {
          schema: z
            .object({
              object: z.literal("list").openapi({ description: "Always `list`." }),
              data: z.array(RoutingConfigSchema).openapi({ description: "The versions, newest first." }),
            })
            .openapi("RoutingConfigList"),
        },
      },
    },
    ...errorResponses(400, 401, 404),
  },
});

/** The API representation of a stored version, or of version 0 for a merchant that never set one. */
function routingObject(merchantId: string, routing: StoredRouting | null): RoutingConfigJson {
  const config = routing ?? EMPTY_ROUTING;
  return {
    object: "routing_config",
    merchant: merchantId,
    version: config.version,
    rules: config.rules,
    default_connector: config.default_connector,
    created: routing?.created ?? null,
  };
}

/** Every connector the body names, with its parameter: each rule's action, then the default. */
function namedConnectors(rules: readonly RoutingRule[], fallback: string | null): [string, string][] {
  const named: [string, string][] = [];
  rules.forEach((rule, i) => {
    const action = rule.action;
    switch (action.type) {
      case "connector":
        named.push([action.connector, `rules[${i}][action][connector]`]);
        break;
      case "split":
        action.split.forEach((m, j) => {
          named.push([m.connector, `rules[${i}][action][split][${j}][connector]`]);
        });
        break;
    }
  });
  if (fallback !== null) named.push([fallback, "default_connector"]);
  return named;
}

/** Registers the operator's routing routes. */
export function registerAdminRouting(app: App): void {
  registerComponents(app, ROUTING_COMPONENTS);
  app.openapi(getRoutingRoute, async (c) => {
    const merchantId = c.req.valid("param").id;
    const db = await shardOr404(c.env, merchantId);
    return c.json(routingObject(merchantId, await latestRouting(db, merchantId)), 200);
  });

  app.openapi(setRoutingRoute, async (c) => {
    const merchantId = c.req.valid("param").id;
    const body: RoutingBodyValue = c.req.valid("json");
    const config = { rules: body.rules, default_connector: body.default_connector ?? null };
    const db = await writableShard(c.env, merchantId);
    const accounts = new Set((await listConnectorAccounts(db, merchantId)).map((a) => a.id));
    for (const [connector, param] of namedConnectors(config.rules, config.default_connector)) {
      if (!accounts.has(connector)) {
        throw invalidParam("parameter_invalid", noSuchMessage("connector account", connector, "mca"), param);
      }
    }
    const result = await insertRouting(db, merchantId, config, c.var.operator.id, Math.floor(Date.now() / 1000));
    if (!result.ok) {
      throw new ApiError("lock_timeout", "Another change to this merchant's routing is being saved. Retry.", {
        headers: { "Retry-After": "1" },
        noEffect: true,
      });
    }
    const stored = result.routing;
    // Payments in this isolate route by the new version at once; other isolates within ROUTING_CACHE_TTL_MS.
    forgetRouting(merchantId);
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.routing.updated", merchantId, {
        version: stored.version,
        rules: stored.rules.map((r) => r.id),
        default_connector: stored.default_connector,
      }),
    );
    return c.json(routingObject(merchantId, stored), 200);
  });

  app.openapi(versionsRoute, async (c) => {
    const merchantId = c.req.valid("param").id;
    const limit = c.req.valid("query").limit ?? MAX_VERSIONS;
    const db = await shardOr404(c.env, merchantId);
    const versions = await routingVersions(db, merchantId, limit);
    return c.json({ object: "list" as const, data: versions.map((v) => routingObject(merchantId, v)) }, 200);
  });
}

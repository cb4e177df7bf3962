/**
 * Operator API for alerting (`/admin/v1/alerting`): read the alert hook and the state of every
 * alert rule, and create or change the hook (`url`, `enabled`). The hook's signing secret is in the
 * answer of the request that created it, and never again. Every write is audited. The rules are
 * src/domain/alerts.ts, their evaluation src/monitoring/alerts.ts; see docs/monitoring.md.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { alertStateRows, getAlertHook } from "../db/alerts";
import { controlDb, type Db } from "../db/client";
import { ALERT_RULES, ruleSpec } from "../domain/alerts";
import { errorResponses, formOrJsonBody, NoQuery, OPERATOR_ROUTE } from "../lib/openapi";
import { boolParam } from "../lib/params";
import { operatorAudit } from "../middleware/operator-auth";
import { isLive } from "../payments/serialize";
import type { App } from "../types";
import { type AlertHookRow, configureAlertHook } from "../webhooks/alert-hook";
import { MAX_URL_LENGTH, type Resolver } from "../webhooks/url-safety";

const RuleStateSchema = z
  .object({
    rule: z.enum(ALERT_RULES).openapi({ description: "The alert rule.", example: "error_rate_5xx" }),
    state: z
      .enum(["ok", "firing"])
      .openapi({ description: "`firing` while the rule's condition holds, else `ok`.", example: "ok" }),
    since: z.int().nullable().openapi({ description: "When the state began; null: no change of state recorded yet." }),
    last_notified: z
      .int()
      .nullable()
      .openapi({ description: "When the hook last acknowledged an alert of this rule." }),
    threshold: z.number().openapi({ description: "The value past which the rule fires, in `unit`.", example: 5 }),
    unit: z
      .enum(["percentage_points", "percent", "ms"])
      .openapi({ description: "The unit of `threshold`.", example: "percent" }),
    minimum_volume: z.int().openapi({
      description: "Requests (or decided authorizations) a window needs before the rule is evaluated.",
      example: 20,
    }),
  })
  .openapi("AlertRuleState");

/** The alerting configuration as the operator API answers it. */
export const AlertingSchema = z
  .object({
    object: z.literal("alerting").openapi({ description: "Always `alerting`." }),
    url: z.string().nullable().openapi({ description: "Where alerts are posted; null until configured." }),
    enabled: z.boolean().openapi({ description: "Whether alerts are posted; false until configured." }),
    secret: z
      .string()
      .optional()
      .openapi({ description: "The signing secret (`whsec_…`): only in the answer that created the hook." }),
    created: z
      .int()
      .nullable()
      .openapi({ description: "When the hook was created, in unix seconds; null until configured." }),
    updated: z
      .int()
      .nullable()
      .openapi({ description: "When the hook last changed, in unix seconds; null until configured." }),
    rules: z.array(RuleStateSchema).openapi({ description: "Every alert rule and its state." }),
  })
  .openapi("Alerting");

/** The alerting answer. */
export type AlertingJson = z.infer<typeof AlertingSchema>;

const AlertingBody = z
  .strictObject({
    url: z.string().min(1).max(MAX_URL_LENGTH).optional().openapi({
      description: "Where alerts are posted. Live mode: a public https URL; test mode also allows http and localhost.",
    }),
    enabled: boolParam().optional().openapi({ description: "Whether alerts are posted (default true)." }),
  })
  .openapi("AlertingUpdate");

const PATH = "/admin/v1/alerting";
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: AlertingSchema } } },
});

const getRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: PATH,
  summary: "Retrieve the alert hook and the state of every alert rule",
  request: { query: NoQuery },
  responses: { ...one("The alerting configuration and rule states"), ...errorResponses(400, 401, 429) },
});

const setRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: PATH,
  summary: "Create or change the alert hook; the answer that creates it carries its signing secret, shown only there",
  request: { body: formOrJsonBody(AlertingBody) },
  responses: { ...one("The alerting configuration"), ...errorResponses(400, 401, 429) },
});

/** The answer: the hook (or its absence), its secret when just created, and every rule's state. */
async function alertingJson(db: Db, hook: AlertHookRow | undefined, secret: string | null) {
  const stored = new Map((await alertStateRows(db)).map((r) => [r.rule, r]));
  const body: AlertingJson = {
    object: "alerting",
    url: hook?.url ?? null,
    enabled: hook?.enabled ?? false,
    ...(secret === null ? {} : { secret }),
    created: hook?.created ?? null,
    updated: hook?.updated ?? null,
    rules: ALERT_RULES.map((rule) => {
      const row = stored.get(rule);
      return {
        rule,
        state: row?.state ?? "ok",
        since: row?.since ?? null,
        last_notified: row?.lastNotified ?? null,
        ...ruleSpec(rule),
      };
    }),
  };
  return body;
}

/** Registers the operator's alerting routes; `resolve` serves the live-mode URL check. */
export function registerAdminAlerting(app: App, resolve: Resolver): void {
  app.openapi(getRoute, async (c) => {
    const db = controlDb(c.env);
    return c.json(await alertingJson(db, await getAlertHook(db), null), 200);
  });

  app.openapi(setRoute, async (c) => {
    const body = c.req.valid("json");
    const db = controlDb(c.env);
    const deps = {
      env: c.env,
      db,
      now: () => Math.floor(Date.now() / 1000),
      resolve,
      mode: isLive(c.env) ? ("live" as const) : ("test" as const),
    };
    const { row, secret } = await configureAlertHook(deps, { url: body.url, enabled: body.enabled }, (a, id, d) =>
      operatorAudit(c, a, id, d),
    );
    c.header("Cache-Control", "no-store");
    return c.json(await alertingJson(db, row, secret), 200);
  });
}

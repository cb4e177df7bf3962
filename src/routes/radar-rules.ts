/**
 * `/v1/radar/rules`: a merchant's fraud rules, an edgepay equivalent of Radar's Dashboard rule
 * editor (Stripe has no rules API). A rule is an action (`allow`, `block`, `review`) and a
 * predicate in Radar's syntax (domain/radar-rules.ts); a predicate that does not parse is a 400
 * naming the offending token and its position. The two default rules are listed first and cannot
 * be deleted.
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { RULE_ACTION_ORDER } from "../domain/radar-rules";
import { errorResponses, formOrJsonBody, NoQuery } from "../lib/openapi";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import { allRules, createRule, deleteRule, loadRule, type RadarDeps, ruleJson } from "../radar";
import type { App, AppEnv } from "../types";

const RuleSchema = z
  .object({
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `rule_`.", example: "rule_3fX9aQ2kLm8Zr1Vb0cYt7WnE" }),
    object: z
      .literal("radar.rule")
      .openapi({ description: "String representing the object's type: always `radar.rule`." }),
    action: z.enum(RULE_ACTION_ORDER as ["allow", "block", "review"]).openapi({
      description:
        "What a match does: `allow` skips the other rules, `block` refuses the payment, `review` holds it after authorization. Actions are evaluated in that order.",
      example: "review",
    }),
    created: z
      .int()
      .openapi({ description: "Time of creation, in unix seconds (0 for the default rules).", example: 1733097600 }),
    default: z.boolean().openapi({ description: "One of the two rules every merchant has; cannot be deleted." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
    predicate: z.string().openapi({
      description: "The condition, in Radar's predicate syntax.",
      example: ":card_country: != :ip_country: and :amount: > 50000",
    }),
  })
  .openapi("RadarRule");

const CreateBody = z
  .strictObject({
    action: z.enum(["allow", "block", "review"]).openapi({
      description:
        "What a match does: `allow`, `block` (refuse the payment) or `review` (hold it after authorization).",
      example: "review",
    }),
    predicate: z.string().min(1).max(1000).openapi({
      description: "Radar's predicate syntax: `:attribute:`, comparisons, `in @list`, `in ('A','B')`, and/or/not.",
      example: ":card_country: != :ip_country: and :amount: > 50000",
    }),
  })
  .openapi("RadarRuleCreate", {
    example: { action: "review", predicate: ":card_country: != :ip_country: and :amount: > 50000" },
  });

const IdParams = z.object({
  id: z
    .string()
    .max(255)
    .openapi({ param: { name: "id", in: "path" }, description: "The Radar rule's id (`rule_…`)." }),
});

const common = { tags: ["Radar"], security: [{ merchantToken: [] }] };
const read = requireScope("radar:read");
const write = requireScope("radar:write");
const one = (description: string) => ({
  200: { description, content: { "application/json": { schema: RuleSchema } } },
});

const createRuleRoute = createRoute({
  ...common,
  method: "post",
  path: "/v1/radar/rules",
  summary: "Create a rule",
  middleware: [write] as const,
  request: { body: formOrJsonBody(CreateBody) },
  responses: { ...one("The new rule"), ...errorResponses(400, 401, 403) },
});

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/radar/rules/{id}",
  summary: "Retrieve a rule",
  middleware: [read] as const,
  request: { params: IdParams, query: NoQuery },
  responses: { ...one("The rule"), ...errorResponses(400, 401, 403, 404) },
});

const deleteRoute = createRoute({
  ...common,
  method: "delete",
  path: "/v1/radar/rules/{id}",
  summary: "Delete a rule (not a default one)",
  middleware: [write] as const,
  request: { params: IdParams },
  responses: {
    200: {
      description: "The deleted rule",
      content: {
        "application/json": {
          schema: z
            .object({
              id: z.string().openapi({ description: "The deleted rule's id (`rule_…`)." }),
              object: z.literal("radar.rule").openapi({ description: "Always `radar.rule`." }),
              deleted: z.literal(true).openapi({ description: "Always true: the rule was deleted." }),
            })
            .openapi("DeletedRadarRule"),
        },
      },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/radar/rules",
  summary: "Every rule: the defaults, then the merchant's, oldest first (at most 100, so one page)",
  middleware: [read] as const,
  request: { query: NoQuery },
  responses: {
    200: {
      description: "All rules",
      content: {
        "application/json": {
          schema: z
            .object({
              object: z.literal("list").openapi({ description: "Always `list`." }),
              data: z.array(RuleSchema).openapi({
                description: "Every rule: the two default rules first, then the merchant's, oldest first.",
              }),
              has_more: z.literal(false).openapi({ description: "Always false: every rule is in `data`." }),
              url: z.string().openapi({ description: "The URL of this list.", example: "/v1/radar/rules" }),
            })
            .openapi("RadarRuleList"),
        },
      },
    },
    ...errorResponses(400, 401, 403),
  },
});

/** Registers the rule routes. */
export function registerRadarRules(app: App): void {
  const deps = (c: Context<AppEnv>): RadarDeps => ({ db: c.var.merchantDb, now: c.var.payments.now });

  app.openapi(createRuleRoute, async (c) => {
    const row = await createRule(deps(c), c.var.auth.merchantId, c.req.valid("json"));
    return c.json(ruleJson(row, isLive(c.env)), 200);
  });

  app.openapi(retrieveRoute, async (c) => {
    const row = await loadRule(deps(c), c.var.auth.merchantId, c.req.valid("param").id);
    return c.json(ruleJson(row, isLive(c.env)), 200);
  });

  app.openapi(deleteRoute, async (c) => {
    const { id } = c.req.valid("param");
    await deleteRule(deps(c), c.var.auth.merchantId, id);
    return c.json({ id, object: "radar.rule" as const, deleted: true as const }, 200);
  });

  app.openapi(listRoute, async (c) => {
    const live = isLive(c.env);
    const rules = await allRules(deps(c), c.var.auth.merchantId);
    return c.json(
      {
        object: "list" as const,
        data: rules.map((r) => ruleJson(r, live)),
        has_more: false as const,
        url: "/v1/radar/rules",
      },
      200,
    );
  });
}

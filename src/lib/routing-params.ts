/**
 * The wire schema of a routing configuration (the operator's `POST /admin/v1/merchants/:id/routing`
 * body): the shape of src/domain/routing.ts plus every check that needs no stored state. Each
 * failure is a zod issue at the offending value's path, so the 400 names it in bracket notation
 * (`rules[2][action][split][0][weight]`). Whether the connectors exist is checked by the route.
 */
import { z } from "@hono/zod-openapi";
import { CARD_BRANDS } from "../domain/cards";
import { isCurrency } from "../domain/currencies";
import { MAX_RULES, MAX_WEIGHT, SPLIT_MEMBERS } from "../domain/routing";
import { intParam } from "./params";

/** Most key/value pairs a rule's metadata condition may hold. */
export const MAX_METADATA_CONDITIONS = 10;

const connectorId = z
  .string()
  .min(1)
  .max(64)
  .openapi({ description: "A connector account (`mca_…`) of this merchant, of any status." });
const nonEmpty = "must name at least one value; omit the condition to match every payment";
const binDigits = z.string().regex(/^\d{6,8}$/, "must be 6 to 8 digits");
const amountBound = intParam().pipe(z.int().min(0));

const BinRangeSchema = z
  .strictObject({
    from: binDigits.openapi({ description: "Lowest BIN of the range, 6 to 8 digits.", example: "424242" }),
    to: binDigits.openapi({ description: "Highest BIN of the range, as many digits as `from`.", example: "424299" }),
  })
  .superRefine((r, ctx) => {
    if (r.from.length !== r.to.length) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must have as many digits as from" });
    } else if (r.from > r.to) {
      ctx.addIssue({ code: "custom", path: ["to"], message: "must not be below from" });
    }
  })
  .openapi({ description: "Inclusive; compared with the card's BIN cut to the bounds' length." });

const ConditionsSchema = z
  .strictObject({
    currencies: z
      .array(
        z
          .string()
          .refine((c): boolean => isCurrency(c), { message: "is not a lowercase ISO 4217 currency edgepay accepts" }),
      )
      .min(1, nonEmpty)
      .max(64)
      .optional()
      .openapi({
        description: "The payment's currency is one of these (lowercase, 1 to 64).",
        example: ["usd", "eur"],
      }),
    amount_gte: amountBound.optional().openapi({ description: "Inclusive, minor units." }),
    amount_lte: amountBound.optional().openapi({ description: "Inclusive, minor units." }),
    brands: z
      .array(z.enum(CARD_BRANDS))
      .min(1, nonEmpty)
      .max(CARD_BRANDS.length)
      .optional()
      .openapi({ description: "The card's brand is one of these.", example: ["visa"] }),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, "must be an uppercase ISO 3166-1 alpha-2 code"))
      .min(1, nonEmpty)
      .max(250)
      .optional()
      .openapi({
        description: "The card's issuing country is one of these (uppercase ISO 3166-1 alpha-2).",
        example: ["US"],
      }),
    bin_ranges: z
      .array(BinRangeSchema)
      .min(1, nonEmpty)
      .max(50)
      .optional()
      .openapi({ description: "The card's BIN is in one of these ranges (1 to 50)." }),
    metadata: z
      .record(
        z
          .string()
          .min(1)
          .max(40)
          .regex(/^[^[\]]+$/, "must not contain brackets"),
        z.string().min(1).max(500),
      )
      .refine((m) => Object.keys(m).length <= MAX_METADATA_CONDITIONS, `at most ${MAX_METADATA_CONDITIONS} pairs`)
      .optional()
      .openapi({ description: "Every pair must equal the payment's metadata value (at most 10)." }),
  })
  .superRefine((c, ctx) => {
    if (c.amount_gte !== undefined && c.amount_lte !== undefined && c.amount_gte > c.amount_lte) {
      ctx.addIssue({ code: "custom", path: ["amount_lte"], message: "must not be below amount_gte" });
    }
  })
  .openapi("RoutingConditions", { description: "All must hold; an absent condition holds for every payment." });

const SplitSchema = z
  .array(
    z.strictObject({
      connector: connectorId,
      weight: intParam().pipe(z.int().min(1).max(MAX_WEIGHT)).openapi({
        description: "Share of payments, relative to the other members' weights (1 to 10000).",
        example: 50,
      }),
    }),
  )
  .min(SPLIT_MEMBERS.min)
  .max(SPLIT_MEMBERS.max)
  .superRefine((members, ctx) => {
    members.forEach((m, i) => {
      if (members.findIndex((o) => o.connector === m.connector) !== i) {
        ctx.addIssue({ code: "custom", path: [i, "connector"], message: "appears twice in the split" });
      }
    });
  });

const ActionSchema = z
  .discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("connector").openapi({ description: "Send the payment to one connector account." }),
      connector: connectorId,
    }),
    z.strictObject({
      type: z.literal("split").openapi({ description: "Spread payments over several connector accounts by weight." }),
      split: SplitSchema.openapi({
        description:
          "2 to 10 distinct accounts: one is picked by weight, then the others follow in order as fallbacks.",
      }),
    }),
  ])
  .openapi("RoutingAction", {
    description: "`connector`: that account. `split`: 2 to 10 distinct accounts with integer weights 1 to 10000.",
  });

const RuleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9_-]{1,40}$/, "must be 1 to 40 of a-z, 0-9, _ and -")
      .openapi({
        description: "The rule's name, unique in the configuration: 1 to 40 of a-z, 0-9, _ and -.",
        example: "eur-to-stripe",
      }),
    conditions: ConditionsSchema.openapi({ description: "When the rule matches; omitted: every payment.", default: {} })
      .optional()
      .default({}),
    action: ActionSchema.openapi({ description: "Where a matching payment goes." }),
  })
  .openapi("RoutingRule");

/** The named components a routing body refers to, leaves first, for `registerComponents`. */
export const ROUTING_COMPONENTS = {
  RoutingConditions: ConditionsSchema,
  RoutingAction: ActionSchema,
  RoutingRule: RuleSchema,
};

/** The body that replaces a merchant's routing: ordered rules (the first match decides) and the default connector. */
export const RoutingBody = z
  .strictObject({
    rules: z
      .array(RuleSchema)
      .max(MAX_RULES)
      .superRefine((rules, ctx) => {
        rules.forEach((r, i) => {
          if (rules.findIndex((o) => o.id === r.id) !== i) {
            ctx.addIssue({ code: "custom", path: [i, "id"], message: "is the id of an earlier rule" });
          }
        });
      })
      .openapi({ description: "The rules, in order: the first that matches decides (at most 50)." }),
    default_connector: connectorId
      .nullable()
      .optional()
      .openapi({ description: "The connector account (`mca_…`) tried after the matching rule's; null: none." }),
  })
  .openapi("RoutingConfigUpdate");

/** A validated routing body. */
export type RoutingBodyValue = z.infer<typeof RoutingBody>;

/** A stored rule as the API answers it (what RoutingBody accepted, numbers as numbers). */
export const RoutingRuleJson = z
  .object({
    id: z.string().openapi({ description: "The rule's name.", example: "eur-to-stripe" }),
    conditions: z
      .object({
        currencies: z.array(z.string()).optional().openapi({ description: "The payment's currency is one of these." }),
        amount_gte: z.int().optional().openapi({ description: "The amount is at least this, in minor units." }),
        amount_lte: z.int().optional().openapi({ description: "The amount is at most this, in minor units." }),
        brands: z.array(z.string()).optional().openapi({ description: "The card's brand is one of these." }),
        countries: z
          .array(z.string())
          .optional()
          .openapi({ description: "The card's issuing country is one of these." }),
        bin_ranges: z
          .array(
            z.object({
              from: z.string().openapi({ description: "Lowest BIN of the range." }),
              to: z.string().openapi({ description: "Highest BIN of the range." }),
            }),
          )
          .optional()
          .openapi({ description: "The card's BIN is in one of these inclusive ranges." }),
        metadata: z
          .record(z.string(), z.string())
          .optional()
          .openapi({ description: "Every pair equals the payment's metadata value." }),
      })
      .openapi({ description: "All must hold; an absent condition holds for every payment." }),
    action: z
      .discriminatedUnion("type", [
        z.object({
          type: z.literal("connector").openapi({ description: "Send the payment to one connector account." }),
          connector: z.string().openapi({ description: "The connector account (`mca_…`)." }),
        }),
        z.object({
          type: z.literal("split").openapi({ description: "Spread payments over several accounts by weight." }),
          split: z
            .array(
              z.object({
                connector: z.string().openapi({ description: "The connector account (`mca_…`)." }),
                weight: z.int().openapi({ description: "Its relative share of payments.", example: 50 }),
              }),
            )
            .openapi({ description: "The accounts and their weights." }),
        }),
      ])
      .openapi({ description: "Where a matching payment goes." }),
  })
  .openapi("RoutingRuleJson");

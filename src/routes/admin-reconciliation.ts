/**
 * Operator API for processor reconciliation (src/settlement/reconcile.ts):
 * `POST /admin/v1/reconciliation/runs` reconciles one UTC day on every shard and answers with the
 * counts; `GET /admin/v1/reconciliation/items` lists the mismatches recorded for a day (and
 * merchant), in id order across shards. Answers carry keys, references and amounts, never card
 * data. Every run and read is written to the audit log.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import { insertAudit } from "../db/merchants";
import { listItems, type ReconciliationItemRow } from "../db/reconciliation";
import { allShards, shardBindings } from "../db/shards";
import { invalidParam } from "../errors";
import { errorResponses, formOrJsonBody, OPERATOR_ROUTE } from "../lib/openapi";
import { DEFAULT_LIMIT, listParams } from "../lib/pagination";
import { operatorAudit } from "../middleware/operator-auth";
import { type ReportsFactory, simulatorReports } from "../processor/settlement-file";
import { dayStart, RECONCILE_BUDGET_MS, type ReconcileReport, reconcileShard } from "../settlement/reconcile";
import type { App } from "../types";

const DateParam = z.string().max(10).openapi({ description: "The UTC day, `yyyy-mm-dd`.", example: "2026-11-30" });

/** The day as given, or a 400 naming `date`. */
function validDate(date: string | undefined): string {
  if (date === undefined) throw invalidParam("parameter_missing", "Missing required param: date.", "date");
  if (dayStart(date) === null) {
    throw invalidParam("parameter_invalid", "Invalid date: must be a calendar day as yyyy-mm-dd.", "date");
  }
  return date;
}

const Counts = z.object({
  missing: z.int().openapi({ description: "Booked by the gateway, absent from the processor's file.", example: 0 }),
  extra: z.int().openapi({ description: "On the processor's file, with no booking.", example: 0 }),
  amount_differs: z.int().openapi({ description: "On both, with another amount or currency.", example: 0 }),
});

const RunSchema = z
  .object({
    object: z.literal("reconciliation.run").openapi({ description: "Always `reconciliation.run`." }),
    date: z.string().openapi({ description: "The UTC day reconciled, `yyyy-mm-dd`.", example: "2026-11-30" }),
    /** False when a shard's time budget ran out: run again (a rerun records nothing twice). */
    complete: z.boolean().openapi({
      description: "False when a shard's time budget ran out: run again (a rerun records nothing twice).",
    }),
    merchants: z.int().openapi({ description: "Merchants reconciled by this run.", example: 12 }),
    lines: z.int().openapi({ description: "Lines of the processor's settlement files read." }),
    bookings: z.int().openapi({ description: "Captures and refunds the gateway booked that day." }),
    found: Counts.openapi({ description: "Mismatches found by this run." }),
    recorded: Counts.openapi({ description: "Mismatches recorded for the first time by this run." }),
  })
  .openapi("ReconciliationRun");

const ItemSchema = z
  .object({
    id: z.string().openapi({ description: "Unique identifier, prefixed `rci_`." }),
    object: z.literal("reconciliation.item").openapi({ description: "Always `reconciliation.item`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) of the mismatch." }),
    date: z.string().openapi({ description: "The UTC day of the file, `yyyy-mm-dd`.", example: "2026-11-30" }),
    kind: z.enum(["missing", "extra", "amount_differs"]).openapi({
      description:
        "`missing`: booked, absent from the file; `extra`: on the file, not booked; `amount_differs`: on both, with another amount or currency.",
      example: "missing",
    }),
    source: z.string().nullable().openapi({ description: "The gateway's charge or refund; null for `extra`." }),
    match_key: z.string().openapi({
      description: "What the two sides were matched on: a capture's authorization reference, or a refund's id.",
    }),
    processor_key: z
      .string()
      .nullable()
      .openapi({ description: "The processor's key of the file line; null when the line is missing." }),
    expected_amount: z
      .int()
      .nullable()
      .openapi({ description: "The amount booked, in minor units; null for `extra`.", example: 2000 }),
    reported_amount: z
      .int()
      .nullable()
      .openapi({ description: "The amount on the file, in minor units; null for `missing`.", example: null }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    created: z.int().openapi({ description: "When the mismatch was recorded, in unix seconds.", example: 1733097600 }),
  })
  .openapi("ReconciliationItem");

const ItemList = z
  .object({
    object: z.literal("list").openapi({ description: "Always `list`." }),
    url: z.string().openapi({ description: "The URL of this list, without its query." }),
    has_more: z.boolean().openapi({ description: "Whether more items follow this page." }),
    data: z.array(ItemSchema).openapi({ description: "The mismatches of this page." }),
  })
  .openapi("ReconciliationItemList");

const ItemsQuery = z.strictObject({
  date: DateParam.optional().openapi({ param: { name: "date", in: "query" } }),
  merchant: z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name: "merchant", in: "query" }, description: "Only this merchant's (`mer_…`)." }),
  limit: listParams.limit,
  starting_after: listParams.starting_after,
});

const runRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/reconciliation/runs",
  summary: "Reconcile one day's processor settlement files on every shard (operator only)",
  request: { body: formOrJsonBody(z.strictObject({ date: DateParam }).openapi("ReconciliationRunParams")) },
  responses: {
    200: { description: "What the run found", content: { "application/json": { schema: RunSchema } } },
    ...errorResponses(400, 401),
  },
});

const itemsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/reconciliation/items",
  summary: "List the reconciliation mismatches of a day (operator only)",
  request: { query: ItemsQuery },
  responses: {
    200: { description: "A page of mismatches", content: { "application/json": { schema: ItemList } } },
    ...errorResponses(400, 401),
  },
});

/** The API representation of a mismatch. */
function itemObject(row: ReconciliationItemRow): z.infer<typeof ItemSchema> {
  return {
    id: row.id,
    object: "reconciliation.item",
    merchant: row.merchantId,
    date: row.date,
    kind: row.kind,
    source: row.source,
    match_key: row.matchKey,
    processor_key: row.processorKey,
    expected_amount: row.expectedAmount,
    reported_amount: row.reportedAmount,
    currency: row.currency,
    created: row.created,
  };
}

/** Registers the operator's reconciliation routes; `reports` replaces the simulator's files (tests). */
export function registerAdminReconciliation(app: App, reports: ReportsFactory = simulatorReports): void {
  app.openapi(runRoute, async (c) => {
    const date = validDate(c.req.valid("json").date);
    const shards = shardBindings(c.env).length;
    const budgetMs = Math.floor(RECONCILE_BUDGET_MS / shards);
    const runs: ReconcileReport[] = [];
    for (let shard = 0; shard < shards; shard++) {
      runs.push(await reconcileShard(c.env, shard, date, { reports: reports(c.env), budgetMs }));
    }
    const sum = (pick: (r: ReconcileReport) => number) => runs.reduce((n, r) => n + pick(r), 0);
    const counts = (of: "found" | "recorded") => ({
      missing: sum((r) => r[of].missing),
      extra: sum((r) => r[of].extra),
      amount_differs: sum((r) => r[of].amount_differs),
    });
    const answer = {
      object: "reconciliation.run" as const,
      date,
      complete: runs.every((r) => r.done),
      merchants: sum((r) => r.merchants),
      lines: sum((r) => r.lines),
      bookings: sum((r) => r.bookings),
      found: counts("found"),
      recorded: counts("recorded"),
    };
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "reconciliation.run", date, { found: answer.found, complete: answer.complete }),
    );
    return c.json(answer, 200);
  });

  app.openapi(itemsRoute, async (c) => {
    const q = c.req.valid("query");
    const date = validDate(q.date);
    const limit = q.limit ?? DEFAULT_LIMIT;
    // Ids are random: id order is a stable order across shards, so each shard's next page merges into one.
    const pages = await Promise.all(
      allShards(c.env).map((db) =>
        listItems(db, { date, merchantId: q.merchant, after: q.starting_after, limit: limit + 1 }),
      ),
    );
    const rows = pages.flat().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "reconciliation.items.read", date, { merchant: q.merchant ?? null }),
    );
    return c.json(
      {
        object: "list" as const,
        url: "/admin/v1/reconciliation/items",
        has_more: rows.length > limit,
        data: rows.slice(0, limit).map(itemObject),
      },
      200,
    );
  });
}

/**
 * Balance transactions: retrieve one and list them (optionally of one type, source, payout or
 * currency). They are written by the money movements themselves (captures, refunds, payouts),
 * never here. See docs/settlement.md.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { getBalanceTransaction, listBalanceTransactions } from "../db/balance-transactions";
import { ApiError } from "../errors";
import { expandable, expanded, queryWithExpand } from "../expand";
import { noSuchMessage } from "../lib/ids";
import { errorResponses, PathId } from "../lib/openapi";
import { listEnvelope, listParams, listSchema, pageOr404, pageRequest } from "../lib/pagination";
import { requireScope } from "../middleware/merchant-auth";
import { balanceTransactionJson } from "../settlement/json";
import type { App } from "../types";

/** The types of balance transaction edgepay writes. */
export const BALANCE_TRANSACTION_TYPES = [
  "charge",
  "refund",
  "refund_failure",
  "payout",
  "payout_failure",
  "payout_cancel",
  "adjustment",
] as const;

const BalanceTransactionSchema = z
  .object({
    id: z.string().openapi({ example: "txn_3fX9…" }),
    object: z.literal("balance_transaction"),
    amount: z.int().openapi({ description: "Gross amount in minor units: positive credits the balance." }),
    available_on: z.int().openapi({ description: "When the funds become available (00:00 UTC)." }),
    created: z.int(),
    currency: z.string(),
    description: z.string().nullable(),
    exchange_rate: z.null(),
    fee: z.int().openapi({ description: "The gateway's fee (negative when a refund returns it)." }),
    fee_details: z.array(
      z.object({
        amount: z.int(),
        application: z.null(),
        currency: z.string(),
        description: z.string(),
        type: z.literal("stripe_fee"),
      }),
    ),
    net: z.int().openapi({ description: "amount − fee." }),
    reporting_category: z.string(),
    source: z.string().openapi({ description: "The object that moved the money: `ch_…`, `re_…`, `po_…`." }),
    status: z.enum(["pending", "available"]),
    type: z.string(),
  })
  .openapi("BalanceTransaction");

const common = { tags: ["Balance"], security: [{ merchantToken: [] }] };

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/balance_transactions/{id}",
  summary: "Retrieve a balance transaction",
  middleware: [requireScope("balance:read"), expandable("balance_transaction")] as const,
  request: { query: queryWithExpand({}), params: PathId },
  responses: {
    200: {
      description: "The balance transaction",
      content: { "application/json": { schema: BalanceTransactionSchema } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

const filter = (name: string, description: string) =>
  z
    .string()
    .max(100)
    .optional()
    .openapi({ param: { name, in: "query" }, description });

const listRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/balance_transactions",
  summary: "List balance transactions, newest first",
  middleware: [requireScope("balance:read"), expandable("balance_transaction", { list: true })] as const,
  request: {
    query: queryWithExpand({
      ...listParams,
      type: z
        .enum(BALANCE_TRANSACTION_TYPES)
        .optional()
        .openapi({ param: { name: "type", in: "query" }, description: "Only this type." }),
      source: filter("source", "Only those of this source (`ch_…`, `re_…`, `po_…`)."),
      payout: filter("payout", "Only those paid out by this automatic payout (`po_…`), and the payout's own."),
      currency: z
        .string()
        .regex(/^[a-z]{3}$/)
        .optional()
        .openapi({ param: { name: "currency", in: "query" }, description: "Only this currency (lowercase)." }),
    }),
  },
  responses: {
    200: {
      description: "A page of balance transactions",
      content: { "application/json": { schema: listSchema(BalanceTransactionSchema, "BalanceTransactionList") } },
    },
    ...errorResponses(400, 401, 403, 404),
  },
});

/** Registers the balance transaction routes. */
export function registerBalanceTransactions(app: App): void {
  app.openapi(retrieveRoute, async (c) => {
    const id = c.req.valid("param").id;
    const row = await getBalanceTransaction(c.var.payments.db, c.var.auth.merchantId, id);
    if (!row) throw new ApiError("resource_missing", noSuchMessage("balance transaction", id, "txn"));
    return c.json(await expanded(c, balanceTransactionJson(row)), 200);
  });

  app.openapi(listRoute, async (c) => {
    const q = c.req.valid("query");
    const filter = { type: q.type, source: q.source, payout: q.payout, currency: q.currency };
    const page = pageOr404(
      await listBalanceTransactions(c.var.payments.db, c.var.auth.merchantId, filter, pageRequest(q)),
    );
    const data = page.data.map(balanceTransactionJson);
    return c.json(await expanded(c, listEnvelope("/v1/balance_transactions", { ...page, data })), 200);
  });
}

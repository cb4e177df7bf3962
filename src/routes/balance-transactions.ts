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
import { errorResponses, pathId } from "../lib/openapi";
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
    id: z
      .string()
      .openapi({ description: "Unique identifier, prefixed `txn_`.", example: "txn_3PbQx2Lk9dWm4TqR7vYc1Zs8" }),
    object: z
      .literal("balance_transaction")
      .openapi({ description: "String representing the object's type: always `balance_transaction`." }),
    amount: z
      .int()
      .openapi({ description: "Gross amount in minor units: positive credits the balance.", example: 2000 }),
    available_on: z
      .int()
      .openapi({ description: "When the funds become available (00:00 UTC), in unix seconds.", example: 1733270400 }),
    created: z.int().openapi({ description: "Time of creation, in unix seconds.", example: 1733097600 }),
    currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    description: z.string().nullable().openapi({ description: "What the movement was; null when there is no text." }),
    exchange_rate: z.null().openapi({ description: "Always null: edgepay settles in the currency it charged." }),
    fee: z
      .int()
      .openapi({ description: "The gateway's fee in minor units (negative when a refund returns it).", example: 88 }),
    fee_details: z
      .array(
        z.object({
          amount: z.int().openapi({ description: "The fee, in minor units.", example: 88 }),
          application: z.null().openapi({ description: "Always null." }),
          currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
          description: z.string().openapi({ description: "What the fee is.", example: "edgepay processing fees" }),
          type: z.literal("stripe_fee").openapi({ description: "Always `stripe_fee` (the gateway's fee)." }),
        }),
      )
      .openapi({ description: "The fee, itemized: one entry when `fee` is not 0, else empty." }),
    net: z.int().openapi({ description: "amount − fee.", example: 1912 }),
    reporting_category: z.string().openapi({
      description: "Category for reports: `charge`, `refund`, `refund_failure`, `payout`, `payout_reversal` …",
      example: "charge",
    }),
    source: z.string().openapi({ description: "The object that moved the money: `ch_…`, `re_…`, `po_…`." }),
    status: z.enum(["pending", "available"]).openapi({
      description: "`available` once `available_on` has passed and the funds settled.",
      example: "pending",
    }),
    type: z.string().openapi({
      description: `The kind of movement: ${BALANCE_TRANSACTION_TYPES.map((t) => `\`${t}\``).join(", ")}.`,
      example: "charge",
    }),
  })
  .openapi("BalanceTransaction");

const common = { tags: ["Balance"], security: [{ merchantToken: [] }] };

const retrieveRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/balance_transactions/{id}",
  summary: "Retrieve a balance transaction",
  middleware: [requireScope("balance:read"), expandable("balance_transaction")] as const,
  request: { query: queryWithExpand({}), params: pathId("The balance transaction's id (`txn_…`).") },
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

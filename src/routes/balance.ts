/**
 * `GET /v1/balance`: the merchant's ledger balances per currency, in Stripe's Balance shape
 * (`available`, `pending`: exactly the nets of its available and pending balance transactions), plus edgepay's `authorized` (uncaptured holds), `refund_reserved`
 * (refunds awaiting the processor) and `refunded` (succeeded refunds) totals. See docs/ledger.md.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { balances } from "../db/ledger";
import type { Account } from "../domain/ledger";
import { errorResponses, NoQuery } from "../lib/openapi";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App } from "../types";

const Amounts = z.array(
  z
    .object({
      amount: z.int().openapi({ description: "The total, in the currency's minor unit.", example: 120000 }),
      currency: z.string().openapi({ description: "Three-letter ISO currency code, lowercase.", example: "usd" }),
    })
    .openapi({ description: "One currency's total." }),
);

const BalanceSchema = z
  .object({
    object: z.literal("balance").openapi({ description: "String representing the object's type: always `balance`." }),
    available: Amounts.openapi({
      description:
        "Funds that can be paid out: settled captures less refunds (taken at once) and payouts; may be negative.",
    }),
    pending: Amounts.openapi({
      description: "Captured funds, net of fees, not yet available (see docs/settlement.md).",
    }),
    authorized: Amounts.openapi({ description: "edgepay extension: authorized, not yet captured or released." }),
    refund_reserved: Amounts.openapi({
      description: "edgepay extension: refunds created and not yet answered by the processor.",
    }),
    refunded: Amounts.openapi({ description: "edgepay extension: total of succeeded refunds." }),
    livemode: z.boolean().openapi({ description: "True in live mode, false in test mode." }),
  })
  .openapi("Balance");

const route = createRoute({
  method: "get",
  path: "/v1/balance",
  tags: ["Balance"],
  summary: "Retrieve the merchant's balances per currency",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("balance:read")] as const,
  request: { query: NoQuery },
  responses: {
    200: { description: "The balance", content: { "application/json": { schema: BalanceSchema } } },
    ...errorResponses(400, 401, 403),
  },
});

/** Registers `GET /v1/balance`. */
export function registerBalance(app: App): void {
  app.openapi(route, async (c) => {
    const rows = await balances(c.var.payments.db, c.var.auth.merchantId);
    const of = (account: Account) => rows.map((r) => ({ amount: r.accounts[account], currency: r.currency }));
    return c.json(
      {
        object: "balance" as const,
        available: of("available_balance"),
        pending: of("pending_balance"),
        authorized: of("authorized_holds"),
        refund_reserved: of("refund_reserve"),
        refunded: rows.map((r) => ({ amount: r.refunded, currency: r.currency })),
        livemode: isLive(c.env),
      },
      200,
    );
  });
}

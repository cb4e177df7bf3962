/**
 * `GET /v1/balance`: the merchant's ledger balances per currency, in Stripe's Balance shape
 * (`available`, `pending`), plus edgepay's `authorized` (uncaptured holds) and `refunded` totals.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../db/client";
import { balances } from "../db/payment-intents";
import type { Account } from "../domain/ledger";
import { errorResponses } from "../lib/openapi";
import { requireScope } from "../middleware/merchant-auth";
import { isLive } from "../payments/serialize";
import type { App } from "../types";

const Amounts = z.array(z.object({ amount: z.int(), currency: z.string() }));

const BalanceSchema = z
  .object({
    object: z.literal("balance"),
    available: Amounts,
    pending: Amounts,
    authorized: Amounts.openapi({ description: "edgepay extension: authorized, not yet captured or released." }),
    refunded: Amounts.openapi({ description: "edgepay extension: total refunded." }),
    livemode: z.boolean(),
  })
  .openapi("Balance");

const route = createRoute({
  method: "get",
  path: "/v1/balance",
  tags: ["Balance"],
  summary: "Retrieve the merchant's balances per currency",
  security: [{ merchantToken: [] }],
  middleware: [requireScope("balance:read")] as const,
  responses: {
    200: { description: "The balance", content: { "application/json": { schema: BalanceSchema } } },
    ...errorResponses(401, 403),
  },
});

/** Registers `GET /v1/balance`. */
export function registerBalance(app: App): void {
  app.openapi(route, async (c) => {
    const rows = await balances(getDb(c.env), c.var.auth.merchantId);
    const currencies = [...new Set(rows.map((r) => r.currency))].sort();
    const of = (account: Account) =>
      currencies.map((currency) => ({
        amount: rows.find((r) => r.currency === currency && r.account === account)?.amount ?? 0,
        currency,
      }));
    return c.json(
      {
        object: "balance" as const,
        available: of("available_balance"),
        pending: of("pending_balance"),
        authorized: of("authorized_holds"),
        refunded: of("refunds"),
        livemode: isLive(c.env),
      },
      200,
    );
  });
}

/**
 * Reports as CSV (`text/csv`, amounts in minor units, times in UTC): an automatic payout's
 * reconciliation, and the available balance over a period. Scope `reporting:read`.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { invalidParam } from "../errors";
import { errorResponses } from "../lib/openapi";
import { intParam } from "../lib/params";
import { requireScope } from "../middleware/merchant-auth";
import { balanceCsv, payoutReconciliationCsv } from "../reporting";
import type { App } from "../types";

const csv = (description: string) => ({
  200: { description, content: { "text/csv": { schema: z.string() } } },
});
const common = { tags: ["Reporting"], security: [{ merchantToken: [] }] };
const CSV_HEADERS = { "content-type": "text/csv; charset=utf-8", "cache-control": "no-store" };

const reconciliationRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/reporting/payout_reconciliation",
  summary: "CSV of the balance transactions an automatic payout paid out (amounts in minor units)",
  middleware: [requireScope("reporting:read")] as const,
  request: {
    query: z.strictObject({
      payout: z
        .string()
        .max(100)
        .openapi({ param: { name: "payout", in: "query" }, description: "The automatic payout (`po_…`)." }),
    }),
  },
  responses: { ...csv("The reconciliation report"), ...errorResponses(400, 401, 403, 404) },
});

const seconds = (name: string, description: string) =>
  intParam()
    .pipe(z.int().min(0))
    .openapi({ param: { name, in: "query" }, description: `${description} (unix seconds)` });

const balanceRoute = createRoute({
  ...common,
  method: "get",
  path: "/v1/reporting/balance",
  summary: "CSV of the available balance over a period: opening, activity, payouts, closing, per currency",
  middleware: [requireScope("reporting:read")] as const,
  request: {
    query: z.strictObject({
      from: seconds("from", "Start of the period, included"),
      to: seconds("to", "End of the period, excluded"),
    }),
  },
  responses: { ...csv("The balance report"), ...errorResponses(400, 401, 403) },
});

/** Registers the reporting routes. */
export function registerReporting(app: App): void {
  app.openapi(reconciliationRoute, async (c) => {
    const { payout } = c.req.valid("query");
    const body = await payoutReconciliationCsv(c.var.payments.db, c.var.auth.merchantId, payout);
    return c.body(body, 200, CSV_HEADERS);
  });

  app.openapi(balanceRoute, async (c) => {
    const { from, to } = c.req.valid("query");
    if (from >= to) throw invalidParam("parameter_invalid", "`to` must be after `from`.", "to");
    return c.body(await balanceCsv(c.var.payments.db, c.var.auth.merchantId, from, to), 200, CSV_HEADERS);
  });
}

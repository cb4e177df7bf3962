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
        .optional()
        .openapi({ param: { name: "payout", in: "query" }, description: "Required: the automatic payout (`po_…`)." }),
    }),
  },
  responses: { ...csv("The reconciliation report"), ...errorResponses(400, 401, 403, 404) },
});

const seconds = (name: string, description: string) =>
  intParam()
    .pipe(z.int().min(0))
    .optional()
    .openapi({ param: { name, in: "query" }, description: `Required: ${description} (unix seconds)` });

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

/**
 * `query` with `name` present, or a 400 `parameter_missing` naming it. Required parameters are
 * declared optional in the schemas so that an unknown parameter is reported first (as on every
 * other route), then checked here.
 */
function required<Q extends object, K extends keyof Q & string>(
  query: Q,
  name: K,
): Q & { [P in K]-?: NonNullable<Q[P]> } {
  if (query[name] === undefined) throw invalidParam("parameter_missing", `Missing required param: ${name}.`, name);
  return query as Q & { [P in K]-?: NonNullable<Q[P]> };
}

/** Registers the reporting routes. */
export function registerReporting(app: App): void {
  app.openapi(reconciliationRoute, async (c) => {
    const { payout } = required(c.req.valid("query"), "payout");
    const body = await payoutReconciliationCsv(c.var.payments.db, c.var.auth.merchantId, payout);
    return c.body(body, 200, CSV_HEADERS);
  });

  app.openapi(balanceRoute, async (c) => {
    const { from, to } = required(required(c.req.valid("query"), "from"), "to");
    if (from >= to) throw invalidParam("parameter_invalid", "`to` must be after `from`.", "to");
    return c.body(await balanceCsv(c.var.payments.db, c.var.auth.merchantId, from, to), 200, CSV_HEADERS);
  });
}

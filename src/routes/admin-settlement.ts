/**
 * Operator API for settlement: a merchant's terms (`/admin/v1/merchants/:id/settlement`: fee,
 * refund of fees, settlement delay, payout schedule, bank account), and a settlement run "as of" a
 * given time on every shard, then the day's payouts (`POST /admin/v1/settlement/runs`, for
 * backfills and tests; the cron runs the same every 15 minutes). Every write is audited. See docs/settlement.md.
 */
import { createRoute, z } from "@hono/zod-openapi";
import { controlDb } from "../db/client";
import { getMove, isFinished, merchantsToSkip } from "../db/merchant-move";
import { insertAudit } from "../db/merchants";
import { getSettlementSettings, putSettlementSettings, type SettlementSettingsRow } from "../db/settlement-settings";
import { allShards, merchantShard } from "../db/shards";
import { isCurrency } from "../domain/currencies";
import { ApiError, invalidParam } from "../errors";
import { noSuchMessage } from "../lib/ids";
import { errorResponses, formOrJsonBody, MerchantPathId, NoQuery, OPERATOR_ROUTE } from "../lib/openapi";
import { boolParam, intParam } from "../lib/params";
import { operatorAudit } from "../middleware/operator-auth";
import { isLive } from "../payments/serialize";
import { payoutShard } from "../payouts/run";
import { bankBehaviourOf } from "../settlement/bank-accounts";
import { cutoffOf, type SettlementReport, settleShard } from "../settlement/settle";
import type { App } from "../types";

const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

const TermsSchema = z
  .object({
    object: z.literal("settlement_terms").openapi({ description: "Always `settlement_terms`." }),
    merchant: z.string().openapi({ description: "The merchant (`mer_…`) the terms are for." }),
    fee_bps: z.int().openapi({ description: "Percentage fee in basis points (290 = 2.9 %)." }),
    fee_fixed: z
      .record(z.string(), z.int())
      .openapi({ description: "Fixed fee per capture, per currency, in minor units." }),
    refund_fees: z.boolean().openapi({ description: "Whether refunds return their share of the fee." }),
    delay_days: z.int().openapi({ description: "Days before funds become available (at the next 00:00 UTC)." }),
    payout_schedule: z
      .object({
        interval: z
          .enum(["daily", "weekly", "manual"])
          .openapi({ description: "How often automatic payouts are made; `manual`: never.", example: "daily" }),
        weekly_anchor: z.enum(WEEKDAYS).openapi({
          description: "The day of weekly payouts (kept, unused, for the other intervals).",
          example: "monday",
        }),
      })
      .openapi({ description: "When automatic payouts are made." }),
    bank_account: z
      .object({ last4: z.string().openapi({ description: "The account number's last 4 digits.", example: "6789" }) })
      .nullable()
      .openapi({ description: "Where payouts go; null until set (no payout can be made)." }),
    updated: z.int().openapi({ description: "When the terms last changed, in unix seconds.", example: 1733097600 }),
  })
  .openapi("SettlementTerms");

const UpdateTerms = z
  .strictObject({
    fee_bps: intParam()
      .pipe(z.int().min(0).max(10_000))
      .optional()
      .openapi({ description: "Percentage fee in basis points, 0 to 10000 (290 = 2.9 %).", example: 290 }),
    fee_fixed: z
      .record(z.string(), intParam().pipe(z.int().min(0).max(1_000_000)))
      .optional()
      .openapi({ description: "Replaces the whole map; `{}` removes every fixed fee." }),
    refund_fees: boolParam().optional().openapi({ description: "Whether refunds return their share of the fee." }),
    delay_days: intParam()
      .pipe(z.int().min(0).max(30))
      .optional()
      .openapi({ description: "Days before funds become available, 0 to 30.", example: 2 }),
    payout_schedule: z
      .strictObject({
        interval: z
          .enum(["daily", "weekly", "manual"])
          .optional()
          .openapi({ description: "How often automatic payouts are made; `manual`: never." }),
        weekly_anchor: z.enum(WEEKDAYS).optional().openapi({ description: "The day of weekly payouts." }),
      })
      .optional()
      .openapi({ description: "When automatic payouts are made; the fields given replace the stored ones." }),
    bank_account: z
      .strictObject({
        account_number: z
          .string()
          .regex(/^\d{4,17}$/)
          .openapi({ description: "The bank account number, 4 to 17 digits.", example: "000123456789" }),
      })
      .optional()
      .openapi({ description: "Only its last 4 digits are kept (and, for test numbers, the simulator's behaviour)." }),
  })
  .openapi("UpdateSettlementTermsParams");

/** The API representation of a merchant's terms. */
function termsObject(row: SettlementSettingsRow): z.infer<typeof TermsSchema> {
  return {
    object: "settlement_terms",
    merchant: row.merchantId,
    fee_bps: row.feeBps,
    fee_fixed: JSON.parse(row.feeFixed) as Record<string, number>,
    refund_fees: row.refundFees === 1,
    delay_days: row.delayDays,
    payout_schedule: { interval: row.payoutSchedule, weekly_anchor: WEEKDAYS[row.weeklyAnchor] ?? "monday" },
    bank_account: row.bankLast4 === null ? null : { last4: row.bankLast4 },
    updated: row.updated,
  };
}

const one = { description: "The merchant's terms", content: { "application/json": { schema: TermsSchema } } };

const getTermsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "get",
  path: "/admin/v1/merchants/{id}/settlement",
  summary: "A merchant's settlement terms (the defaults until set)",
  request: { params: MerchantPathId, query: NoQuery },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});

const updateTermsRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/merchants/{id}/settlement",
  summary: "Update a merchant's settlement terms (fee, delay, payout schedule, bank account)",
  request: { params: MerchantPathId, body: formOrJsonBody(UpdateTerms) },
  responses: { 200: one, ...errorResponses(400, 401, 404) },
});

const RunBody = z
  .strictObject({
    as_of: intParam().pipe(z.int().min(0).max(4_102_444_800)).optional().openapi({
      description: "Unix seconds; settles what is due at the last 00:00 UTC at or before it. Default: now.",
    }),
    payouts: boolParam().optional().openapi({
      description: "Then run the day's automatic payouts and move open payouts on, as the cron does (default true).",
    }),
  })
  .openapi("SettlementRunParams");

const RunSchema = z
  .object({
    object: z.literal("settlement_run").openapi({ description: "Always `settlement_run`." }),
    as_of: z.int().openapi({ description: "The time the run settled as of, in unix seconds.", example: 1733097600 }),
    cutoff: z.int().openapi({
      description: "The cut-off settled: 00:00 UTC at or before `as_of`, in unix seconds.",
      example: 1733097600,
    }),
    settled: z.int().openapi({ description: "(merchant, currency) pairs made available by this run." }),
    already_run: z
      .int()
      .openapi({ description: "Pairs already settled for this cut-off (a repeated run changes nothing)." }),
    failed: z.int().openapi({ description: "Pairs that failed (logged); the next run retries them." }),
    truncated: z
      .boolean()
      .openapi({ description: "True when a shard's time budget ran out with pairs left: run again." }),
    payouts: z
      .object({
        created: z.int().openapi({ description: "Automatic payouts created." }),
        already_run: z.int().openapi({ description: "Pairs whose run already had its payout." }),
        sent: z.int().openapi({ description: "Payouts moved to `in_transit`." }),
        paid: z.int().openapi({ description: "Payouts that became `paid`." }),
        failed: z.int().openapi({ description: "Payouts that became `failed`." }),
        errors: z.int().openapi({ description: "Steps that threw (logged); the next run retries them." }),
      })
      .nullable()
      .openapi({ description: "What the payout run did; null when `payouts` was false." }),
  })
  .openapi("SettlementRun");

const runRoute = createRoute({
  ...OPERATOR_ROUTE,
  method: "post",
  path: "/admin/v1/settlement/runs",
  summary: "Run settlement on every shard as of a given time (idempotent)",
  request: { body: formOrJsonBody(RunBody) },
  responses: {
    200: { description: "What the run did", content: { "application/json": { schema: RunSchema } } },
    ...errorResponses(400, 401),
  },
});

/** The merchant's shard, or the 404 an unknown merchant gets. */
async function shardOr404(env: Env, id: string) {
  const db = await merchantShard(env, id);
  if (!db) throw new ApiError("resource_missing", noSuchMessage("merchant", id, "mer"), { param: "id" });
  return db;
}

/** Registers the operator's settlement routes. */
export function registerAdminSettlement(app: App): void {
  app.openapi(getTermsRoute, async (c) => {
    const id = c.req.valid("param").id;
    const db = await shardOr404(c.env, id);
    return c.json(termsObject(await getSettlementSettings(db, id, Math.floor(Date.now() / 1000))), 200);
  });

  app.openapi(updateTermsRoute, async (c) => {
    const id = c.req.valid("param").id;
    const body = c.req.valid("json");
    const unknown = Object.keys(body.fee_fixed ?? {}).find((currency) => !isCurrency(currency));
    if (unknown !== undefined) {
      throw invalidParam(
        "parameter_invalid",
        "fee_fixed takes lowercase ISO 4217 currencies edgepay accepts.",
        "fee_fixed",
      );
    }
    const db = await shardOr404(c.env, id);
    // A write to the shard a move is copying from could be left behind by the copy: wait for the move.
    const move = await getMove(controlDb(c.env), id);
    if (move && !isFinished(move)) {
      throw new ApiError("lock_timeout", "This merchant is being moved between shards. Retry once the move is done.", {
        headers: { "Retry-After": "5" },
      });
    }
    const now = Math.floor(Date.now() / 1000);
    const current = await getSettlementSettings(db, id, now);
    const schedule = body.payout_schedule;
    const row: SettlementSettingsRow = {
      ...current,
      feeBps: body.fee_bps ?? current.feeBps,
      feeFixed: body.fee_fixed === undefined ? current.feeFixed : JSON.stringify(body.fee_fixed),
      refundFees: body.refund_fees === undefined ? current.refundFees : body.refund_fees ? 1 : 0,
      delayDays: body.delay_days ?? current.delayDays,
      payoutSchedule: schedule?.interval ?? current.payoutSchedule,
      weeklyAnchor:
        schedule?.weekly_anchor === undefined ? current.weeklyAnchor : WEEKDAYS.indexOf(schedule.weekly_anchor),
      bankLast4: body.bank_account ? body.bank_account.account_number.slice(-4) : current.bankLast4,
      bankBehaviour: body.bank_account ? bankBehaviourOf(body.bank_account.account_number) : current.bankBehaviour,
      updated: now,
    };
    await putSettlementSettings(db, row);
    const changed = Object.keys(body).filter((k) => k !== "bank_account");
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "merchant.settlement.updated", id, {
        fields: changed,
        bank_account: body.bank_account !== undefined,
      }),
    );
    return c.json(termsObject(row), 200);
  });

  app.openapi(runRoute, async (c) => {
    const body = c.req.valid("json");
    const now = Math.floor(Date.now() / 1000);
    const asOf = body.as_of ?? now;
    // A live deployment settles only what is due by now: a run "as of" a future day would make funds
    // available before their delay and use up that day's run keys. Test deployments may look ahead.
    if (asOf > now && isLive(c.env)) {
      throw invalidParam("parameter_invalid", "In live mode as_of cannot be in the future.", "as_of");
    }
    const total: SettlementReport = { settled: 0, alreadyRun: 0, failed: 0, truncated: false };
    const paid = { created: 0, already_run: 0, sent: 0, paid: 0, failed: 0, errors: 0 };
    const shards = allShards(c.env);
    for (const [shard, db] of shards.entries()) {
      // As the cron does: merchants being moved (or a stale copy a move left here) are left alone.
      const skip = await merchantsToSkip(controlDb(c.env), shard, Date.now());
      const r = await settleShard(db, asOf, { skip });
      total.settled += r.settled;
      total.alreadyRun += r.alreadyRun;
      total.failed += r.failed;
      total.truncated ||= r.truncated;
      if (body.payouts === false) continue;
      const p = await payoutShard(db, c.env, asOf, { skip });
      paid.created += p.created;
      paid.already_run += p.alreadyRun;
      paid.sent += p.sent;
      paid.paid += p.paid;
      paid.failed += p.failedPayouts;
      paid.errors += p.errors;
      total.truncated ||= p.truncated;
    }
    const payouts = body.payouts === false ? null : paid;
    await insertAudit(
      controlDb(c.env),
      operatorAudit(c, "settlement.run", "settlement", { as_of: asOf, ...total, payouts }),
    );
    return c.json(
      {
        object: "settlement_run" as const,
        as_of: asOf,
        cutoff: cutoffOf(asOf),
        settled: total.settled,
        already_run: total.alreadyRun,
        failed: total.failed,
        truncated: total.truncated,
        payouts,
      },
      200,
    );
  });
}

/**
 * The cron run (wrangler.toml `[triggers]`, src/index.ts `scheduled`) over every merchant shard. In
 * its own module because the Worker entry may export only handlers and Durable Object classes.
 */
import { sweepCheckout } from "./checkout";
import { controlDb } from "./db/client";
import { EVENT_RETENTION_SECONDS, pruneEvents } from "./db/events";
import { merchantsToSkip } from "./db/merchant-move";
import { allShards } from "./db/shards";
import { log } from "./lib/log";
import { runAlerts } from "./monitoring/alerts";
import { sweepPayments } from "./payments/actions";
import { paymentDeps } from "./payments/deps";
import { payoutShard } from "./payouts/run";
import { simulatorReports } from "./processor/settlement-file";
import { type ReconcileReport, reconcileShard } from "./settlement/reconcile";
import { settleShard } from "./settlement/settle";
import { sweepExpiredCvcs } from "./vault";
import { dispatchAll } from "./webhooks/dispatch";

/** The cron (wrangler.toml `[triggers]`) that runs `scheduledDispatch`; any other runs `scheduledSweep`. */
export const WEBHOOK_DISPATCH_CRON = "* * * * *";

/**
 * Every minute, two independent jobs side by side, neither able to stop the other: the webhook
 * catch-up (puts on the webhook queue every event a request's own dispatch left behind: no
 * execution context, an isolate that died, a claim that lapsed, on every shard) and the alert
 * evaluation (monitoring/alerts.ts). `alerts` is a seam for tests.
 */
export async function scheduledDispatch(
  env: Env,
  alerts: (env: Env) => Promise<unknown> = (e) => runAlerts(e),
): Promise<void> {
  const dispatch = async () => {
    try {
      const report = await dispatchAll(env);
      if (report.events > 0) log("info", "webhook_dispatch_cron", { events: report.events, messages: report.messages });
    } catch (err) {
      log("error", "webhook_dispatch_cron_failed", { error: err instanceof Error ? err.name : "unknown" });
    }
  };
  const evaluate = async () => {
    try {
      await alerts(env);
    } catch (err) {
      log("error", "alert_evaluation_failed", { error: err instanceof Error ? err.name : "unknown" });
    }
  };
  await Promise.all([dispatch(), evaluate()]);
}

/** How many shards one cron run sweeps at the same time. */
export const SWEEP_PARALLEL_SHARDS = 4;

/**
 * One cron run over every shard: clears expired CVCs (PCI DSS 3.3), then expires week-old
 * authorizations and reconciles unknown processor outcomes, then expires checkout sessions past
 * their `expires_at`, then makes due funds available
 * (settlement at the 00:00 UTC cut-off), then prunes events and webhook
 * attempts older than 30 days (a bounded number per run). Shards are swept SWEEP_PARALLEL_SHARDS
 * at a time, each in its own bounded batches and time budget; a shard that fails is logged and
 * does not stop the others. On each shard, the merchants `merchantsToSkip` names are skipped (a
 * move in progress, a stale copy a finished move left there, an unfinished copy). The list is read
 * again before each shard, so a move that starts during a long run is seen by the shards swept after it.
 */
export async function scheduledSweep(env: Env): Promise<void> {
  const shards = allShards(env);
  const sweepOne = async (db: (typeof shards)[number], shard: number) => {
    const failed = (event: string) => (err: unknown) =>
      log("error", event, { shard, error: err instanceof Error ? err.name : "unknown" });
    await sweepExpiredCvcs(db).then(
      (cleared) => log("info", "vault_cvc_sweep", { shard, cleared }),
      failed("vault_cvc_sweep_failed"),
    );
    await merchantsToSkip(controlDb(env), shard, Date.now())
      .then((skip) => sweepPayments(paymentDeps(env, db), { skip: new Set(skip) }))
      .then(() => undefined, failed("payments_sweep_failed"));
    // Open checkout sessions past expires_at: their intents canceled, the sessions expired (or completed if paid).
    await merchantsToSkip(controlDb(env), shard, Date.now())
      .then((skip) => sweepCheckout(paymentDeps(env, db), { skip }))
      .then(() => undefined, failed("checkout_sweep_failed"));
    // Funds due at the last 00:00 UTC cut-off become available (idempotent per merchant, currency and date).
    await merchantsToSkip(controlDb(env), shard, Date.now())
      .then((skip) => settleShard(db, Math.floor(Date.now() / 1000), { skip }))
      .then((settled) => log("info", "settlement_run", { shard, ...settled }), failed("settlement_failed"));
    const before = Math.floor(Date.now() / 1000) - EVENT_RETENTION_SECONDS;
    await merchantsToSkip(controlDb(env), shard, Date.now())
      .then((skip) => pruneEvents(db, before, skip))
      .then((pruned) => log("info", "events_prune", { shard, ...pruned }), failed("events_prune_failed"));
    // Payouts (after settlement, which makes funds available): the day's automatic payouts, then one
    // lifecycle step of each open payout (src/payouts/run.ts).
    await merchantsToSkip(controlDb(env), shard, Date.now())
      .then((skip) => payoutShard(db, env, Math.floor(Date.now() / 1000), { skip }))
      .then((report) => log("info", "payouts", { shard, ...report }), failed("payouts_failed"));
  };
  for (let i = 0; i < shards.length; i += SWEEP_PARALLEL_SHARDS) {
    await Promise.all(shards.slice(i, i + SWEEP_PARALLEL_SHARDS).map((db, j) => sweepOne(db, i + j)));
  }
  // Processor reconciliation of yesterday, once a day (see scheduledReconcile).
  await scheduledReconcile(env, Date.now());
}

/** How many times one shard's daily reconciliation resumes after spending its time budget. */
export const RECONCILE_ROUNDS = 10;

/** The UTC hour whose first sweep reconciles yesterday: past the processor's cut-off and the grace. */
export const RECONCILE_HOUR_UTC = 2;

/**
 * Reconciles yesterday (UTC) against the processor's settlement files on every shard, when `nowMs`
 * falls in the first 15 minutes of RECONCILE_HOUR_UTC (the sweep's cron runs every 15 minutes, so
 * once a day). A rerun records nothing twice; a shard that fails is logged and does not stop the others.
 */
export async function scheduledReconcile(env: Env, nowMs: number): Promise<void> {
  const now = new Date(nowMs);
  if (now.getUTCHours() !== RECONCILE_HOUR_UTC || now.getUTCMinutes() >= 15) return;
  const yesterday = new Date(nowMs - 86_400_000).toISOString().slice(0, 10);
  const reports = simulatorReports(env);
  for (let shard = 0; shard < allShards(env).length; shard++) {
    // A run that spends its budget resumes after the last merchant it reached, a few times over.
    let after: string | null = null;
    for (let round = 0; round < RECONCILE_ROUNDS; round++) {
      const report: ReconcileReport | null = await reconcileShard(env, shard, yesterday, { reports, after }).catch(
        (err: unknown) => {
          log("error", "reconciliation_failed", {
            shard,
            date: yesterday,
            error: err instanceof Error ? err.name : "unknown",
          });
          return null;
        },
      );
      if (report === null || report.done) break;
      after = report.next;
    }
  }
}

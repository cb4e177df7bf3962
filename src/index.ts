/** Worker entry: the HTTP app, the cron handler, the webhook queue consumer and the Durable Object classes wrangler.toml binds. It exports nothing else (workerd takes every export for an entrypoint). */
import { createApp } from "./app";
import { log } from "./lib/log";
import { scheduledDispatch, scheduledSweep, WEBHOOK_DISPATCH_CRON } from "./scheduled";
import { handleQueue } from "./webhooks/queue";

export { ConnectorHealth } from "./durable/connector-health";
export { MerchantGate } from "./durable/merchant-gate";
export { MetricsRollup } from "./durable/metrics-rollup";
export { RiskCounter } from "./durable/risk-counter";
export { SimulatorLedger } from "./durable/simulator-ledger";
export { SimulatorMemory } from "./durable/simulator-memory";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * Cron triggers (wrangler.toml `[triggers]`): every minute the webhook dispatcher's catch-up over
   * every shard and the alert evaluation (both in `scheduledDispatch`); the other cron (every 15
   * minutes) `scheduledSweep` over every shard.
   */
  async scheduled(controller, env, ctx) {
    if (controller.cron === WEBHOOK_DISPATCH_CRON) {
      ctx.waitUntil(scheduledDispatch(env));
      return;
    }
    ctx.waitUntil(
      scheduledSweep(env).catch((err: unknown) =>
        log("error", "scheduled_sweep_failed", { error: err instanceof Error ? err.name : "unknown" }),
      ),
    );
  },
  /** Webhook deliveries and their dead letters (wrangler.toml `[[queues.consumers]]`). */
  async queue(batch, env) {
    await handleQueue(batch, env);
  },
} satisfies ExportedHandler<Env>;

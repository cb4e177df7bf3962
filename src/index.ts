/** Worker entry: the HTTP app, the cron handler and the Durable Object classes wrangler.toml binds. It exports nothing else (workerd takes every export for an entrypoint). */
import { createApp } from "./app";
import { log } from "./lib/log";
import { scheduledSweep } from "./scheduled";

export { MerchantGate } from "./durable/merchant-gate";
export { SimulatorMemory } from "./durable/simulator-memory";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Cron trigger (wrangler.toml `[triggers]`): `scheduledSweep` over every shard. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      scheduledSweep(env).catch((err: unknown) =>
        log("error", "scheduled_sweep_failed", { error: err instanceof Error ? err.name : "unknown" }),
      ),
    );
  },
} satisfies ExportedHandler<Env>;

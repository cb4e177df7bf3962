/** Worker entry: the HTTP app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app";
import { log } from "./lib/log";
import { sweepExpiredCvcs } from "./vault";

export { MerchantGate } from "./durable/merchant-gate";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Cron trigger (wrangler.toml `[triggers]`): clears CVCs held past their expiry (PCI DSS 3.3). */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(
      sweepExpiredCvcs(env).then(
        (cleared) => log("info", "vault_cvc_sweep", { cleared }),
        (err: unknown) =>
          log("error", "vault_cvc_sweep_failed", { error: err instanceof Error ? err.name : "unknown" }),
      ),
    );
  },
} satisfies ExportedHandler<Env>;

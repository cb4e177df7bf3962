/** Worker entry: the HTTP app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app";
import { log } from "./lib/log";
import { sweepPayments } from "./payments/actions";
import { paymentDeps } from "./payments/deps";
import { sweepExpiredCvcs } from "./vault";

export { MerchantGate } from "./durable/merchant-gate";
export { SimulatorMemory } from "./durable/simulator-memory";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Cron trigger (wrangler.toml `[triggers]`): clears expired CVCs (PCI DSS 3.3), expires week-old authorizations and reconciles unknown processor outcomes. */
  async scheduled(_controller, env, ctx) {
    const failed = (event: string) => (err: unknown) =>
      log("error", event, { error: err instanceof Error ? err.name : "unknown" });
    ctx.waitUntil(
      sweepExpiredCvcs(env).then(
        (cleared) => log("info", "vault_cvc_sweep", { cleared }),
        failed("vault_cvc_sweep_failed"),
      ),
    );
    ctx.waitUntil(sweepPayments(paymentDeps(env)).then(() => undefined, failed("payments_sweep_failed")));
  },
} satisfies ExportedHandler<Env>;

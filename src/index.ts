/** Worker entry: the HTTP app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app";
import { sweepPayments } from "./payments/actions";

export { MerchantGate } from "./durable/merchant-gate";

const app = createApp();

export default {
  fetch: app.fetch,
  /** Cron trigger (wrangler.toml `[triggers]`): expire week-old authorizations, reconcile unknown outcomes. */
  async scheduled(_controller, env, ctx) {
    ctx.waitUntil(sweepPayments(env).then(() => undefined));
  },
} satisfies ExportedHandler<Env>;

/** Worker entry: the HTTP app and the Durable Object classes wrangler.toml binds. */
import { createApp } from "./app";

export { MerchantGate } from "./durable/merchant-gate";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;

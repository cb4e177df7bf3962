/**
 * Tests run inside workerd through @cloudflare/vitest-plugin, against the real wrangler.toml
 * bindings (local D1 and Durable Objects). Migrations are the same files wrangler applies.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { generateLocalSecrets } from "./scripts/local-secrets.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./migrations");
  const secrets = await generateLocalSecrets();
  // wrangler checks `[secrets] required` against process.env; the bindings below are what the Worker sees.
  Object.assign(process.env, secrets);
  return {
    plugins: [
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: { bindings: { ...secrets, TEST_MIGRATIONS: migrations } },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      testTimeout: 20_000,
    },
  };
});

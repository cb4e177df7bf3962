/**
 * Tests run inside workerd through @cloudflare/vitest-plugin, against the real wrangler.toml
 * bindings (local D1 and Durable Objects): the control database and two merchant shards. Migrations
 * are the same files wrangler applies (migrations/control, migrations/shard). The webhook queue and
 * its dead-letter queue run for real (local Queues), delivering to a Node HTTP receiver.
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import type { Plugin } from "vite";
import { defineConfig } from "vitest/config";
import { generateLocalSecrets } from "./scripts/local-secrets.ts";

/**
 * A Vite plugin that drops "Sourcemap for …/node_modules/… points to missing source files": workerd
 * runs every module through Vite, and the stripe package ships source maps whose sources it does not
 * ship (218 such lines for one SDK test file). Every other warning is printed. It patches the resolved
 * logger because vitest replaces any `customLogger` with its own.
 */
const quietMissingSourcemaps: Plugin = {
  name: "edgepay:quiet-missing-sourcemaps",
  configResolved(config) {
    const warnOnce = config.logger.warnOnce.bind(config.logger);
    config.logger.warnOnce = (message, options) => {
      if (!/^Sourcemap for "[^"]*\/node_modules\/[^"]*" points to missing source files$/.test(message)) {
        warnOnce(message, options);
      }
    };
  },
};

export default defineConfig(async () => {
  const controlMigrations = await readD1Migrations("./migrations/control");
  const shardMigrations = await readD1Migrations("./migrations/shard");
  // wrangler prints "Using secrets defined in process.env" each time a test file reads the config.
  process.env.WRANGLER_LOG ??= "warn";
  const secrets = await generateLocalSecrets();
  // wrangler checks `[secrets] required` against process.env; the bindings below are what the Worker sees.
  Object.assign(process.env, secrets);
  return {
    plugins: [
      quietMissingSourcemaps,
      cloudflareTest({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          // PROPERTY_RUNS: how many runs the model-based payment test makes (more than the CI default);
          // PROPERTY_SEED: replays the run fast-check reported as failing (its `seed`).
          // FUZZ_RUNS: cases per route of the OpenAPI-driven fuzz test.
          bindings: {
            ...secrets,
            TEST_CONTROL_MIGRATIONS: controlMigrations,
            TEST_SHARD_MIGRATIONS: shardMigrations,
            PROPERTY_RUNS: process.env.PROPERTY_RUNS ?? "",
            PROPERTY_SEED: process.env.PROPERTY_SEED ?? "",
            FUZZ_RUNS: process.env.FUZZ_RUNS ?? "",
          },
          // Outbound fetches reach 127.0.0.1 only (the webhook receiver): a delivery to an endpoint a
          // test registers at, say, https://hooks.example.com gets a 502 here, never a real request.
          outboundService: async (request: Request) => {
            if (new URL(request.url).hostname !== "127.0.0.1") {
              return new Response("edgepay tests: no network", { status: 502 });
            }
            const body =
              request.method === "GET" || request.method === "HEAD" ? undefined : await request.arrayBuffer();
            return fetch(request.url, { method: request.method, headers: request.headers, body, redirect: "manual" });
          },
          // Deliver queued webhook messages within milliseconds (wrangler.toml waits up to a second).
          queueConsumers: {
            "edgepay-webhooks": {
              maxBatchSize: 10,
              maxBatchTimeout: 0.05,
              maxRetries: 20,
              retryDelay: 60,
              deadLetterQueue: "edgepay-webhooks-dlq",
            },
            "edgepay-webhooks-dlq": { maxBatchSize: 10, maxBatchTimeout: 0.05, maxRetries: 10 },
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      setupFiles: ["./test/setup.ts"],
      // A real HTTP webhook receiver on 127.0.0.1 (test/receiver/server.ts), its port given to tests;
      // workerd's reports that tests provoke on purpose not printed (test/quiet-workerd.ts).
      globalSetup: ["./test/receiver/server.ts", "./test/quiet-workerd.ts"],
      testTimeout: 20_000,
      // The gateway's structured log lines (one per request, src/monitoring/request-log.ts, and the
      // warnings and errors tests provoke on purpose) are not printed: tests that check them spy on
      // the console, which still sees every line. TEST_LOGS=1 prints them.
      onConsoleLog: (log: string) => process.env.TEST_LOGS === "1" || !log.trimStart().startsWith('{"level":'),
      // Dots and the summary (failures in full); VITEST_REPORTER=default lists every file.
      reporters: [process.env.VITEST_REPORTER ?? "dot"],
    },
  };
});

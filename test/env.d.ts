/** Test-only bindings added by vitest.config.ts. */
declare namespace Cloudflare {
  interface Env {
    TEST_CONTROL_MIGRATIONS: import("cloudflare:test").D1Migration[];
    TEST_SHARD_MIGRATIONS: import("cloudflare:test").D1Migration[];
    /** Runs of the model-based payment property test; empty means the CI default. */
    PROPERTY_RUNS: string;
    PROPERTY_SEED: string;
    FUZZ_RUNS: string;
  }
}

/** Applies the same migrations as `wrangler d1 migrations apply` to each test file's isolated D1. */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

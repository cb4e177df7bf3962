/** Applies the same migrations as `npm run db:migrate:local` to each test file's isolated databases: control to `DB`, shard to every `SHARD_<n>`. */
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { shardBindings } from "../src/db/shards";

await applyD1Migrations(env.DB, env.TEST_CONTROL_MIGRATIONS);
for (const shard of shardBindings(env)) await applyD1Migrations(shard, env.TEST_SHARD_MIGRATIONS);

/**
 * drizzle-kit configuration of the control database: `npm run db:generate` writes its SQL
 * migrations into migrations/control (and the shards' into migrations/shard, drizzle.shard.config.ts).
 */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/control.ts",
  out: "./migrations/control",
});

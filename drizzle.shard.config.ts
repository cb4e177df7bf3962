/** drizzle-kit configuration of the shard databases: `npm run db:generate` writes their SQL migrations into migrations/shard. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/shard.ts",
  out: "./migrations/shard",
});

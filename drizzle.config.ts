/** drizzle-kit configuration: `npm run db:generate` writes SQL migrations for wrangler into migrations/. */
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./src/db/schema/index.ts",
  out: "./migrations",
});

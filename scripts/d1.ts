/**
 * The D1 databases wrangler.toml declares for one environment (or the top-level, local one), read
 * from the file itself: the control database `DB` and the merchant shards `SHARD_0` … `SHARD_<n-1>`,
 * each with its migrations directory. Shared by `npm run db:migrate`, `npm start` and the bench.
 */
import { readFileSync } from "node:fs";

/** One `[[d1_databases]]` entry. */
export interface D1Binding {
  binding: string;
  databaseName: string;
  migrationsDir: string;
}

/** The control database's binding. */
export const CONTROL_BINDING = "DB";
/** Where the control and shard migrations live. */
export const MIGRATION_DIRS = { control: "migrations/control", shard: "migrations/shard" } as const;

/**
 * The `[[d1_databases]]` (no `env`) or `[[env.<env>.d1_databases]]` entries of `toml`, in file order.
 * Throws unless they are `DB` on migrations/control plus `SHARD_0` … `SHARD_<n-1>` (n ≥ 1, no gap) on
 * migrations/shard: the layout the Worker (src/db/shards.ts) and the migration scripts rely on.
 */
export function d1Bindings(env: string | undefined, toml = readFileSync("wrangler.toml", "utf8")): D1Binding[] {
  const table = env === undefined ? "d1_databases" : `env.${env}.d1_databases`;
  const out: D1Binding[] = [];
  let current: Partial<D1Binding> | undefined;
  for (const line of toml.split("\n")) {
    const header = /^\s*(\[\[?)([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      current = header[1] === "[[" && (header[2] as string).trim() === table ? {} : undefined;
      if (current) out.push(current as D1Binding);
      continue;
    }
    const kv = /^\s*(binding|database_name|migrations_dir)\s*=\s*"([^"]*)"/.exec(line);
    if (current && kv) {
      const key = kv[1] === "binding" ? "binding" : kv[1] === "database_name" ? "databaseName" : "migrationsDir";
      current[key] = kv[2] as string;
    }
  }
  checkLayout(out, env);
  return out;
}

function checkLayout(bindings: D1Binding[], env: string | undefined): void {
  const where = env === undefined ? "wrangler.toml (top level)" : `wrangler.toml [env.${env}]`;
  const control = bindings.filter((b) => b.binding === CONTROL_BINDING);
  if (control.length !== 1 || control[0]?.migrationsDir !== MIGRATION_DIRS.control) {
    throw new Error(`${where}: needs one D1 binding DB with migrations_dir = "${MIGRATION_DIRS.control}"`);
  }
  const shards = bindings.filter((b) => b.binding !== CONTROL_BINDING);
  if (shards.length === 0) throw new Error(`${where}: needs at least one shard, SHARD_0`);
  shards.forEach((b, i) => {
    if (b.binding !== `SHARD_${i}` || b.migrationsDir !== MIGRATION_DIRS.shard) {
      throw new Error(
        `${where}: D1 bindings after DB must be SHARD_0, SHARD_1, … in order with migrations_dir = "${MIGRATION_DIRS.shard}" (found ${b.binding})`,
      );
    }
  });
}

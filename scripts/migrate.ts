/**
 * `npm run db:migrate -- --local | --remote [--env staging|production] [--check]`: applies the
 * control migrations to `DB` and the shard migrations to every `SHARD_<n>` that wrangler.toml
 * declares for the environment (`wrangler d1 migrations apply <binding>`), then checks that every
 * database is at the same, latest migration of its kind: it reads each database's `d1_migrations`
 * table and compares it with the files in migrations/control and migrations/shard. `--check` only
 * checks. Exits 1 on any failure or difference. `npm run db:migrate:local` is `-- --local`.
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { CONTROL_BINDING, type D1Binding, d1Bindings, MIGRATION_DIRS } from "./d1.ts";

const USAGE = "npm run db:migrate -- --local | --remote [--env staging|production] [--check]";

interface Options {
  target: "--local" | "--remote";
  env: string | undefined;
  checkOnly: boolean;
}

function parse(argv: string[]): Options {
  let target: Options["target"] | undefined;
  let env: string | undefined;
  let checkOnly = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--local" || arg === "--remote") target = arg;
    else if (arg === "--check") checkOnly = true;
    else if (arg === "--env") env = argv[++i];
    else if (arg.startsWith("--env=")) env = arg.slice("--env=".length);
    else throw new Error(`unknown argument ${arg}: ${USAGE}`);
  }
  if (!target) throw new Error(`say --local or --remote: ${USAGE}`);
  if (env !== undefined && env !== "staging" && env !== "production") throw new Error(`unknown environment: ${USAGE}`);
  if (target === "--remote" && env === undefined) throw new Error(`--remote needs --env: ${USAGE}`);
  return { target, env, checkOnly };
}

/** The migration names of a directory, in the order wrangler applies them. */
export function migrationNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /^\d+.*\.sql$/.test(f))
    .sort();
}

/**
 * What is wrong with the applied migrations (`applied[binding]`, in order) against the files
 * (`expected`): a database missing or ahead of a migration of its kind. Empty when every database
 * is at the latest migration, so all shards are at the same one.
 */
export function migrationProblems(
  bindings: readonly D1Binding[],
  applied: Readonly<Record<string, readonly string[]>>,
  expected: { control: readonly string[]; shard: readonly string[] },
): string[] {
  const problems: string[] = [];
  for (const { binding } of bindings) {
    const want = binding === CONTROL_BINDING ? expected.control : expected.shard;
    const have = applied[binding] ?? [];
    const missing = want.filter((m) => !have.includes(m));
    const extra = have.filter((m) => !want.includes(m));
    if (missing.length > 0) problems.push(`${binding}: not applied: ${missing.join(", ")}`);
    if (extra.length > 0) problems.push(`${binding}: applied but not in the repository: ${extra.join(", ")}`);
  }
  return problems;
}

function wrangler(args: string[]): string {
  const r = spawnSync("npx", ["wrangler", ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
  if (r.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

function appliedNames(binding: string, o: Options): string[] {
  const envArgs = o.env === undefined ? [] : ["--env", o.env];
  const out = wrangler([
    "d1",
    "execute",
    binding,
    o.target,
    ...envArgs,
    "--json",
    "--command",
    "select name from d1_migrations order by id",
  ]);
  const parsed = JSON.parse(out) as { results?: { name: string }[] }[];
  return (parsed[0]?.results ?? []).map((r) => r.name);
}

function main(): void {
  const o = parse(process.argv.slice(2));
  const bindings = d1Bindings(o.env);
  const envArgs = o.env === undefined ? [] : ["--env", o.env];
  if (!o.checkOnly) {
    for (const { binding } of bindings) {
      wrangler(["d1", "migrations", "apply", binding, o.target, ...envArgs]);
      console.log(`edgepay: ${binding} migrated (${o.target.slice(2)})`);
    }
  }
  const applied = Object.fromEntries(bindings.map((b) => [b.binding, appliedNames(b.binding, o)]));
  const expected = { control: migrationNames(MIGRATION_DIRS.control), shard: migrationNames(MIGRATION_DIRS.shard) };
  const problems = migrationProblems(bindings, applied, expected);
  if (problems.length > 0) throw new Error(`migrations differ:\n  ${problems.join("\n  ")}`);
  console.log(`edgepay: DB and ${bindings.length - 1} shard(s) are at the latest migration`);
}

if (import.meta.main) {
  try {
    main();
  } catch (err) {
    console.error(`edgepay: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
}

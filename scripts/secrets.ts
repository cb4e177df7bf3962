/**
 * `npm run secrets -- --env staging|production [--dry-run] [--overwrite]`
 *
 * Generates every secret in wrangler.toml's `[env.<env>.secrets] required`, in the formats the Worker
 * expects (the same generators as local development: scripts/local-secrets.ts), and pipes each value
 * into `wrangler secret put NAME --env <env>` through stdin. Values never touch the disk and are
 * never printed.
 *
 * Secrets the Worker already has are skipped unless `--overwrite` is given: replacing VAULT_KEKS or
 * CLIENT_SECRET_PEPPER on a live Worker makes stored cards and client secrets unusable (rotate
 * those as README describes instead). `--dry-run` only prints the names and value lengths.
 */
import { spawnSync } from "node:child_process";
import { parseEnvArg, requiredSecrets } from "./env-arg.ts";
import { generateLocalSecrets } from "./local-secrets.ts";

const USAGE = "npm run secrets -- --env staging|production [--dry-run] [--overwrite]";
const wranglerEnv = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/** Names of the secrets the deployed Worker already has, from `wrangler secret list`. */
function existingSecrets(env: string): Set<string> {
  const result = spawnSync("npx", ["wrangler", "secret", "list", "--env", env, "--format", "json"], {
    encoding: "utf8",
    env: wranglerEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (result.status !== 0) {
    throw new Error(
      `could not list the secrets of --env ${env} (is the Worker deployed and are you logged in?); ` +
        `pass --overwrite to set every secret without checking.\n${result.stdout}${result.stderr}`,
    );
  }
  const list = JSON.parse(result.stdout.slice(result.stdout.indexOf("["))) as { name: string }[];
  return new Set(list.map((s) => s.name));
}

async function main(): Promise<void> {
  const { env, rest } = parseEnvArg(process.argv.slice(2), USAGE);
  const unknown = rest.filter((a) => a !== "--dry-run" && a !== "--overwrite");
  if (unknown.length > 0) throw new Error(`unknown argument ${unknown.join(" ")}: ${USAGE}`);
  const dryRun = rest.includes("--dry-run");
  const overwrite = rest.includes("--overwrite");

  const names = requiredSecrets(env);
  const generated: Record<string, string> = { ...(await generateLocalSecrets()) };
  const missing = names.filter((n) => !(n in generated));
  if (missing.length > 0) throw new Error(`no generator for required secret(s) ${missing.join(", ")}`);

  const skip = dryRun || overwrite ? new Set<string>() : existingSecrets(env);
  console.log(`${dryRun ? "[dry run] " : ""}secrets for --env ${env}:`);
  for (const name of names) {
    const value = generated[name] as string;
    if (skip.has(name)) {
      console.log(`  ${name}: already set, kept (--overwrite replaces it)`);
      continue;
    }
    if (dryRun) {
      console.log(`  ${name}: ${value.length} characters`);
      continue;
    }
    const result = spawnSync("npx", ["wrangler", "secret", "put", name, "--env", env], {
      input: value,
      encoding: "utf8",
      env: wranglerEnv,
      stdio: ["pipe", "pipe", "pipe"],
    });
    if (result.status !== 0) {
      throw new Error(`wrangler secret put ${name} --env ${env} failed:\n${result.stdout}${result.stderr}`);
    }
    console.log(`  ${name}: set (${value.length} characters)`);
  }
}

main().catch((err: unknown) => {
  console.error(`secrets: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});

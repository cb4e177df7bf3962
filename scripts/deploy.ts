/**
 * `npm run deploy -- --env staging|production [wrangler deploy flags…]`
 *
 * Refuses to run without an explicit environment (a bare `wrangler deploy` would publish the
 * top-level, local configuration), and refuses an environment whose wrangler.toml section still
 * holds a placeholder (an example.com domain or an all-zero D1 id) unless `--dry-run` is given.
 * Then runs `wrangler deploy --env <env>` with the remaining flags.
 */
import { spawnSync } from "node:child_process";
import { envSection, parseEnvArg } from "./env-arg.ts";

const USAGE = "npm run deploy -- --env staging|production [--dry-run …]";
const PLACEHOLDERS = [/\bexample\.com\b/, /"00000000-0000-0000-0000-[0-9]{12}"/];

function main(): number {
  const { env, rest } = parseEnvArg(process.argv.slice(2), USAGE);
  if (!rest.includes("--dry-run")) {
    const section = envSection(env);
    const found = section
      .split("\n")
      .filter((line) => !line.trim().startsWith("#") && PLACEHOLDERS.some((p) => p.test(line)));
    if (found.length > 0) {
      throw new Error(
        `wrangler.toml [env.${env}] still has placeholders; set them first (README, "Deployment"):\n  ${found.join("\n  ")}`,
      );
    }
  }
  const args = ["wrangler", "deploy", "--env", env, ...rest];
  console.log(`deploy: npx ${args.join(" ")}`);
  const result = spawnSync("npx", args, { stdio: "inherit", env: { ...process.env, WRANGLER_SEND_METRICS: "false" } });
  return result.status ?? 1;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`deploy: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}

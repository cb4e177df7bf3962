/**
 * Shared by `npm run deploy` and `npm run secrets`: the target environment must be named explicitly,
 * so that nothing goes to a Cloudflare environment by default.
 */
import { readFileSync } from "node:fs";

export const ENVIRONMENTS = ["staging", "production"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

export interface ParsedArgs {
  env: Environment;
  /** Arguments other than `--env`, in order. */
  rest: string[];
}

/** Reads `--env NAME` or `--env=NAME`; throws with a usage message when it is missing or unknown. */
export function parseEnvArg(argv: string[], usage: string): ParsedArgs {
  let env: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--env" || arg === "-e") {
      env = argv[++i];
    } else if (arg.startsWith("--env=")) {
      env = arg.slice("--env=".length);
    } else {
      rest.push(arg);
    }
  }
  if (env === undefined || env === "") {
    throw new Error(`no environment given: ${usage}`);
  }
  if (!(ENVIRONMENTS as readonly string[]).includes(env)) {
    throw new Error(`unknown environment "${env}" (expected ${ENVIRONMENTS.join(" or ")}): ${usage}`);
  }
  return { env: env as Environment, rest };
}

/** The lines of wrangler.toml that belong to `[env.<env>]` and its sub-tables. */
export function envSection(env: Environment, toml = readFileSync("wrangler.toml", "utf8")): string {
  const out: string[] = [];
  let inside = false;
  for (const line of toml.split("\n")) {
    const header = /^\s*\[\[?([^\]]+)\]\]?\s*(#.*)?$/.exec(line);
    if (header) {
      const name = (header[1] as string).trim();
      inside = name === `env.${env}` || name.startsWith(`env.${env}.`);
    }
    if (inside) out.push(line);
  }
  return out.join("\n");
}

/** The names in `[env.<env>.secrets] required`. */
export function requiredSecrets(env: Environment, toml?: string): string[] {
  const section = envSection(env, toml);
  const match = /\[env\.[a-z]+\.secrets\][^[]*?required\s*=\s*\[([^\]]*)\]/s.exec(section);
  if (!match) throw new Error(`wrangler.toml has no [env.${env}.secrets] required list`);
  return [...(match[1] as string).matchAll(/"([A-Z0-9_]+)"/g)].map((m) => m[1] as string);
}

/**
 * `npm start`: everything a newcomer needs after `npm install`.
 * 1. Writes .dev.vars with random local secrets if it is missing (git-ignored).
 * 2. Applies the local D1 migrations (the same files the tests and production use): control to DB,
 *    shard to every SHARD_<n> of wrangler.toml.
 * 3. Serves the gateway with `wrangler dev` on http://127.0.0.1:$PORT (8787 when PORT is unset),
 *    offline and without telemetry, with that origin as its access tokens' issuer (JWT_ISSUER, see
 *    `localIssuerArgs`), and prints a short banner once GET /health answers.
 * 4. Seeds a demo merchant and API client once (kept in .dev-merchant.json) and prints a curl for a token.
 * The same wrangler dev runs the webhook queue and its consumer (local Queues, offline).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { d1Bindings } from "./d1.ts";
import { seedDemoMerchant } from "./demo-merchant.ts";
import { DEFAULT_PORT, LOCAL_HOST, localIssuerArgs, localOrigin, localPort, wantsHelp } from "./gateway-url.ts";
import { generateLocalSecrets } from "./local-secrets.ts";

const USAGE = `usage: npm start            (PORT=8899 npm start for another port)

Writes .dev.vars with local secrets (once), applies the local D1 migrations, serves the gateway with
wrangler dev on http://127.0.0.1:$PORT (default 8787) until Ctrl-C, and seeds a demo merchant.
The other scripts (npm run merchant, operator, listen) find it with the same PORT, or EDGEPAY_URL.`;

if (wantsHelp(process.argv.slice(2))) {
  console.log(USAGE);
  process.exit(0);
}

let PORT: number;
try {
  PORT = localPort();
} catch (err) {
  console.error(`edgepay: ${(err as Error).message}`);
  process.exit(2);
}
const BASE = localOrigin(PORT);
const quietEnv = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  CLOUDFLARE_CF_FETCH_ENABLED: "false",
  WRANGLER_LOG: "warn",
  CI: "true",
};

async function ensureDevVars(): Promise<void> {
  if (existsSync(".dev.vars")) return;
  const secrets = await generateLocalSecrets();
  const lines = Object.entries(secrets).map(([k, v]) => `${k}='${v}'`);
  writeFileSync(".dev.vars", `# Local-only secrets written by npm start. Never commit.\n${lines.join("\n")}\n`, {
    mode: 0o600,
  });
  console.log("edgepay: wrote .dev.vars with fresh local secrets");
}

function wrangler(args: string[]): void {
  const result = spawnSync("wrangler", args, { stdio: ["ignore", "pipe", "pipe"], env: quietEnv, encoding: "utf8" });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`wrangler ${args.join(" ")} failed`);
  }
}

async function waitForHealth(timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${BASE}/health`);
      if (res.ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/** Hook for steps that need the running gateway (e.g. seeding demo credentials). */
export type AfterStart = (base: string) => Promise<void>;

async function main(afterStart: AfterStart[] = []): Promise<void> {
  await ensureDevVars();
  const databases = d1Bindings(undefined);
  for (const { binding } of databases) wrangler(["d1", "migrations", "apply", binding, "--local"]);
  console.log(`edgepay: local D1 migrations applied (DB and ${databases.length - 1} shards)`);

  const dev = spawn(
    "wrangler",
    [
      "dev",
      "--ip",
      LOCAL_HOST,
      "--port",
      String(PORT),
      ...localIssuerArgs(BASE),
      "--log-level",
      "warn",
      "--show-interactive-dev-session=false",
      "--test-scheduled",
    ],
    { stdio: ["ignore", "inherit", "inherit"], env: quietEnv },
  );
  const stop = () => dev.kill("SIGTERM");
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  dev.on("exit", (code) => process.exit(code ?? 0));

  if (!(await waitForHealth(60_000))) {
    console.error("edgepay: the gateway did not answer GET /health within 60 s");
    stop();
    process.exit(1);
  }
  for (const step of afterStart) await step(BASE);
  console.log(`edgepay: ready on ${BASE}  (health: ${BASE}/health, docs: ${BASE}/docs)`);
  console.log("edgepay: webhooks to your app: npm run listen -- --forward-to http://127.0.0.1:3000/webhook");
  if (PORT !== DEFAULT_PORT) {
    console.log(
      `edgepay: in other terminals, export PORT=${PORT} (or EDGEPAY_URL=${BASE}) for npm run merchant, operator, listen`,
    );
  }
}

await main([seedDemoMerchant]);

/**
 * The gateway the browser tests talk to: the real Worker under `wrangler dev` on a free 127.0.0.1 port,
 * offline and without telemetry, with a fresh persistence directory (local D1, Durable Objects, queues)
 * and fresh local secrets, both under one temp directory that `stop()` removes. The control and shard
 * migrations are applied first, and its origin is its access tokens' issuer, as `npm start` does.
 * Merchants are onboarded through the operator API with scripts/operator-client.ts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { d1Bindings } from "../../scripts/d1.ts";
import { localIssuerArgs } from "../../scripts/gateway-url.ts";
import { generateLocalSecrets, type LocalSecrets } from "../../scripts/local-secrets.ts";
import { createMerchant, operatorCall } from "../../scripts/operator-client.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
/** The wrangler CLI of this checkout, run by the current Node (as bench/lib/workerd.ts does). */
const WRANGLER_BIN = join(ROOT, "node_modules/wrangler/bin/wrangler.js");

/** A merchant onboarded for a test: its id and a secret and a publishable API key. */
export interface TestMerchant {
  merchantId: string;
  /** `sk_test_…`: every scope, for server-side calls a test makes. */
  secretKey: string;
  /** `pk_test_…`: what a browser page may hold. */
  publishableKey: string;
}

/** A running gateway; `stop()` ends wrangler (and its workerd) and removes the temp directory. */
export interface Gateway {
  base: string;
  /** This run's root OPERATOR_TOKEN (a test that signs in to the operator dashboard types it). */
  operatorToken: string;
  /** One operator API call with the run's root OPERATOR_TOKEN (POST with `body`, else GET); throws on non-2xx. */
  operator<T>(path: string, body?: object): Promise<T>;
  /** Creates a merchant with a secret and a publishable key. */
  merchant(name?: string): Promise<TestMerchant>;
  /** wrangler's recent output, for a failure report. */
  log(): string;
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the OS picks it). */
export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

async function waitForHealth(base: string, dev: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (dev.exitCode !== null) throw new Error(`wrangler dev exited with code ${dev.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the gateway did not answer GET ${base}/health within ${timeoutMs / 1000} s`);
}

/** Every wrangler this module started that has not exited yet. */
const live = new Set<ChildProcess>();

/** Sends `signal` to the process group of `child` (wrangler and the workerd it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Runs the wrangler CLI in its own process group, so that stopping it reaches workerd too; keeps its last output. */
function spawnWrangler(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [WRANGLER_BIN, ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  return { child, output: () => output };
}

/** Ends the process group of `child`: SIGTERM, then SIGKILL after 5 s. */
async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  signalGroup(child, "SIGTERM");
  const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 5_000);
  await exited;
  clearTimeout(timer);
  signalGroup(child, "SIGKILL"); // anything of the group that outlived wrangler
}

/** `wrangler d1 migrations apply <binding> --local` into `persist`; rejects with wrangler's output on failure. */
function migrate(binding: string, persist: string, env: NodeJS.ProcessEnv): Promise<void> {
  const args = ["d1", "migrations", "apply", binding, "--local", "--persist-to", persist];
  const { child, output } = spawnWrangler(args, env);
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve() : reject(new Error(`wrangler ${args.join(" ")} failed:\n${output()}`)),
    );
  });
}

/** How to start the gateway. */
export interface GatewayOptions {
  /** Apply the control and shard migrations first (default true); a caller that reads only the OpenAPI document skips them. */
  migrate?: boolean;
}

/** Applies the migrations (unless told not to), starts `wrangler dev` and waits for GET /health. */
export async function startGateway({ migrate: applyMigrations = true }: GatewayOptions = {}): Promise<Gateway> {
  const dir = mkdtempSync(join(tmpdir(), "edgepay-browser-"));
  const persist = join(dir, "state");
  const secrets: LocalSecrets = await generateLocalSecrets();
  // An explicit --env-file makes wrangler ignore a developer's .dev.vars; the values are this run's own.
  const envFile = join(dir, "secrets.env");
  const lines = Object.entries(secrets).map(([k, v]) => `${k}='${v}'\n`);
  writeFileSync(envFile, lines.join(""), { mode: 0o600 });
  const env = {
    ...process.env,
    ...secrets,
    WRANGLER_SEND_METRICS: "false",
    CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG: "warn",
    CI: "true",
  };
  const cleanup = () => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  // Last resort when the runner exits without awaiting stop() (an error, Ctrl-C): no wrangler left behind.
  process.once("exit", () => {
    for (const child of live) signalGroup(child, "SIGKILL");
    cleanup();
  });

  try {
    // One after the other: each wrangler starts a workerd on the whole of `persist`, and two at once
    // can find its SQLite files locked (SQLITE_BUSY).
    if (applyMigrations) for (const { binding } of d1Bindings(undefined)) await migrate(binding, persist, env);
  } catch (err) {
    cleanup();
    throw err;
  }

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const base = `http://127.0.0.1:${port}`;
  const devArgs = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--inspector-port", String(inspectorPort)];
  devArgs.push("--persist-to", persist, "--env-file", envFile, "--log-level", "warn", ...localIssuerArgs(base));
  devArgs.push("--show-interactive-dev-session=false");
  const { child: dev, output } = spawnWrangler(devArgs, env);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopGroup(dev).finally(cleanup);
    return stopping;
  };

  try {
    await waitForHealth(base, dev, 120_000);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\nwrangler output:\n${output()}`);
  }

  const operator = <T>(path: string, body?: object) => operatorCall<T>(base, secrets.OPERATOR_TOKEN, path, body);
  let merchants = 0;
  return {
    base,
    operatorToken: secrets.OPERATOR_TOKEN,
    operator,
    async merchant(name = `Browser test merchant ${++merchants}`) {
      const { merchantId } = await createMerchant(base, secrets.OPERATOR_TOKEN, name);
      const key = (type: string) =>
        operator<{ secret: string }>(`/admin/v1/merchants/${merchantId}/api_keys`, { type }).then((k) => k.secret);
      return { merchantId, secretKey: await key("secret"), publishableKey: await key("publishable") };
    },
    log: output,
    stop,
  };
}

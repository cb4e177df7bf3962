/**
 * `npm run lint:openapi`: lints the OpenAPI document the gateway serves, with Redocly CLI's
 * "recommended" ruleset (redocly.yaml), and fails on any error or warning.
 * The document is generated at request time from the route schemas, by code that runs only in
 * workerd, so this starts the real Worker the way the browser tests do (test/browser/gateway.ts:
 * `wrangler dev` on a free port, fresh state, stopped afterwards), fetches GET /openapi.json into a
 * temp file and runs `redocly lint` on it. The document needs no database, so the migrations are
 * skipped (the gateway starts in a few seconds). Redocly CLI is a devDependency (one package, no
 * dependencies of its own): a linter of OpenAPI we would not write ourselves.
 * The same run then checks a generated client (scripts/openapi-client.ts): openapi-typescript turns
 * the document into TypeScript types and the sample integration examples/client/integration.ts must
 * typecheck against them.
 * `node scripts/openapi-lint.ts <file>` checks a saved document instead, without starting anything.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startGateway } from "../test/browser/gateway.ts";
import { checkClient } from "./openapi-client.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** The Redocly CLI of node_modules. */
const REDOCLY = join(ROOT, "node_modules/.bin/redocly");

/** One finding of `redocly lint --format=json`. */
interface Problem {
  ruleId: string;
  severity: "error" | "warn";
  message: string;
  location: { pointer?: string }[];
}

/** Fetches the served document from a throwaway gateway. */
async function servedDocument(): Promise<string> {
  const gateway = await startGateway({ migrate: false });
  try {
    const res = await fetch(`${gateway.base}/openapi.json`);
    if (!res.ok) throw new Error(`GET /openapi.json answered ${res.status}`);
    return await res.text();
  } finally {
    await gateway.stop();
  }
}

/** Runs `redocly lint` on `file` and returns its findings. */
function lint(file: string): Problem[] {
  const args = ["lint", file, "--config", join(ROOT, "redocly.yaml"), "--format=json", "--max-problems=100000"];
  const env = { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" };
  const result = spawnSync(REDOCLY, args, { cwd: ROOT, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const start = result.stdout.indexOf("{");
  if (start < 0) throw new Error(`redocly lint printed no report (exit ${result.status}):\n${result.stderr}`);
  return (JSON.parse(result.stdout.slice(start)) as { problems: Problem[] }).problems;
}

const started = performance.now();
const dir = mkdtempSync(join(tmpdir(), "edgepay-openapi-"));
try {
  const saved = process.argv[2];
  const file = saved === undefined ? join(dir, "openapi.json") : resolve(saved);
  const document = saved === undefined ? await servedDocument() : readFileSync(file, "utf8");
  if (saved === undefined) writeFileSync(file, document);
  const problems = lint(file);
  for (const p of problems) {
    console.log(`${p.severity.padEnd(5)} ${p.ruleId}: ${p.message}\n      at ${p.location[0]?.pointer ?? "?"}`);
  }
  const errors = problems.filter((p) => p.severity === "error").length;
  const linted = performance.now();
  const clientFailures = await checkClient(document);
  if (clientFailures) console.log(clientFailures);
  const lintSeconds = ((linted - started) / 1000).toFixed(1);
  const clientSeconds = ((performance.now() - linted) / 1000).toFixed(1);
  console.log(`openapi-lint: ${errors} errors, ${problems.length - errors} warnings (${lintSeconds} s)`);
  console.log(
    `openapi-client: ${clientFailures ? "FAILED" : "types generated, sample integration typechecks"} (${clientSeconds} s)`,
  );
  process.exitCode = problems.length > 0 || clientFailures ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}

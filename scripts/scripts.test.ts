/**
 * `npm run test:scripts` (node:test): the deploy and secrets scripts, without Cloudflare. A fake
 * `npx` on PATH stands in for wrangler and records what it is given.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { parseEnvArg, requiredSecrets } from "./env-arg.ts";
import { generateLocalSecrets } from "./local-secrets.ts";

const fake = mkdtempSync(join(tmpdir(), "edgepay-scripts-"));
after(() => rmSync(fake, { recursive: true, force: true }));
// wrangler secret list: prints the names in $FAKE_EXISTING; secret put NAME: stores stdin in $FAKE/NAME.
writeFileSync(
  join(fake, "npx"),
  `#!/usr/bin/env bash
set -e
if [ "$2 $3" = "secret list" ]; then echo "\${FAKE_EXISTING:-[]}"; exit 0; fi
if [ "$2 $3" = "secret put" ]; then cat > "${fake}/$4"; echo "$5 $6" > "${fake}/$4.env"; exit 0; fi
echo "$@" > "${fake}/deploy-args"
`,
);
chmodSync(join(fake, "npx"), 0o755);

function run(script: string, args: string[], extraEnv: Record<string, string> = {}) {
  return spawnSync(process.execPath, [script, ...args], {
    encoding: "utf8",
    env: { ...process.env, PATH: `${fake}:${process.env.PATH}`, ...extraEnv },
  });
}

describe("parseEnvArg", () => {
  test("accepts --env NAME and --env=NAME, keeps the other arguments", () => {
    assert.deepEqual(parseEnvArg(["--env", "staging", "--dry-run"], "u"), { env: "staging", rest: ["--dry-run"] });
    assert.deepEqual(parseEnvArg(["--env=production"], "u"), { env: "production", rest: [] });
  });
  test("refuses a missing or unknown environment", () => {
    assert.throws(() => parseEnvArg([], "u"), /no environment given/);
    assert.throws(() => parseEnvArg(["--env"], "u"), /no environment given/);
    assert.throws(() => parseEnvArg(["--env", "prod"], "u"), /unknown environment "prod"/);
  });
});

test("every required secret of every environment has a generator", async () => {
  const generated = Object.keys(await generateLocalSecrets()).sort();
  for (const env of ["staging", "production"] as const) {
    assert.deepEqual(requiredSecrets(env).sort(), generated);
  }
});

describe("scripts/deploy.ts", () => {
  test("refuses to run without --env", () => {
    const r = run("scripts/deploy.ts", []);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /no environment given/);
  });
  test("refuses an environment that still has placeholders", () => {
    const r = run("scripts/deploy.ts", ["--env", "production"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /placeholders/);
  });
  test("a dry run goes to wrangler deploy --env with the other flags", () => {
    const r = run("scripts/deploy.ts", ["--env", "staging", "--dry-run"]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(fake, "deploy-args"), "utf8").trim(), "wrangler deploy --env staging --dry-run");
  });
});

describe("scripts/secrets.ts", () => {
  test("--dry-run prints names and lengths, never values", () => {
    const r = run("scripts/secrets.ts", ["--env", "production", "--dry-run"]);
    assert.equal(r.status, 0, r.stderr);
    for (const name of requiredSecrets("production")) assert.match(r.stdout, new RegExp(`${name}: \\d+ characters`));
    assert.doesNotMatch(r.stdout, /op_|"kty"|"key"/);
  });
  test("pipes each missing secret into wrangler secret put through stdin and keeps existing ones", () => {
    const r = run("scripts/secrets.ts", ["--env", "staging"], { FAKE_EXISTING: '[{"name":"VAULT_KEKS"}]' });
    assert.equal(r.status, 0, r.stderr);
    const put = readdirSync(fake).filter((f) => /^[A-Z_]+$/.test(f));
    assert.deepEqual(
      put.sort(),
      requiredSecrets("staging")
        .filter((n) => n !== "VAULT_KEKS")
        .sort(),
    );
    assert.match(r.stdout, /VAULT_KEKS: already set, kept/);
    assert.equal(readFileSync(join(fake, "OPERATOR_TOKEN.env"), "utf8").trim(), "--env staging");
    assert.match(readFileSync(join(fake, "OPERATOR_TOKEN"), "utf8"), /^op_[A-Za-z0-9_-]{43}$/);
    const jwks = JSON.parse(readFileSync(join(fake, "JWT_SIGNING_KEYS"), "utf8")) as { kty: string; d?: string }[];
    assert.equal(jwks[0]?.kty, "EC");
    assert.ok(jwks[0]?.d);
  });
});

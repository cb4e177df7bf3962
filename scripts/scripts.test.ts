/**
 * `npm run test:scripts` (node:test): the deploy, secrets and operator scripts, without Cloudflare. A
 * fake `npx` on PATH stands in for wrangler and records what it is given; a local HTTP server
 * stands in for the gateway's operator API.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { d1Bindings } from "./d1.ts";
import { envSection, parseEnvArg, requiredSecrets } from "./env-arg.ts";
import { GatewayUnreachable, gatewayFetch, gatewayUrl, localIssuerArgs, wantsHelp } from "./gateway-url.ts";
import { parseListenArgs } from "./listen-args.ts";
import { generateLocalSecrets } from "./local-secrets.ts";
import { VENDORED, vendorAssets } from "./vendor-assets.ts";

const fake = mkdtempSync(join(tmpdir(), "edgepay-scripts-"));
after(() => rmSync(fake, { recursive: true, force: true }));
// wrangler secret list: prints the names in $FAKE_EXISTING; secret put NAME: stores stdin in $FAKE/NAME.
writeFileSync(
  join(fake, "npx"),
  `#!/usr/bin/env bash
set -e
if [ "$2 $3" = "secret list" ]; then echo "\${FAKE_EXISTING:-[]}"; exit 0; fi
if [ "$2 $3" = "secret put" ]; then cat > "${fake}/$4"; echo "$5 $6" > "${fake}/$4.env"; exit 0; fi
# wrangler d1 migrations apply: recorded in $FAKE/d1-applies; d1 execute BINDING: prints $FAKE_D1_<BINDING> as the rows.
if [ "$2 $3" = "d1 migrations" ]; then echo "$@" >> "${fake}/d1-applies"; exit 0; fi
if [ "$2 $3" = "d1 execute" ]; then v="FAKE_D1_$4"; echo "[{\\"results\\": \${!v:-[]}}]"; exit 0; fi
echo "$@" > "${fake}/deploy-args"
`,
);
chmodSync(join(fake, "npx"), 0o755);

/** A 127.0.0.1 port nothing listens on (the OS picked it, then it was closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

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

test("every deployed environment has the webhook queues, their dead-letter queue and the minute cron", () => {
  for (const env of ["staging", "production"] as const) {
    const section = envSection(env);
    for (const line of [
      `queue = "edgepay-webhooks-${env}"\nbinding = "WEBHOOKS"`,
      `queue = "edgepay-webhooks-dlq-${env}"\nbinding = "WEBHOOKS_DLQ"`,
      `dead_letter_queue = "edgepay-webhooks-dlq-${env}"`,
      `[[env.${env}.queues.consumers]]\nqueue = "edgepay-webhooks-dlq-${env}"`,
      'crons = ["*/15 * * * *", "* * * * *"]',
    ]) {
      assert.ok(section.includes(line), `${env}: ${line}`);
    }
  }
});

describe("scripts/gateway-url.ts (where the scripts find the gateway)", () => {
  test("EDGEPAY_URL first (without a trailing slash), else PORT on 127.0.0.1, else 8787", () => {
    assert.equal(gatewayUrl({}), "http://127.0.0.1:8787");
    assert.equal(gatewayUrl({ PORT: "" }), "http://127.0.0.1:8787");
    assert.equal(gatewayUrl({ PORT: "8899" }), "http://127.0.0.1:8899");
    assert.equal(gatewayUrl({ PORT: "8899", EDGEPAY_URL: "https://pay.example.com/" }), "https://pay.example.com");
  });
  test("refuses a PORT that is not a port and an EDGEPAY_URL that is not an http(s) URL", () => {
    assert.throws(() => gatewayUrl({ PORT: "88a" }), /PORT must be a port number/);
    assert.throws(() => gatewayUrl({ PORT: "70000" }), /PORT must be a port number/);
    assert.throws(() => gatewayUrl({ EDGEPAY_URL: "127.0.0.1:8787" }), /EDGEPAY_URL must be an absolute http\(s\) URL/);
  });
  test("the local issuer is a wrangler --var of the origin, never a request's", () => {
    assert.deepEqual(localIssuerArgs("http://127.0.0.1:8899"), ["--var", "JWT_ISSUER:http://127.0.0.1:8899"]);
  });
  test("a gateway that does not answer is GatewayUnreachable, naming the URL and PORT / EDGEPAY_URL", async () => {
    const base = `http://127.0.0.1:${await closedPort()}`;
    const err = await gatewayFetch(base, "/health").then(
      () => assert.fail("answered"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof GatewayUnreachable);
    assert.match(err.message, new RegExp(`cannot reach the gateway at ${base} \\(`));
    assert.match(err.message, /PORT=8899 npm run/);
    assert.match(err.message, /EDGEPAY_URL=/);
  });
  test("--help, -h and a first positional help ask for the usage", () => {
    assert.ok(wantsHelp(["--help"]) && wantsHelp(["create", "-h"]) && wantsHelp(["help"]));
    assert.ok(!wantsHelp(["create", "--name", "help"]) && !wantsHelp([]));
  });
  test("npm run merchant, operator and listen print their usage on -- --help and exit 0", () => {
    for (const [script, usage] of [
      ["scripts/merchant.ts", /usage: npm run merchant -- create --name/],
      ["scripts/operator.ts", /usage: npm run operator -- create --name/],
      ["scripts/listen.ts", /usage: npm run listen --/],
    ] as const) {
      const r = run(script, ["--help"], { EDGEPAY_URL: "http://127.0.0.1:9" });
      assert.equal(r.status, 0, `${script}: ${r.stderr}`);
      assert.match(r.stdout, usage);
      assert.match(r.stdout, /EDGEPAY_URL, else http:\/\/127\.0\.0\.1:\$PORT/);
    }
  });
  test("a script whose gateway is not running says which URL failed and how to point elsewhere", async () => {
    const port = await closedPort();
    for (const [script, args] of [
      ["scripts/merchant.ts", ["create", "--name", "Acme"]],
      ["scripts/operator.ts", ["list"]],
      ["scripts/listen.ts", []],
    ] as const) {
      const r = run(script, [...args], {
        PORT: String(port),
        EDGEPAY_URL: "",
        OPERATOR_TOKEN: "op_x",
        EDGEPAY_CLIENT_ID: "cli_x",
        EDGEPAY_CLIENT_SECRET: "eps_x",
      });
      assert.equal(r.status, 1, `${script}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`cannot reach the gateway at http://127\\.0\\.0\\.1:${port} `), script);
      assert.match(r.stderr, /EDGEPAY_URL=/, script);
    }
  });
});

describe("parseListenArgs (npm run listen)", () => {
  test("reads --forward-to (or -f) and --events, default all events and no forwarding", () => {
    assert.deepEqual(parseListenArgs([]), { forwardTo: undefined, events: ["*"] });
    assert.deepEqual(parseListenArgs(["--forward-to", "http://127.0.0.1:3000/webhook"]), {
      forwardTo: "http://127.0.0.1:3000/webhook",
      events: ["*"],
    });
    assert.deepEqual(
      parseListenArgs(["-f", "https://x.test/h", "--events", "payment_intent.succeeded, refund.created"]),
      {
        forwardTo: "https://x.test/h",
        events: ["payment_intent.succeeded", "refund.created"],
      },
    );
    assert.deepEqual(parseListenArgs(["--forward-to=http://localhost:3000"]).forwardTo, "http://localhost:3000");
  });
  test("refuses a relative or non-http URL, an empty event list, unknown options and positionals", () => {
    assert.throws(() => parseListenArgs(["--forward-to", "/webhook"]), /absolute http\(s\) URL/);
    assert.throws(() => parseListenArgs(["--forward-to", "ftp://x/y"]), /absolute http\(s\) URL/);
    assert.throws(() => parseListenArgs(["--events", " , "]), /names no event type/);
    assert.throws(() => parseListenArgs(["--port", "3"]), /usage: npm run listen/);
    assert.throws(() => parseListenArgs(["http://x"]), /usage: npm run listen/);
    assert.throws(() => parseListenArgs(["--forward-to"]), /usage: npm run listen/);
  });
});

test("every required secret of every environment has a generator", async () => {
  const generated = Object.keys(await generateLocalSecrets()).sort();
  for (const env of ["staging", "production"] as const) {
    assert.deepEqual(requiredSecrets(env).sort(), generated);
  }
});

describe("scripts/d1.ts and scripts/migrate.ts (sharded D1)", () => {
  test("every environment binds DB on migrations/control and SHARD_0…SHARD_<n-1> on migrations/shard", () => {
    for (const env of [undefined, "staging", "production"]) {
      const bindings = d1Bindings(env).map((b) => `${b.binding}:${b.migrationsDir}`);
      assert.equal(bindings[0], "DB:migrations/control");
      assert.ok(bindings.length >= 3, "local development and tests run with at least 2 shards");
      for (const [i, b] of bindings.slice(1).entries()) assert.equal(b, `SHARD_${i}:migrations/shard`);
    }
  });
  test("refuses a gap in the shard numbering, a shard on the wrong migrations and a missing DB", () => {
    const entry = (binding: string, dir: string) =>
      `[[d1_databases]]\nbinding = "${binding}"\ndatabase_name = "x"\nmigrations_dir = "${dir}"\n`;
    const control = entry("DB", "migrations/control");
    assert.throws(() => d1Bindings(undefined, control + entry("SHARD_1", "migrations/shard")), /found SHARD_1/);
    assert.throws(() => d1Bindings(undefined, control + entry("SHARD_0", "migrations")), /found SHARD_0/);
    assert.throws(() => d1Bindings(undefined, entry("SHARD_0", "migrations/shard")), /needs one D1 binding DB/);
    assert.throws(() => d1Bindings(undefined, control), /at least one shard/);
  });

  const controlFiles = readdirSync("migrations/control").filter((f) => f.endsWith(".sql"));
  const shardFiles = readdirSync("migrations/shard").filter((f) => f.endsWith(".sql"));
  const rows = (names: string[]) => JSON.stringify(names.map((name) => ({ name })));

  test("applies control to DB and shard to every shard, then passes when all are at the latest migration", () => {
    rmSync(join(fake, "d1-applies"), { force: true });
    const r = run("scripts/migrate.ts", ["--remote", "--env", "staging"], {
      FAKE_D1_DB: rows(controlFiles),
      FAKE_D1_SHARD_0: rows(shardFiles),
      FAKE_D1_SHARD_1: rows(shardFiles),
    });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(join(fake, "d1-applies"), "utf8").trim().split("\n"), [
      "wrangler d1 migrations apply DB --remote --env staging",
      "wrangler d1 migrations apply SHARD_0 --remote --env staging",
      "wrangler d1 migrations apply SHARD_1 --remote --env staging",
    ]);
  });
  test("--check fails when a shard is behind the others, naming it and the migration", () => {
    rmSync(join(fake, "d1-applies"), { force: true });
    const r = run("scripts/migrate.ts", ["--remote", "--env", "production", "--check"], {
      FAKE_D1_DB: rows(controlFiles),
      FAKE_D1_SHARD_0: rows(shardFiles),
      FAKE_D1_SHARD_1: rows(shardFiles.slice(0, -1)),
    });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`SHARD_1: not applied: ${shardFiles.at(-1)}`));
    assert.throws(() => readFileSync(join(fake, "d1-applies")), /ENOENT/);
  });
  test("refuses --remote without --env", () => {
    const r = run("scripts/migrate.ts", ["--remote"]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /--remote needs --env/);
  });
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

/** Runs `script` against a fake gateway that records each request and answers `reply` (or `reply(url)`). */
async function withGateway(
  script: string,
  args: string[],
  reply: object | ((url: string) => object),
  env: Record<string, string> = {},
) {
  const seen: { method?: string; url?: string; auth?: string; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => {
      body += chunk;
    });
    req.on("end", () => {
      seen.push({ method: req.method, url: req.url, auth: req.headers.authorization, body });
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify(typeof reply === "function" ? reply(req.url ?? "") : reply));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, EDGEPAY_URL: url, OPERATOR_TOKEN: "op_root-token-from-env", ...env },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => {
    stdout += d;
  });
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  const status = await new Promise<number | null>((resolve) => child.on("close", resolve));
  server.close();
  return { status, stdout, stderr, seen, url };
}

describe("scripts/merchant.ts", () => {
  const answer = (url: string) =>
    url.endsWith("/clients")
      ? { id: "cli_1", client_secret: "eps_it's", scopes: ["payments:read"] }
      : { id: "mer_1", name: "Acme" };
  test("--shell prints export lines a POSIX shell evaluates into the gateway and the credentials", async () => {
    const r = await withGateway("scripts/merchant.ts", ["create", "--name", "Acme", "--shell"], answer);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(
      r.seen.map((x) => x.url),
      ["/admin/v1/merchants", "/admin/v1/merchants/mer_1/clients"],
    );
    const sh = spawnSync(
      "sh",
      [
        "-c",
        `eval "$1"; printf '%s|' "$EDGEPAY_URL" "$EDGEPAY_MERCHANT_ID" "$EDGEPAY_CLIENT_ID" "$EDGEPAY_CLIENT_SECRET"`,
        "sh",
        r.stdout,
      ],
      { encoding: "utf8" },
    );
    assert.equal(sh.stdout, `${r.url}|mer_1|cli_1|eps_it's|`);
  });
  test("refuses --json with --shell, and an unknown option, with the usage (exit 2)", async () => {
    for (const args of [
      ["create", "--name", "A", "--json", "--shell"],
      ["create", "--nmae", "A"],
    ]) {
      const r = await withGateway("scripts/merchant.ts", args, answer);
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /usage: npm run merchant/);
      assert.deepEqual(r.seen, []);
    }
  });
});

describe("scripts/operator.ts", () => {
  const withOperator = (args: string[], reply: object, env: Record<string, string> = {}) =>
    withGateway("scripts/operator.ts", args, reply, env);

  test("create posts the name and rate limit with the credential from the environment, and prints the secret once", async () => {
    const op = { id: "opr_1", name: "alice", status: "active", created_by: "root", secret: "eop_s3cret" };
    const r = await withOperator(["create", "--name", "alice", "--rate-limit", "50"], op);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.seen, [
      {
        method: "POST",
        url: "/admin/v1/operators",
        auth: "Bearer op_root-token-from-env",
        body: '{"name":"alice","rate_limit":"50"}',
      },
    ]);
    assert.equal(r.stdout.split("eop_s3cret").length - 1, 2); // the secret line and the usage hint
  });
  test("disable and root-disable call their routes", async () => {
    const d = await withOperator(["disable", "opr_1"], { id: "opr_1", name: "bob", status: "disabled" });
    assert.equal(d.seen[0]?.url, "/admin/v1/operators/opr_1/disable");
    assert.match(d.stdout, /is disabled/);
    const r = await withOperator(["root-disable"], { status: "disabled" }, { OPERATOR_TOKEN: "eop_named" });
    assert.deepEqual([r.seen[0]?.url, r.seen[0]?.auth], ["/admin/v1/root_token/disable", "Bearer eop_named"]);
  });
  test("a missing name or unknown command prints the usage and exits 2", async () => {
    for (const args of [["create"], ["frobnicate"], []]) {
      const r = await withOperator(args, {});
      assert.equal(r.status, 2);
      assert.match(r.stderr, /usage: npm run operator/);
      assert.deepEqual(r.seen, []);
    }
  });
});

describe("scripts/vendor-assets.ts (postinstall)", () => {
  test("copies uPlot's and Scalar's browser builds into public/, and reports each missing package", () => {
    const root = mkdtempSync(join(tmpdir(), "edgepay-vendor-"));
    try {
      assert.deepEqual(
        vendorAssets(root).map((e) => e.name),
        VENDORED.map((e) => e.name),
      );
      const [uplot, scalar] = VENDORED;
      mkdirSync(join(root, uplot.from), { recursive: true });
      for (const file of uplot.files) writeFileSync(join(root, uplot.from, file), `/* ${file} */`);
      assert.deepEqual(
        vendorAssets(root).map((e) => e.name),
        [scalar.name],
      );
      assert.deepEqual(readdirSync(join(root, "public/admin/vendor")).sort(), [...uplot.files].sort());
      assert.equal(readFileSync(join(root, "public/admin/vendor/uPlot.min.css"), "utf8"), "/* uPlot.min.css */");
      mkdirSync(join(root, scalar.from), { recursive: true });
      for (const file of scalar.files) writeFileSync(join(root, scalar.from, file), `/* ${file} */`);
      assert.deepEqual(vendorAssets(root), []);
      assert.equal(readFileSync(join(root, "public/docs/vendor/standalone.js"), "utf8"), "/* standalone.js */");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

/**
 * README's "Quick start", run as written (node:test, part of `npm run test:scripts` and so of `npm test`).
 * The blocks it runs are the ```sh blocks of README.md preceded by an HTML comment (invisible on GitHub):
 * - `<!-- readme-test: start -->`: `npm start`. The test copies the checkout's tracked files into a
 *   temp directory (a fresh clone: no .dev.vars, no local D1; `node_modules` is a link to this
 *   checkout's, so the block's leading `npm install &&` is dropped) and runs the rest there in the
 *   background, with PORT set to a free port, until it prints `edgepay: ready on …`.
 * - `<!-- readme-test -->` and `<!-- readme-test: expect <text> -->`: in order, as one `bash -e`
 *   script in the same directory with that PORT exported (what a reader types into a second
 *   terminal). After a block with `expect`, the script waits up to 30 s for <text> in its output
 *   (a background `npm run listen &` prints into it too) and fails without it.
 * When the script has ended, its background jobs get SIGTERM as Ctrl-C would give them (`npm run
 * listen` must then delete its endpoint), and a second test checks that access tokens of the
 * gateway on that PORT carry its origin as issuer. Everything is stopped and removed afterwards.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { freePort } from "../test/browser/gateway.ts";
import { accessToken, createMerchant, devVar } from "./operator-client.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** One marked block of README.md: its marker's argument (`start`, `expect <text>` or ""), its code, its line. */
interface ReadmeBlock {
  marker: string;
  code: string;
  line: number;
}

/** The ```sh blocks of `markdown` right after a `<!-- readme-test[: …] -->` comment, in order. */
function readmeBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = [];
  for (const m of markdown.matchAll(/<!-- readme-test(?::[ \t]*(.*?))?[ \t]*-->\n```sh\n([\s\S]*?)\n```/g)) {
    const line = markdown.slice(0, m.index).split("\n").length + 2;
    blocks.push({ marker: m[1] ?? "", code: m[2] ?? "", line });
  }
  return blocks;
}

/** A value single-quoted for bash. */
const quote = (value: string) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The bash script of every block but `start`, each followed by the wait its `expect` asks for. */
function flowScript(blocks: ReadmeBlock[]): string {
  const lines = [
    'expect_output() { i=0; until grep -qF -- "$1" "$README_TEST_LOG"; do',
    '  i=$((i + 1)); if [ "$i" -gt 150 ]; then echo "readme-test: no \\"$1\\" within 30 s" >&2; exit 1; fi; sleep 0.2',
    "done; }",
  ];
  for (const block of blocks.filter((b) => b.marker !== "start")) {
    lines.push(`printf '\\nreadme-test: README.md:%s\\n' ${block.line}`, block.code);
    if (block.marker.startsWith("expect ")) lines.push(`expect_output ${quote(block.marker.slice(7))}`);
    else if (block.marker !== "") throw new Error(`README.md:${block.line}: unknown marker "${block.marker}"`);
  }
  return `${lines.join("\n")}\n`;
}

/** A copy of the checkout's tracked files (as they are in the working tree) in `dir`, sharing node_modules. */
function freshClone(dir: string): void {
  const files = spawnSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" });
  assert.equal(files.status, 0, `git ls-files: ${files.stderr}`);
  for (const file of files.stdout.split("\0")) {
    if (file === "" || !existsSync(join(ROOT, file))) continue;
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dir, file));
  }
  symlinkSync(realpathSync(join(ROOT, "node_modules")), join(dir, "node_modules"));
}

/** The environment of a reader's terminal: none of the variables the README's commands set, PORT given. */
function readerEnv(port: number): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port) };
  for (const name of ["EDGEPAY_URL", "EDGEPAY_CLIENT_ID", "EDGEPAY_CLIENT_SECRET", "OPERATOR_TOKEN", "TOKEN"]) {
    delete env[name];
  }
  return env;
}

/** Runs `bash -e -c code` in its own process group, its output into `log`. */
function bash(code: string, cwd: string, env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const out = openSync(log, "w");
  return spawn("bash", ["-e", "-c", code], { cwd, env, detached: true, stdio: ["ignore", out, out] });
}

/** Sends `signal` to the process group `child` leads (it and everything it started). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // the whole group is gone
  }
}

/** Polls `file` until `found(text)`, or fails after `ms` with the file's text. */
async function waitFor(file: string, found: (text: string) => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (found(readFileSync(file, "utf8"))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.fail(`${what} within ${ms / 1000} s; output:\n${readFileSync(file, "utf8").slice(-6000)}`);
}

describe("README.md Quick start, run as written", { timeout: 300_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), "edgepay-readme-"));
  const groups: ChildProcess[] = [];
  let port = 0;
  let origin = "";
  // The groups are detached, so a Ctrl-C of the run reaches this process only, and `after` does not
  // run when it is interrupted: stop them (and wrangler's workerd with them) and remove the copy here.
  const abandon = () => {
    for (const group of groups) signalGroup(group, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", abandon);
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      abandon();
      process.exit(130);
    });
  }

  before(async () => {
    freshClone(dir);
    port = await freePort();
    origin = `http://127.0.0.1:${port}`;
    const start = readmeBlocks(readFileSync(join(ROOT, "README.md"), "utf8")).find((b) => b.marker === "start");
    assert.ok(start, "README.md has a block marked <!-- readme-test: start -->");
    const code = start.code.replace(/^npm install && /, "");
    const server = bash(code, dir, readerEnv(port), join(dir, "start.log"));
    groups.push(server);
    const ready = `edgepay: ready on ${origin}`;
    await waitFor(join(dir, "start.log"), (t) => t.includes(ready) || server.exitCode !== null, 180_000, ready);
    assert.equal(server.exitCode, null, `npm start exited:\n${readFileSync(join(dir, "start.log"), "utf8")}`);
  });

  after(async () => {
    for (const group of groups) signalGroup(group, "SIGTERM");
    await new Promise((r) => setTimeout(r, 3000));
    for (const group of groups) signalGroup(group, "SIGKILL");
    groups.length = 0; // stopped: the exit handler signals nothing again
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });

  test("the marked blocks run in order with bash -e, each expected output appears, listen cleans up", async () => {
    const blocks = readmeBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
    assert.ok(blocks.length >= 4, `README.md has ${blocks.length} marked blocks`);
    const log = join(dir, "flow.log");
    writeFileSync(join(dir, "flow.sh"), flowScript(blocks));
    const flow = bash("source ./flow.sh", dir, { ...readerEnv(port), README_TEST_LOG: log }, log);
    groups.push(flow);
    const code = await new Promise<number | null>((resolve) => flow.once("exit", resolve));
    assert.equal(code, 0, `the README's commands failed:\n${readFileSync(log, "utf8").slice(-6000)}`);
    // What Ctrl-C (or `kill %1` in a terminal) does to the background `npm run listen`.
    signalGroup(flow, "SIGTERM");
    await waitFor(log, (t) => /Deleted we_\w+\./.test(t), 15_000, "npm run listen deleting its endpoint");
  });

  test("access tokens of the gateway on PORT carry its origin as issuer, and it accepts them", async () => {
    const creds = await createMerchant(origin, devVar("OPERATOR_TOKEN", join(dir, ".dev.vars")), "Issuer check");
    const token = await accessToken(origin, creds);
    const claims = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString("utf8")) as { iss: string };
    assert.equal(claims.iss, origin);
    const account = await fetch(`${origin}/v1/account`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(account.status, 200);
  });
});

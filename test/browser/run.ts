/**
 * `npm run test:browser [-- <filter>…] [--update-screenshots] [--verbose]`: the browser tests, in real
 * Chromium. Passing tests print nothing unless `--verbose`; failures print in full.
 * 1. Finds the system Chromium (test/browser/chromium.ts). Without one it skips with a message and
 *    exits 0, except under CI=true, where a missing Chromium fails the run.
 * 2. Starts the gateway under `wrangler dev` with fresh state and secrets (test/browser/gateway.ts).
 * 3. Launches Chromium headless through playwright-core and runs every exported function of
 *    test/browser/*.browser.ts (only those whose "file › name" contains a filter, when given), one at
 *    a time, each with its own browser contexts and a time limit.
 * 4. Always closes the browser and stops wrangler; exits 1 if any test failed.
 * Screenshots go to test/browser/out/ (git-ignored); `--update-screenshots` writes them to
 * docs/screenshots/ instead, the copies the README links.
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium } from "playwright-core";
import { findChromium } from "./chromium.ts";
import { type Gateway, startGateway } from "./gateway.ts";
import { type BrowserTestFn, browserTest } from "./harness.ts";

const HERE = fileURLToPath(new URL(".", import.meta.url));
const ROOT = join(HERE, "../..");
const TEST_TIMEOUT_MS = 60_000;
const args = process.argv.slice(2);
const screenshotDir = args.includes("--update-screenshots") ? join(ROOT, "docs/screenshots") : join(HERE, "out");
const filters = args.filter((a) => !a.startsWith("--"));
/** `--verbose`: a line per passing test too (failures always print in full). */
const verbose = args.includes("--verbose");

interface NamedTest {
  name: string;
  fn: BrowserTestFn;
}

async function collectTests(): Promise<NamedTest[]> {
  const tests: NamedTest[] = [];
  const files = readdirSync(HERE).filter((f) => f.endsWith(".browser.ts"));
  for (const file of files.sort()) {
    const mod = (await import(pathToFileURL(join(HERE, file)).href)) as Record<string, unknown>;
    for (const [name, fn] of Object.entries(mod)) {
      if (typeof fn === "function") tests.push({ name: `${file} › ${name}`, fn: fn as BrowserTestFn });
    }
  }
  return tests.filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const seconds = (since: number) => `${((performance.now() - since) / 1000).toFixed(1)} s`;

let gateway: Gateway | undefined;
let browser: Browser | undefined;
let cleaning: Promise<void> | undefined;
/** Closes the browser and stops wrangler; every caller waits for the one clean-up. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await browser?.close().catch(() => undefined);
    await gateway?.stop();
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\nbrowser tests: ${signal}, stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main(): Promise<number> {
  const executablePath = findChromium();
  if (!executablePath) {
    const hint = "install Chromium (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM_PATH";
    if (process.env.CI === "true") {
      console.error(`browser tests: FAILED, no Chromium found and CI=true; ${hint}`);
      return 1;
    }
    console.log(`browser tests: SKIPPED, no Chromium found; ${hint}`);
    return 0;
  }
  const tests = await collectTests();
  if (tests.length === 0) {
    console.error(`browser tests: no test matches ${filters.join(", ") || "(none in test/browser)"}`);
    return 1;
  }

  const started = performance.now();
  gateway = await startGateway();
  const gatewayStarted = seconds(started);
  // Chromium's sandbox cannot start as root or in many CI containers; the pages are the gateway's own.
  browser = await chromium.launch({ executablePath, headless: true, chromiumSandbox: false });
  console.log(
    `browser tests: ${tests.length} test(s) in Chromium ${browser.version()}; gateway on ${gateway.base} (wrangler dev, fresh state) in ${gatewayStarted}`,
  );

  let failed = 0;
  for (const { name, fn } of tests) {
    if (cleaning) break; // a signal is stopping the run
    const { test, close } = browserTest(browser, gateway, screenshotDir);
    const t0 = performance.now();
    try {
      await withTimeout(fn(test), TEST_TIMEOUT_MS);
      if (verbose) console.log(`  ✔ ${name} (${seconds(t0)})`);
    } catch (err) {
      if (cleaning) break; // failed because the signal closed the browser and wrangler
      failed++;
      console.log(`  ✘ ${name} (${seconds(t0)})`);
      console.log(`    ${((err as Error).stack ?? String(err)).split("\n").join("\n    ")}`);
    } finally {
      await close();
    }
  }
  if (cleaning) return 130;
  if (failed > 0) console.log(`wrangler output (last lines):\n${gateway.log().split("\n").slice(-30).join("\n")}`);
  console.log(
    `browser tests: ${tests.length - failed} passed, ${failed} failed in ${seconds(started)}; screenshots in ${screenshotDir}`,
  );
  return failed > 0 ? 1 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`browser tests: ${(err as Error).stack ?? err}`);
} finally {
  await cleanup();
}
process.exit(code);

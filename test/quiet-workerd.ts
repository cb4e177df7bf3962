/**
 * vitest global setup (main process): workerd's own diagnostics that tests provoke on purpose are
 * not printed. The pool writes each of workerd's reports ("uncaught exception; …" with its
 * stack, "console warning; …") to this process's stderr in one write; one that matches an expected
 * kind below is swallowed, and any other is printed as before, so a new unhandled rejection still
 * shows. TEST_LOGS=1 prints them all. The gateway's own JSON log lines are handled by `onConsoleLog`
 * in vitest.config.ts.
 */

/** The start of a workerd report, as the pool writes it. */
const REPORT = /^(uncaught exception; |console warning; |stack: \/)/;

/** What tests provoke on purpose, and which test does. */
const EXPECTED: readonly { pattern: RegExp; why: string }[] = [
  // test/fraud/screen-failures.test.ts breaks a RiskCounter's storage; the plugin's RPC wrapper also
  // reports the method's rejection, which the gateway handles (fraud_screen_unavailable).
  { pattern: /no such table: attempts/, why: "a RiskCounter whose table a test dropped" },
  // test/routes/health.test.ts points the gate binding at a class without `ping` (503 degraded).
  { pattern: /does not implement "ping"/, why: "the health check against a class without ping" },
  // test/middleware/body-limits.test.ts errors a request body's stream mid-read (a 400, never a 500).
  { pattern: /jsg\.Error: boom$/m, why: "a request body stream a test breaks" },
  // Tests reading a form request they built as text.
  { pattern: /Called \.text\(\) on an HTTP body which does not appear to be text/, why: "a test reading a form body" },
  // workerd's native frames, printed after a report above.
  { pattern: /^stack: \/\S+workerd@/, why: "the native stack of a report above" },
];

/** Wraps `stream.write` to drop an expected report; returns what puts the original back. */
function filter(stream: NodeJS.WriteStream): () => void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
    if (REPORT.test(text) && EXPECTED.some((e) => e.pattern.test(text))) return true;
    return write(chunk, ...rest);
  }) as typeof stream.write;
  return () => {
    stream.write = write;
  };
}

/** Installs the filter on stdout and stderr for the run (the pool writes a report to either, by its level). */
export default function setup(): () => void {
  if (process.env.TEST_LOGS === "1") return () => undefined;
  const restore = [filter(process.stdout), filter(process.stderr)];
  return () => {
    for (const undo of restore) undo();
  };
}

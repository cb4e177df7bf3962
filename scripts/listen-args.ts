/** Arguments of `npm run listen` (scripts/listen.ts), parsed without side effects so node:test can check them. */
import { parseArgs } from "node:util";

/** What `npm run listen` was asked to do. */
export interface ListenArgs {
  /** Where each delivery is forwarded (http or https URL); undefined: only print. */
  forwardTo: string | undefined;
  /** Event types the temporary endpoint listens for (`*` for all). */
  events: string[];
}

/** The usage line printed with every argument error. */
export const LISTEN_USAGE =
  "usage: npm run listen -- [--forward-to http://127.0.0.1:3000/webhook] [--events payment_intent.succeeded,refund.created]";

/** Parses `--forward-to URL` (or `-f`) and `--events a,b` (default `*`); throws with the usage on anything else. */
export function parseListenArgs(argv: string[]): ListenArgs {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${LISTEN_USAGE}`);
  }
  const { values } = parsed;
  const forwardTo = values["forward-to"];
  if (forwardTo !== undefined) {
    let url: URL;
    try {
      url = new URL(forwardTo);
    } catch {
      throw new Error(`--forward-to must be an absolute http(s) URL\n${LISTEN_USAGE}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new Error(`--forward-to must be an absolute http(s) URL\n${LISTEN_USAGE}`);
    }
  }
  const events = (values.events ?? "*")
    .split(/[\s,]+/)
    .map((e) => e.trim())
    .filter((e) => e !== "");
  if (events.length === 0) throw new Error(`--events names no event type\n${LISTEN_USAGE}`);
  return { forwardTo, events };
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: false,
    strict: true,
    options: { "forward-to": { type: "string", short: "f" }, events: { type: "string" } },
  });
}

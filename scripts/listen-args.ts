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

/** What `npm run listen -- --help` prints. */
export const LISTEN_HELP = `${LISTEN_USAGE}

Registers a temporary webhook endpoint for a merchant, prints its whsec_ signing secret and one line per
delivered event, forwards each delivery unchanged to --forward-to (if given), and deletes the endpoint on Ctrl-C.
  --forward-to URL, -f URL   your app's webhook URL; the gateway sees your app's status (retries apply)
  --events a,b               event types to listen for (default: * for all)

The merchant is EDGEPAY_CLIENT_ID and EDGEPAY_CLIENT_SECRET (set by
eval "$(npm run -s merchant -- create --name Acme --shell)"), else the demo merchant of npm start (.dev-merchant.json).
The gateway is EDGEPAY_URL, else http://127.0.0.1:$PORT (a local PORT=… npm start), else http://127.0.0.1:8787.`;

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

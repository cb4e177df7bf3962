/**
 * `npm run listen -- --forward-to http://127.0.0.1:3000/webhook` (like `stripe listen`): receives
 * the local gateway's webhooks and forwards them to your app.
 * 1. Gets an access token for the client in EDGEPAY_CLIENT_ID / EDGEPAY_CLIENT_SECRET, else for the
 *    demo merchant `npm start` seeded (.dev-merchant.json), from the gateway of scripts/gateway-url.ts
 *    (EDGEPAY_URL, else the local one on PORT, else 8787).
 * 2. Listens on 127.0.0.1 on a free port and registers a temporary webhook endpoint pointing there
 *    (test mode allows http://127.0.0.1), for `*` or the types given with --events.
 * 3. Prints the endpoint's `whsec_` secret: configure your app with it to verify signatures.
 * 4. Forwards every delivery unchanged (raw body, Stripe-Signature and webhook-* headers) and
 *    answers the gateway with your app's status, so its retries apply; prints one line per event.
 * 5. Deletes the endpoint on Ctrl-C.
 */
import { existsSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { DEMO_FILE } from "./demo-merchant.ts";
import { gatewayFetch, gatewayUrl, wantsHelp } from "./gateway-url.ts";
import { LISTEN_HELP, parseListenArgs } from "./listen-args.ts";
import { accessToken, type MerchantCredentials } from "./operator-client.ts";

/** Headers a delivery carries that the receiving app needs, forwarded as they came. */
const FORWARDED = [
  "content-type",
  "user-agent",
  "stripe-signature",
  "webhook-id",
  "webhook-timestamp",
  "webhook-signature",
];

function credentials(): Pick<MerchantCredentials, "clientId" | "clientSecret"> {
  const { EDGEPAY_CLIENT_ID: clientId, EDGEPAY_CLIENT_SECRET: clientSecret } = process.env;
  if (clientId && clientSecret) return { clientId, clientSecret };
  if (!existsSync(DEMO_FILE)) {
    throw new Error(
      `${DEMO_FILE} not found: run \`npm start\` first, or set EDGEPAY_CLIENT_ID and EDGEPAY_CLIENT_SECRET`,
    );
  }
  return JSON.parse(readFileSync(DEMO_FILE, "utf8")) as MerchantCredentials;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (wantsHelp(argv)) {
    console.log(LISTEN_HELP);
    return;
  }
  const args = parseListenArgs(argv);
  const base = gatewayUrl();
  const creds = credentials();

  const server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      let type = "?";
      let id = "?";
      try {
        const event = JSON.parse(body.toString("utf8")) as { id?: string; type?: string };
        type = event.type ?? type;
        id = event.id ?? id;
      } catch {
        // not JSON: forwarded as it is
      }
      let status = 200;
      let shown = "ok";
      if (args.forwardTo) {
        const headers: Record<string, string> = {};
        for (const name of FORWARDED) {
          const value = req.headers[name];
          if (typeof value === "string") headers[name] = value;
        }
        try {
          const answer = await fetch(args.forwardTo, {
            method: "POST",
            headers,
            body: new Uint8Array(body),
            redirect: "manual",
            signal: AbortSignal.timeout(9_000),
          });
          status = answer.status;
          shown = String(status);
          await answer.arrayBuffer().catch(() => undefined);
        } catch (err) {
          status = 502;
          shown = `failed (${err instanceof Error ? err.name : "error"})`;
        }
      }
      console.log(`${new Date().toISOString()}  ${type}  ${id}  -> ${shown}`);
      res.writeHead(status, { "content-type": "text/plain" });
      res.end();
    })().catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  const token = await accessToken(base, creds);
  const form = new URLSearchParams({ url: `http://127.0.0.1:${port}/`, description: "npm run listen" });
  for (const [i, e] of args.events.entries()) form.set(`enabled_events[${i}]`, e);
  const created = await gatewayFetch(base, "/v1/webhook_endpoints", {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/x-www-form-urlencoded" },
    body: form.toString(),
  });
  if (!created.ok) throw new Error(`creating the endpoint: ${created.status} ${await created.text()}`);
  const endpoint = (await created.json()) as { id: string; secret: string };
  console.log(`Ready! Your webhook signing secret is ${endpoint.secret} (${endpoint.id}, ${args.events.join(",")})`);
  console.log(
    args.forwardTo
      ? `Forwarding events from ${base} to ${args.forwardTo}. Ctrl-C to stop.`
      : `Printing events from ${base} (add --forward-to URL to forward them). Ctrl-C to stop.`,
  );

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    try {
      // A fresh token: the first one may have expired while listening.
      const fresh = await accessToken(base, creds);
      const res = await gatewayFetch(base, `/v1/webhook_endpoints/${endpoint.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${fresh}` },
      });
      console.log(res.ok ? `Deleted ${endpoint.id}.` : `Could not delete ${endpoint.id}: ${res.status}`);
    } catch (err) {
      console.error(`Could not delete ${endpoint.id}: ${err instanceof Error ? err.message : String(err)}`);
    }
    server.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void stop());
  process.on("SIGTERM", () => void stop());
}

try {
  await main();
} catch (err) {
  console.error(`listen: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}

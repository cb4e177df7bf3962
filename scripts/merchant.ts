/**
 * `npm run merchant -- create --name "Acme" [--scopes "payments:read payments:write"] [--json | --shell]`:
 * creates a merchant and an API client on the running gateway through the operator API, and prints
 * the new credentials. The client secret is shown only here. `--shell` prints `export` lines for
 * `eval "$(npm run -s merchant -- create --name Acme --shell)"` (EDGEPAY_URL, EDGEPAY_MERCHANT_ID,
 * EDGEPAY_CLIENT_ID, EDGEPAY_CLIENT_SECRET: what `npm run listen` and the README's commands use).
 * The gateway is EDGEPAY_URL, else the local `npm start` on PORT, else 8787 (scripts/gateway-url.ts);
 * the credential is OPERATOR_TOKEN (root or a named operator's `eop_…` secret), else .dev.vars.
 */
import { parseArgs } from "node:util";
import { gatewayUrl, wantsHelp } from "./gateway-url.ts";
import {
  createMerchant,
  describeCredentials,
  type MerchantCredentials,
  operatorCredential,
} from "./operator-client.ts";

const USAGE = `usage: npm run merchant -- create --name "Acme" [--scopes "payments:read refunds:write"] [--json | --shell]

Creates a merchant and an API client on the running gateway and prints the credentials (the secret only once).
  --scopes "a b"  the client's scopes (default: all)
  --json          the credentials as JSON (with npm run -s, nothing else is printed)
  --shell         export lines for eval "$(npm run -s merchant -- create --name Acme --shell)":
                  EDGEPAY_URL, EDGEPAY_MERCHANT_ID, EDGEPAY_CLIENT_ID, EDGEPAY_CLIENT_SECRET

The gateway is EDGEPAY_URL, else http://127.0.0.1:$PORT (a local PORT=… npm start), else http://127.0.0.1:8787.
The operator credential is OPERATOR_TOKEN, else the root token in .dev.vars (written by npm start).`;

/** A value single-quoted for a POSIX shell. */
function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** `export` lines that set the credentials (and the gateway) in the calling shell. */
function shellExports(base: string, creds: MerchantCredentials): string {
  const vars: [string, string][] = [
    ["EDGEPAY_URL", base],
    ["EDGEPAY_MERCHANT_ID", creds.merchantId],
    ["EDGEPAY_CLIENT_ID", creds.clientId],
    ["EDGEPAY_CLIENT_SECRET", creds.clientSecret],
  ];
  return vars.map(([k, v]) => `export ${k}=${shellQuote(v)}`).join("\n");
}

async function main(argv: string[]): Promise<number> {
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return 0;
  }
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: "string" },
      scopes: { type: "string" },
      json: { type: "boolean", default: false },
      shell: { type: "boolean", default: false },
    },
  });
  if (positionals[0] !== "create" || positionals.length > 1 || !values.name || (values.json && values.shell)) {
    console.error(USAGE);
    return 2;
  }
  const base = gatewayUrl();
  const token = operatorCredential();
  const scopes = values.scopes?.split(/[\s,]+/).filter((s) => s !== "");
  const creds = await createMerchant(base, token, values.name, scopes);
  if (values.json) {
    console.log(JSON.stringify(creds, null, 2));
  } else if (values.shell) {
    console.log(shellExports(base, creds));
  } else {
    console.log(`Created merchant on ${base}. Save the secret now: it is not shown again.\n`);
    console.log(describeCredentials(base, creds));
  }
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  const usage = err instanceof TypeError && "code" in err && String(err.code).startsWith("ERR_PARSE_ARGS");
  console.error(`merchant: ${message}${usage ? `\n${USAGE}` : ""}`);
  process.exitCode = usage ? 2 : 1;
}

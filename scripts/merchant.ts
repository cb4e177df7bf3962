/**
 * `npm run merchant -- create --name "Acme" [--scopes "payments:read payments:write"] [--json]`:
 * creates a merchant and an API client on the running local gateway (`npm start`) through the
 * operator API, and prints the new credentials. The client secret is shown only here.
 * Set EDGEPAY_URL to target another gateway (with OPERATOR_TOKEN, root or a named operator's
 * `eop_…` secret, in the environment).
 */
import { parseArgs } from "node:util";
import { createMerchant, describeCredentials, gatewayUrl, operatorCredential } from "./operator-client.ts";

const USAGE = 'usage: npm run merchant -- create --name "Acme" [--scopes "payments:read refunds:write"] [--json]';

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: "string" }, scopes: { type: "string" }, json: { type: "boolean", default: false } },
  });
  if (positionals[0] !== "create" || !values.name) {
    console.error(USAGE);
    process.exit(2);
  }
  const base = gatewayUrl();
  const token = operatorCredential();
  const scopes = values.scopes?.split(/[\s,]+/).filter((s) => s !== "");
  const creds = await createMerchant(base, token, values.name, scopes);
  if (values.json) {
    console.log(JSON.stringify(creds, null, 2));
  } else {
    console.log(`Created merchant on ${base}. Save the secret now: it is not shown again.\n`);
    console.log(describeCredentials(base, creds));
  }
}

try {
  await main();
} catch (err) {
  console.error(`merchant: ${err instanceof Error ? err.message : String(err)}`);
  console.error("Is the gateway running (`npm start`)?");
  process.exit(1);
}

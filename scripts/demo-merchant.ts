/**
 * `npm start` step: make sure a demo merchant with an API client exists, and print its
 * credentials. They are kept in .dev-merchant.json (git-ignored, mode 0600) and re-created only
 * when they stop working, e.g. after the local D1 was wiped.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import {
  createMerchant,
  credentialsWork,
  describeCredentials,
  devVar,
  type MerchantCredentials,
} from "./operator-client.ts";

/** Where the demo credentials are kept between restarts. */
export const DEMO_FILE = ".dev-merchant.json";

/** Seeds (once) and prints the demo merchant; an AfterStart step of scripts/dev.ts. */
export async function seedDemoMerchant(base: string): Promise<void> {
  let creds: MerchantCredentials | undefined;
  if (existsSync(DEMO_FILE)) {
    try {
      creds = JSON.parse(readFileSync(DEMO_FILE, "utf8")) as MerchantCredentials;
    } catch {
      creds = undefined;
    }
    if (creds && !(await credentialsWork(base, creds))) creds = undefined;
  }
  if (!creds) {
    creds = await createMerchant(base, devVar("OPERATOR_TOKEN"), "Demo merchant");
    writeFileSync(DEMO_FILE, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
    console.log(`edgepay: created a demo merchant (saved in ${DEMO_FILE})`);
  }
  console.log(`edgepay: demo merchant credentials\n${describeCredentials(base, creds)}\n`);
}

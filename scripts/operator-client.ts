/**
 * A tiny client of the local gateway's operator API and token endpoint, shared by `npm start`
 * (demo merchant) and `npm run merchant`. It reads OPERATOR_TOKEN from .dev.vars.
 */
import { existsSync, readFileSync } from "node:fs";

/** Credentials of a merchant's API client, as printed to the developer. */
export interface MerchantCredentials {
  merchantId: string;
  name: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

/** Reads one variable from .dev.vars (written by `npm start`); throws with a hint when missing. */
export function devVar(name: string, file = ".dev.vars"): string {
  if (!existsSync(file)) throw new Error(`${file} not found: run \`npm start\` once to create it`);
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const match = /^\s*([A-Z0-9_]+)\s*=\s*(.*)\s*$/.exec(line);
    if (match?.[1] === name) return (match[2] ?? "").replace(/^'(.*)'$|^"(.*)"$/, "$1$2");
  }
  throw new Error(`${name} is not set in ${file}`);
}

async function operatorPost<T>(base: string, operatorToken: string, path: string, body: object): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Creates a merchant and one API client through the operator API. */
export async function createMerchant(
  base: string,
  operatorToken: string,
  name: string,
  scopes?: string[],
): Promise<MerchantCredentials> {
  const merchant = await operatorPost<{ id: string; name: string }>(base, operatorToken, "/admin/v1/merchants", {
    name,
  });
  const client = await operatorPost<{ id: string; client_secret: string; scopes: string[] }>(
    base,
    operatorToken,
    `/admin/v1/merchants/${merchant.id}/clients`,
    scopes ? { scopes } : {},
  );
  return {
    merchantId: merchant.id,
    name: merchant.name,
    clientId: client.id,
    clientSecret: client.client_secret,
    scopes: client.scopes,
  };
}

/** True when the credentials still obtain a token (false after the local database was reset). */
export async function credentialsWork(base: string, creds: MerchantCredentials): Promise<boolean> {
  const res = await fetch(`${base}/v1/oauth/token`, {
    method: "POST",
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(creds.clientId)}:${encodeURIComponent(creds.clientSecret)}`).toString("base64")}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  return res.ok;
}

/** Human-readable credentials with ready-to-paste curl commands for a token and a first call. */
export function describeCredentials(base: string, creds: MerchantCredentials): string {
  return [
    `  merchant       ${creds.merchantId} (${creds.name})`,
    `  client_id      ${creds.clientId}`,
    `  client_secret  ${creds.clientSecret}`,
    `  scopes         ${creds.scopes.join(" ")}`,
    "",
    "  Get an access token:",
    `    curl -s -u '${creds.clientId}:${creds.clientSecret}' -d grant_type=client_credentials ${base}/v1/oauth/token`,
    "  Then call the API with it:",
    `    curl -s -H "Authorization: Bearer <access_token>" ${base}/v1/account`,
  ].join("\n");
}

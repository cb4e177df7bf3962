/**
 * A tiny client of the local gateway's operator API and token endpoint, shared by `npm start`
 * (demo merchant), `npm run merchant` and `npm run operator`. The credential is OPERATOR_TOKEN from
 * the environment (the root token or a named operator's `eop_…` secret), else from .dev.vars.
 * The gateway's URL comes from scripts/gateway-url.ts (EDGEPAY_URL, else PORT, else 8787).
 */
import { existsSync, readFileSync } from "node:fs";
import { gatewayFetch } from "./gateway-url.ts";

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

/** The operator credential: OPERATOR_TOKEN from the environment, else from .dev.vars. */
export function operatorCredential(): string {
  return process.env.OPERATOR_TOKEN ?? devVar("OPERATOR_TOKEN");
}

/** One operator API call (a POST with a JSON body when `body` is given, else a GET); throws on a non-2xx. */
export async function operatorCall<T>(base: string, operatorToken: string, path: string, body?: object): Promise<T> {
  const res = await gatewayFetch(base, path, {
    method: body === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${operatorToken}`, "content-type": "application/json" },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  if (!res.ok)
    throw new Error(`${body === undefined ? "GET" : "POST"} ${base}${path} failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const operatorPost = <T>(base: string, token: string, path: string, body: object) =>
  operatorCall<T>(base, token, path, body);

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

/** The token endpoint's answer to the client credentials grant of `creds` (sent in the body). */
function requestToken(base: string, creds: Pick<MerchantCredentials, "clientId" | "clientSecret">) {
  return gatewayFetch(base, "/v1/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      client_id: creds.clientId,
      client_secret: creds.clientSecret,
    }).toString(),
  });
}

/** An access token for `creds`; throws with the gateway's answer when it refuses. */
export async function accessToken(
  base: string,
  creds: Pick<MerchantCredentials, "clientId" | "clientSecret">,
): Promise<string> {
  const res = await requestToken(base, creds);
  if (!res.ok) throw new Error(`token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}

/** True when the credentials still obtain a token (false after the local database was reset). */
export async function credentialsWork(base: string, creds: MerchantCredentials): Promise<boolean> {
  return (await requestToken(base, creds)).ok;
}

/** A shell filter that prints the `access_token` of the token endpoint's JSON (no jq: not on macOS by default). */
export const ACCESS_TOKEN_OF_JSON = `node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).access_token'`;

/** Human-readable credentials with ready-to-paste curl commands for a token and a first call. */
export function describeCredentials(base: string, creds: MerchantCredentials): string {
  return [
    `  merchant       ${creds.merchantId} (${creds.name})`,
    `  client_id      ${creds.clientId}`,
    `  client_secret  ${creds.clientSecret}`,
    `  scopes         ${creds.scopes.join(" ")}`,
    "",
    "  Get an access token into $TOKEN, then call the API with it:",
    `    TOKEN=$(curl -s -u '${creds.clientId}:${creds.clientSecret}' -d grant_type=client_credentials ${base}/v1/oauth/token | ${ACCESS_TOKEN_OF_JSON})`,
    `    curl -s -H "Authorization: Bearer $TOKEN" ${base}/v1/account`,
  ].join("\n");
}

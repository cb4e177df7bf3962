/**
 * Test merchants: `newMerchant()` creates a merchant with one API client and an access token, and
 * `tokenFor()` mints a token with chosen scopes for an existing merchant's client.
 */
import { env } from "cloudflare:workers";
import { accessTokenTtl, signAccessToken, tokenConfig } from "../../src/crypto/jwt";
import { generateClientSecret, hashClientSecret } from "../../src/crypto/secrets";
import { getDb } from "../../src/db/client";
import { insertClient, insertMerchant, nowSeconds } from "../../src/db/merchants";
import { SCOPES } from "../../src/domain/scopes";
import { newId } from "../../src/lib/ids";

/** A merchant created for a test, with credentials ready to use. */
export interface TestMerchant {
  merchantId: string;
  clientId: string;
  clientSecret: string;
  /** An access token carrying the client's scopes. */
  token: string;
  /** `{ authorization: "Bearer <token>" }`. */
  headers: { authorization: string };
}

/** Creates an active merchant and client (all scopes unless `scopes` is given) and a token for it. */
export async function newMerchant(opts: { name?: string; scopes?: readonly string[] } = {}): Promise<TestMerchant> {
  const db = getDb(env);
  const merchantId = newId("mer");
  const clientId = newId("cli");
  const clientSecret = generateClientSecret();
  const scopes = opts.scopes ?? SCOPES;
  const created = nowSeconds();
  await db.batch([
    insertMerchant(db, { id: merchantId, name: opts.name ?? "Test merchant", created }),
    insertClient(db, {
      clientId,
      merchantId,
      secretHash: await hashClientSecret(env.CLIENT_SECRET_PEPPER, clientSecret),
      scopes: scopes.join(" "),
      created,
    }),
  ]);
  const token = await mint(merchantId, clientId, scopes);
  return { merchantId, clientId, clientSecret, token, headers: { authorization: `Bearer ${token}` } };
}

/** A fresh token for the merchant's client carrying exactly `scopes`, with its Authorization header. */
export async function tokenFor(
  merchant: Pick<TestMerchant, "merchantId" | "clientId">,
  scopes: readonly string[],
): Promise<{ token: string; headers: { authorization: string } }> {
  const token = await mint(merchant.merchantId, merchant.clientId, scopes);
  return { token, headers: { authorization: `Bearer ${token}` } };
}

async function mint(merchantId: string, clientId: string, scopes: readonly string[]): Promise<string> {
  return signAccessToken(await tokenConfig(env), { merchantId, clientId, scopes, ttlSeconds: accessTokenTtl(env) });
}

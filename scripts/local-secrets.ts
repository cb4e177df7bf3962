/**
 * Random secrets for local development and tests, in the formats the Worker expects.
 * `npm start` writes them to .dev.vars; vitest.config.ts passes fresh ones to every test run.
 */
import { randomBytes } from "node:crypto";
import { exportJWK, generateKeyPair } from "jose";

/** Names and values of every secret declared in wrangler.toml's `[secrets] required`. */
export interface LocalSecrets {
  OPERATOR_TOKEN: string;
  JWT_SIGNING_KEYS: string;
  CLIENT_SECRET_PEPPER: string;
  VAULT_KEKS: string;
  FINGERPRINT_KEY: string;
}

/** 32 random bytes, base64url, for HMAC and AES keys. */
export function randomKey(): string {
  return randomBytes(32).toString("base64url");
}

/** A fresh ES256 private JWK with a `kid`, as stored in JWT_SIGNING_KEYS. */
export async function newSigningJwk(kid = `k${Date.now().toString(36)}${randomBytes(3).toString("hex")}`) {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256", use: "sig" };
}

/** Generates one complete set of local secrets. */
export async function generateLocalSecrets(): Promise<LocalSecrets> {
  return {
    OPERATOR_TOKEN: `op_${randomKey()}`,
    JWT_SIGNING_KEYS: JSON.stringify([await newSigningJwk()]),
    CLIENT_SECRET_PEPPER: randomKey(),
    VAULT_KEKS: JSON.stringify([{ version: 1, key: randomKey() }]),
    FINGERPRINT_KEY: randomKey(),
  };
}

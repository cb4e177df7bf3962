/** Fresh ES256 signing keys in the JWT_SIGNING_KEYS format, for rotation and forgery tests. */
import { exportJWK, generateKeyPair, type JWK } from "jose";

/** A new private ES256 JWK with the given `kid`. */
export async function signingJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("ES256", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "ES256" };
}

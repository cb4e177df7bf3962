/**
 * Access tokens: RFC 9068 JWTs signed with ES256 (jose).
 *
 * JWT_SIGNING_KEYS is a JSON array of private ES256 JWKs, each with a unique `kid`. The first key
 * signs; every key verifies, so a key can be rotated without downtime (README, "Key rotation").
 * Parsed keys are cached per isolate, keyed by the secret string itself, so a changed secret is
 * picked up on the next request and the JSON is parsed once per isolate otherwise.
 */
import {
  type CryptoKey,
  errors,
  importJWK,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
  SignJWT,
} from "jose";

/** The only signature algorithm edgepay issues or accepts. */
export const ACCESS_TOKEN_ALG = "ES256";
/** The `typ` header of access tokens (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = "at+jwt";
/** Longest access-token lifetime the configuration may ask for, in seconds. */
export const MAX_ACCESS_TOKEN_TTL = 3600;
/** Seconds of clock skew tolerated on `exp`, `nbf` and `iat`. */
export const CLOCK_TOLERANCE_SECONDS = 5;
const REQUIRED_CLAIMS = ["exp", "iat", "jti", "sub", "client_id"];

/** One configured key: its id, the private key (signing) and public key (verifying), plus the public JWK. */
interface LoadedKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  publicJwk: JWK;
}

/** The parsed signing-key set: `signer` is the first key; `byKid` holds all of them. */
export interface KeySet {
  signer: LoadedKey;
  byKid: ReadonlyMap<string, LoadedKey>;
}

/** The settings access tokens are issued and checked under (from wrangler.toml vars and secrets). */
export interface TokenConfig {
  issuer: string;
  audience: string;
  keys: KeySet;
}

/** Claims of a verified access token that the gateway relies on. */
export interface AccessClaims {
  merchantId: string;
  clientId: string;
  scopes: string[];
  tokenId: string;
  expiresAt: number;
}

/** What to put in a new access token. */
export interface IssueRequest {
  merchantId: string;
  clientId: string;
  scopes: readonly string[];
  ttlSeconds: number;
}

let cached: { secret: string; keys: Promise<KeySet> } | undefined;

/** Parses and imports JWT_SIGNING_KEYS, once per isolate per distinct secret value. Throws on a bad secret. */
export function loadKeySet(secret: string): Promise<KeySet> {
  if (cached?.secret !== secret) {
    const keys = importKeySet(secret);
    cached = { secret, keys };
    // Do not cache a failure: the next request retries (and fails loudly again).
    keys.catch(() => {
      if (cached?.keys === keys) cached = undefined;
    });
  }
  return cached.keys;
}

/** Imports a JSON array of private ES256 JWKs without caching; tests use it for explicit key sets. */
export async function importKeySet(secret: string): Promise<KeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(secret);
  } catch {
    throw new Error("JWT_SIGNING_KEYS is not valid JSON");
  }
  if (!Array.isArray(parsed) || parsed.length === 0) {
    throw new Error("JWT_SIGNING_KEYS must be a non-empty JSON array of private ES256 JWKs");
  }
  const byKid = new Map<string, LoadedKey>();
  for (const [i, item] of parsed.entries()) {
    const jwk = item as JWK;
    if (jwk === null || typeof jwk !== "object" || jwk.kty !== "EC" || jwk.crv !== "P-256" || !jwk.d) {
      throw new Error(`JWT_SIGNING_KEYS[${i}] is not a private P-256 EC JWK`);
    }
    if (typeof jwk.kid !== "string" || jwk.kid === "" || byKid.has(jwk.kid)) {
      throw new Error(`JWT_SIGNING_KEYS[${i}] needs a unique, non-empty kid`);
    }
    if (jwk.alg !== undefined && jwk.alg !== ACCESS_TOKEN_ALG)
      throw new Error(`JWT_SIGNING_KEYS[${i}] alg must be ES256`);
    const publicJwk: JWK = {
      kty: "EC",
      crv: "P-256",
      x: jwk.x,
      y: jwk.y,
      kid: jwk.kid,
      alg: ACCESS_TOKEN_ALG,
      use: "sig",
    };
    const [privateKey, publicKey] = await Promise.all([
      importJWK({ ...jwk, alg: ACCESS_TOKEN_ALG }, ACCESS_TOKEN_ALG),
      importJWK(publicJwk, ACCESS_TOKEN_ALG),
    ]);
    byKid.set(jwk.kid, {
      kid: jwk.kid,
      privateKey: privateKey as CryptoKey,
      publicKey: publicKey as CryptoKey,
      publicJwk,
    });
  }
  const signer = byKid.values().next().value as LoadedKey;
  return { signer, byKid };
}

/** The public half of every configured key, as served at `/.well-known/jwks.json`. */
export function publicJwks(keys: KeySet): { keys: JWK[] } {
  return { keys: [...keys.byKid.values()].map((k) => ({ ...k.publicJwk })) };
}

/** Builds the token configuration from the Worker environment. */
export async function tokenConfig(
  env: Pick<Env, "JWT_SIGNING_KEYS" | "JWT_ISSUER" | "JWT_AUDIENCE">,
): Promise<TokenConfig> {
  return { issuer: env.JWT_ISSUER, audience: env.JWT_AUDIENCE, keys: await loadKeySet(env.JWT_SIGNING_KEYS) };
}

/** Parses ACCESS_TOKEN_TTL: an integer number of seconds between 1 and 3600. Throws on a bad value. */
export function accessTokenTtl(env: Pick<Env, "ACCESS_TOKEN_TTL">): number {
  const ttl = Number(env.ACCESS_TOKEN_TTL);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_ACCESS_TOKEN_TTL) {
    throw new Error(`ACCESS_TOKEN_TTL must be an integer from 1 to ${MAX_ACCESS_TOKEN_TTL}`);
  }
  return ttl;
}

/** Signs an RFC 9068 access token with the first configured key. */
export async function signAccessToken(
  config: TokenConfig,
  req: IssueRequest,
  now = Math.floor(Date.now() / 1000),
): Promise<string> {
  const { signer } = config.keys;
  return new SignJWT({ client_id: req.clientId, scope: req.scopes.join(" ") })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: ACCESS_TOKEN_TYP, kid: signer.kid })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject(req.merchantId)
    .setIssuedAt(now)
    .setExpirationTime(now + req.ttlSeconds)
    .setJti(crypto.randomUUID())
    .sign(signer.privateKey);
}

/** Why a token was refused; callers turn every reason into one generic client message. */
export type VerifyFailure = "expired" | "invalid";

/** Result of verifying an access token. */
export type VerifyResult = { ok: true; claims: AccessClaims } | { ok: false; reason: VerifyFailure };

/**
 * Verifies an access token: ES256 only, the key chosen by `kid` from the configured set (an unknown
 * or missing kid fails), exact issuer and audience, `typ: at+jwt`, required claims, small clock
 * tolerance; `now` (unix seconds) is the time it is checked at.
 */
export async function verifyAccessToken(
  config: TokenConfig,
  token: string,
  now = Math.floor(Date.now() / 1000),
): Promise<VerifyResult> {
  const getKey: JWTVerifyGetKey = (header) => {
    const key = typeof header.kid === "string" ? config.keys.byKid.get(header.kid) : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  };
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, getKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: config.issuer,
      audience: config.audience,
      typ: ACCESS_TOKEN_TYP,
      requiredClaims: REQUIRED_CLAIMS,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now * 1000),
    }));
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (err instanceof errors.JOSEError || err instanceof TypeError) return { ok: false, reason: "invalid" };
    throw err;
  }
  const { sub, client_id: clientId, scope, jti, exp } = payload;
  if (typeof sub !== "string" || typeof clientId !== "string" || typeof jti !== "string" || typeof exp !== "number") {
    return { ok: false, reason: "invalid" };
  }
  if (scope !== undefined && typeof scope !== "string") return { ok: false, reason: "invalid" };
  const scopes = scope ? scope.split(" ").filter((s) => s !== "") : [];
  return { ok: true, claims: { merchantId: sub, clientId, scopes, tokenId: jti, expiresAt: exp } };
}

/**
 * Operator dashboard sessions: short-lived ES256 JWTs (jose) signed with the access-token keys
 * (JWT_SIGNING_KEYS) but with their own audience and `typ`, so a session is never an access token
 * and an access token is never a session. `sub` is the operator (`opr_…` or `root`); `cred` is a
 * tag of the credential that logged in, so a session ends when that credential changes. The
 * session never holds the operator's secret. Both functions take `now` (unix seconds).
 */
import { errors, type JWTVerifyGetKey, jwtVerify, SignJWT } from "jose";
import { ACCESS_TOKEN_ALG, CLOCK_TOLERANCE_SECONDS, type KeySet } from "./jwt";

/** The `aud` of every dashboard session. */
export const DASHBOARD_AUDIENCE = "edgepay-dashboard";
/** The `typ` header of a dashboard session. */
export const DASHBOARD_SESSION_TYP = "edgepay-dashboard+jwt";
/** How long a session lasts, in seconds (the cookie's Max-Age too). */
export const DASHBOARD_SESSION_TTL = 900;

/** What a session is signed and checked with: the issuer (JWT_ISSUER) and the signing keys. */
export interface SessionConfig {
  issuer: string;
  keys: KeySet;
}

/** What a verified session says. */
export interface SessionClaims {
  /** `opr_…` or `root`. */
  operatorId: string;
  /** The tag of the credential it was opened with (see middleware/operator-auth.ts). */
  credential: string;
  expiresAt: number;
}

/** A verified session, or why not; callers answer every failure with the same 401. */
export type SessionResult = { ok: true; claims: SessionClaims } | { ok: false; reason: "expired" | "invalid" };

/** Signs a session for `operatorId` opened with the credential tagged `credential`, valid DASHBOARD_SESSION_TTL seconds from `now`. */
export function signDashboardSession(
  config: SessionConfig,
  session: { operatorId: string; credential: string },
  now: number,
): Promise<string> {
  const { signer } = config.keys;
  return new SignJWT({ cred: session.credential })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALG, typ: DASHBOARD_SESSION_TYP, kid: signer.kid })
    .setIssuer(config.issuer)
    .setAudience(DASHBOARD_AUDIENCE)
    .setSubject(session.operatorId)
    .setIssuedAt(now)
    .setExpirationTime(now + DASHBOARD_SESSION_TTL)
    .setJti(crypto.randomUUID())
    .sign(signer.privateKey);
}

/** Verifies a session at `now`: ES256 by `kid`, exact issuer, audience and `typ`, not expired. */
export async function verifyDashboardSession(
  config: SessionConfig,
  token: string,
  now: number,
): Promise<SessionResult> {
  const getKey: JWTVerifyGetKey = (header) => {
    const key = typeof header.kid === "string" ? config.keys.byKid.get(header.kid) : undefined;
    if (!key) throw new errors.JWKSNoMatchingKey();
    return key.publicKey;
  };
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms: [ACCESS_TOKEN_ALG],
      issuer: config.issuer,
      audience: DASHBOARD_AUDIENCE,
      typ: DASHBOARD_SESSION_TYP,
      requiredClaims: ["exp", "iat", "sub", "cred"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      currentDate: new Date(now * 1000),
    });
    const { sub, cred, exp } = payload;
    if (typeof sub !== "string" || typeof cred !== "string" || typeof exp !== "number") {
      return { ok: false, reason: "invalid" };
    }
    return { ok: true, claims: { operatorId: sub, credential: cred, expiresAt: exp } };
  } catch (err) {
    if (err instanceof errors.JWTExpired) return { ok: false, reason: "expired" };
    if (err instanceof errors.JOSEError || err instanceof TypeError) return { ok: false, reason: "invalid" };
    throw err;
  }
}

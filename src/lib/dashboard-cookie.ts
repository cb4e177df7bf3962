/**
 * The operator dashboard's session cookie. `__Host-` pins it to this origin (Secure, Path=/, no
 * Domain); HttpOnly keeps it from page scripts; SameSite=Strict keeps it off cross-site requests.
 * The value is a signed session (crypto/dashboard-session.ts), never an operator secret.
 */
import { DASHBOARD_SESSION_TTL } from "../crypto/dashboard-session";

/** The cookie's name. */
export const DASHBOARD_COOKIE = "__Host-edgepay_dashboard";

const ATTRIBUTES = "Path=/; HttpOnly; Secure; SameSite=Strict";

/** The Set-Cookie value that stores `session` for DASHBOARD_SESSION_TTL seconds. */
export function sessionCookie(session: string): string {
  return `${DASHBOARD_COOKIE}=${session}; ${ATTRIBUTES}; Max-Age=${DASHBOARD_SESSION_TTL}`;
}

/** The Set-Cookie value that removes the session. */
export function clearedSessionCookie(): string {
  return `${DASHBOARD_COOKIE}=; ${ATTRIBUTES}; Max-Age=0`;
}

/** The session in a Cookie header, or undefined when there is none. */
export function sessionFromCookies(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === DASHBOARD_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === "" ? undefined : value;
    }
  }
  return undefined;
}

/**
 * Dashboard sessions (src/crypto/dashboard-session.ts): they verify only with their own audience,
 * type and issuer, within their 15 minutes; a session is never an access token and an access token
 * is never a session.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  DASHBOARD_SESSION_TTL,
  signDashboardSession,
  verifyDashboardSession,
} from "../../src/crypto/dashboard-session";
import { signAccessToken, tokenConfig, verifyAccessToken } from "../../src/crypto/jwt";

const NOW = 1_900_000_000;
const SESSION = { operatorId: "opr_abc", credential: "tag123" };

describe("dashboard sessions", () => {
  it("verify within their lifetime and name the operator and credential", async () => {
    const config = await tokenConfig(env);
    const token = await signDashboardSession(config, SESSION, NOW);
    expect(await verifyDashboardSession(config, token, NOW + DASHBOARD_SESSION_TTL - 1)).toEqual({
      ok: true,
      claims: { ...SESSION, expiresAt: NOW + DASHBOARD_SESSION_TTL },
    });
  });

  it("are expired after 15 minutes (and 5 s of tolerated skew)", async () => {
    const config = await tokenConfig(env);
    const token = await signDashboardSession(config, SESSION, NOW);
    expect(await verifyDashboardSession(config, token, NOW + DASHBOARD_SESSION_TTL + 6)).toEqual({
      ok: false,
      reason: "expired",
    });
  });

  it("are not access tokens, and access tokens are not sessions", async () => {
    const config = await tokenConfig(env);
    const session = await signDashboardSession(config, SESSION, NOW);
    expect(await verifyAccessToken(config, session, NOW)).toEqual({ ok: false, reason: "invalid" });
    const access = await signAccessToken(
      config,
      { merchantId: "mer_1", clientId: "cli_1", scopes: [], ttlSeconds: 60 },
      NOW,
    );
    expect(await verifyDashboardSession(config, access, NOW)).toEqual({ ok: false, reason: "invalid" });
  });

  it("are refused under another issuer", async () => {
    const config = await tokenConfig(env);
    const token = await signDashboardSession({ ...config, issuer: "https://other.example" }, SESSION, NOW);
    expect(await verifyDashboardSession(config, token, NOW)).toEqual({ ok: false, reason: "invalid" });
  });
});

/**
 * The hosted checkout page's route (`GET /checkout/<cs id>`): the static HTML from the assets with every
 * security header, the same bytes for every session (nothing of the session is rendered on the
 * server), and the gateway's 404 for anything under /checkout/ that is not a session id. The page's
 * view of a session carries the currency's exponent, to write amounts. How the CSS and script are
 * served (public/_headers) is checked in the browser test, where wrangler's asset router runs.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { CHECKOUT_CSP } from "../../src/routes/checkout-hosted";
import { newSession, viewPage } from "../helpers/checkout";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";

const HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-frame-options": "DENY",
  "referrer-policy": "no-referrer",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "content-type": "text/html; charset=utf-8",
};

describe("hosted checkout page", () => {
  it("answers an open session's page: the static HTML with every security header", async () => {
    const m = await newMerchant({ name: "Corner Shop" });
    const cs = await newSession(m);
    expect(cs.url).toBe(`http://127.0.0.1:8787/checkout/${cs.id}`);
    const res = await call(new URL(cs.url ?? "").pathname);
    expect(res.status).toBe(200);
    for (const [name, value] of Object.entries(HEADERS)) expect([name, res.headers.get(name)]).toEqual([name, value]);
    expect(CHECKOUT_CSP).toBe(HEADERS["content-security-policy"]);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<script type="module" src="/checkout/checkout.js"></script>');
    // Nothing of the session is rendered on the server: the bytes are the asset's, for every session.
    for (const secret of [cs.id, "Corner Shop", "T-shirt", "35.00", "3500", "shop.example"]) {
      expect(html).not.toContain(secret);
    }
    const other = await call(`/checkout/${(await newSession(m)).id}`);
    expect(await other.text()).toBe(html);
    const asset = await env.ASSETS.fetch("http://127.0.0.1/checkout/checkout.html");
    expect(await asset.text()).toBe(html);
  });

  it("serves the same static page for a well-formed id it does not look up (the page shows it as expired)", async () => {
    const res = await call(`/checkout/cs_test_${"a".repeat(48)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toBe(HEADERS["content-security-policy"]);
  });

  it("is the gateway's 404 for any other path under /checkout/", async () => {
    for (const path of [
      "/checkout/checkout.html",
      "/checkout/pi_123",
      "/checkout/cs_test_",
      "/checkout/cs_test_abc-def",
      "/checkout/%3Cscript%3E",
      "/checkout/_headers",
    ]) {
      const res = await call(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(((await res.json()) as ErrorBody).error.code, path).toBe("route_not_found");
    }
  });

  it("refuses methods other than GET on the page", async () => {
    const m = await newMerchant();
    const cs = await newSession(m);
    const res = await call(`/checkout/${cs.id}`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "x=1",
    });
    expect([res.status, res.headers.get("allow")]).toEqual([405, "GET"]);
  });

  it("gives the page the currency's exponent: 2 for usd, 0 for jpy, 3 for kwd", async () => {
    const m = await newMerchant();
    for (const [currency, exponent] of [
      ["usd", 2],
      ["jpy", 0],
      ["kwd", 3],
    ] as const) {
      const cs = await newSession(m, { currency });
      const view = await viewPage(cs.id);
      expect([currency, view.status, view.body.currency_exponent]).toEqual([currency, 200, exponent]);
    }
  });
});

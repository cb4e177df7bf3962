/**
 * `GET /docs`, the API reference: the static page under its policy at both spellings of the path,
 * and the guides it merges (the errors guide lists every code of src/errors.ts with its status and
 * type). What the OpenAPI document adds for the page is tested with the document:
 * test/routes/openapi-document.test.ts (required scopes), test/lib/openapi-samples.test.ts (samples).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../../src/errors";
import { DOCS_CSP } from "../../src/routes/docs";
import { BASE, call } from "../helpers/http";

/** The guides the page loads (public/docs/docs.js's GUIDES). */
const GUIDES = ["authentication", "errors", "idempotency", "pagination", "rate-limits", "webhooks", "test-cards"];

/** A static asset as Workers Static Assets serves it. */
const asset = (path: string) => env.ASSETS.fetch(new URL(path, BASE));

describe("GET /docs", () => {
  it.each(["/docs", "/docs/"])(
    "%s is the static page under the strict policy, loading only same-origin scripts",
    async (path) => {
      const res = await call(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(res.headers.get("content-security-policy")).toBe(DOCS_CSP);
      expect(res.headers.get("x-frame-options")).toBe("DENY");
      const html = await res.text();
      expect(html).toBe(await (await asset("/docs/index.html")).text());
      expect(html).toContain('<script src="/docs/vendor/standalone.js" defer></script>');
      expect(html).toContain('<script src="/docs/docs.js" defer></script>');
      expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
      expect(html).not.toMatch(/<script>|<style>| style=/);
    },
  );

  it("the page's script names the guides this test checks", async () => {
    const script = await (await asset("/docs/docs.js")).text();
    expect(script).toContain(`const GUIDES = ${JSON.stringify(GUIDES).replaceAll(",", ", ")};`);
  });
});

describe("guides", () => {
  it.each(GUIDES)("%s.md is served and opens with its heading", async (name) => {
    const res = await asset(`/docs/guides/${name}.md`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# \S/);
  });

  it("the errors guide lists every code of src/errors.ts, with its status and type, and no other", async () => {
    const text = await (await asset("/docs/guides/errors.md")).text();
    const rows = [...text.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| `([a-z_]+)` \| (.+) \|$/gm)];
    const listed = Object.fromEntries(rows.map(([, code, status, type]) => [code, { status: Number(status), type }]));
    expect(listed).toEqual(ERROR_CODES);
    expect(rows).toHaveLength(Object.keys(ERROR_CODES).length);
    for (const [, code, , , meaning] of rows) expect([code, (meaning ?? "").trim().length > 10]).toEqual([code, true]);
  });
});

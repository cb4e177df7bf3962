/** The HTTP skeleton: request ids, body parsing, the error envelope, 404/405/413/500. */

import { env } from "cloudflare:workers";
import { createRoute, z } from "@hono/zod-openapi";
import { describe, expect, it, vi } from "vitest";
import { createApp, MAX_BODY_BYTES } from "../src/app";
import { formOrJsonBody } from "../src/lib/openapi";
import { boolParam, intParam, metadataParam } from "../src/lib/params";
import { BASE, call, type ErrorBody, form, json } from "./helpers/http";

/** An app with one extra echo route and one route that crashes, built by the real factory. */
function testApp() {
  const app = createApp();
  const Echo = z.strictObject({
    amount: intParam(),
    currency: z.string().length(3),
    confirm: boolParam().optional(),
    metadata: metadataParam.optional(),
    card: z.strictObject({ number: z.string(), exp_month: intParam() }).optional(),
    expand: z.array(z.string()).optional(),
  });
  app.openapi(
    createRoute({
      method: "post",
      path: "/test/echo",
      request: { body: formOrJsonBody(Echo) },
      responses: { 200: { description: "echo" } },
    }),
    (c) => c.json(c.req.valid("json")),
  );
  app.get("/test/boom", () => {
    throw new Error("db password is hunter2 at /srv/internal.ts:42");
  });
  return (path: string, init?: RequestInit) => app.request(`${BASE}${path}`, init, env);
}

describe("Request-Id", () => {
  it("is on every response: success, 404, 400 and 500", async () => {
    const req = testApp();
    const responses = [
      await call("/health"),
      await call("/nope"),
      await req("/test/echo", json({})),
      await req("/test/boom"),
    ];
    const ids = responses.map((r) => r.headers.get("Request-Id"));
    for (const id of ids) expect(id).toMatch(/^req_[0-9A-Za-z]{24}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
  it("matches the request_id in the error envelope", async () => {
    const res = await call("/nope");
    const body = (await res.json()) as ErrorBody;
    expect(body.error.request_id).toBe(res.headers.get("Request-Id"));
  });
  it("is never taken from the client, on success or error", async () => {
    // hono/request-id would adopt this well-formed value (CONTRIBUTING.md, "Hand-written on purpose").
    const theirs = "req_000000000000000000000000";
    for (const path of ["/health", "/nope"]) {
      const res = await call(path, { headers: { "Request-Id": theirs, "X-Request-Id": theirs } });
      const ours = res.headers.get("Request-Id");
      expect(ours).toMatch(/^req_[0-9A-Za-z]{24}$/);
      expect(ours).not.toBe(theirs);
    }
  });
});

describe("body parsing", () => {
  it("parses nested form encoding into the same object as the equivalent JSON", async () => {
    const req = testApp();
    const viaForm = await req(
      "/test/echo",
      form({
        amount: "1000",
        currency: "usd",
        confirm: "true",
        "metadata[order]": "42",
        "card[number]": "4242424242424242",
        "card[exp_month]": "12",
        "expand[0]": "latest_charge",
        "expand[1]": "payment_method",
      }),
    );
    const viaJson = await req(
      "/test/echo",
      json({
        amount: 1000,
        currency: "usd",
        confirm: true,
        metadata: { order: "42" },
        card: { number: "4242424242424242", exp_month: 12 },
        expand: ["latest_charge", "payment_method"],
      }),
    );
    expect(viaForm.status).toBe(200);
    expect(viaJson.status).toBe(200);
    const a = await viaForm.json();
    expect(a).toEqual(await viaJson.json());
    expect(a).toMatchObject({ amount: 1000, confirm: true, card: { exp_month: 12 } });
  });

  it("rejects malformed JSON with 400 invalid_request_error", async () => {
    const res = await testApp()("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"amount": 10,',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as ErrorBody;
    expect(body.error).toMatchObject({ type: "invalid_request_error", code: "body_malformed" });
  });

  it("rejects a JSON body that is not an object", async () => {
    const res = await testApp()("/test/echo", json([1, 2]));
    expect(res.status).toBe(400);
  });

  it("rejects a conflicting form shape with the offending param", async () => {
    const res = await testApp()("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "card=1&card[number]=2",
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.param).toBe("card[number]");
  });

  it("answers 415 for an unsupported media type", async () => {
    const res = await testApp()("/test/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: "x" });
    expect(res.status).toBe(415);
    expect(((await res.json()) as ErrorBody).error.type).toBe("invalid_request_error");
  });

  it("answers 413 over the cap, whether or not Content-Length is declared", async () => {
    const big = "a".repeat(MAX_BODY_BYTES + 1);
    const declared = await call("/health", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: big,
    });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as ErrorBody).error.code).toBe("body_too_large");

    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 70; i++) controller.enqueue(new TextEncoder().encode("x".repeat(1024)));
        controller.close();
      },
    });
    const chunked = await testApp()("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      // @ts-expect-error duplex is required for streamed bodies in fetch but missing from RequestInit types
      duplex: "half",
    });
    expect(chunked.status).toBe(413);
  });

  it("answers 413 for a body longer than the Content-Length it declares", async () => {
    // hono/body-limit trusts a declared length and never counts the bytes (CONTRIBUTING.md).
    const res = await testApp()("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": "10" },
      body: "a".repeat(MAX_BODY_BYTES + 1),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe("body_too_large");
  });

  it("accepts a body exactly at the cap", async () => {
    const filler = "x".repeat(
      MAX_BODY_BYTES - JSON.stringify({ amount: 1, currency: "usd", metadata: { k: "" } }).length,
    );
    const body = JSON.stringify({ amount: 1, currency: "usd", metadata: { k: filler } });
    expect(body.length).toBe(MAX_BODY_BYTES);
    const res = await testApp()("/test/echo", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    // Reaches validation (metadata value over 500 chars), so the size check let it through.
    expect(res.status).toBe(400);
    expect(((await res.json()) as ErrorBody).error.param).toBe("metadata[k]");
  });
});

describe("validation errors", () => {
  const cases: Array<[string, Record<string, unknown>, string, string]> = [
    ["missing field", { currency: "usd" }, "amount", "parameter_missing"],
    ["wrong type", { amount: "ten", currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["decimal string", { amount: "10.5", currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["exponent string", { amount: "1e3", currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["padded string", { amount: " 10", currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["unsafe integer", { amount: 2 ** 53, currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["boolean amount", { amount: true, currency: "usd" }, "amount", "parameter_invalid"],
    ["float number", { amount: 10.5, currency: "usd" }, "amount", "parameter_invalid_integer"],
    ["empty string", { amount: 1, currency: "" }, "currency", "parameter_invalid_empty"],
    ["nested field", { amount: 1, currency: "usd", card: { number: 4242 } }, "card[number]", "parameter_invalid"],
    ["nested missing", { amount: 1, currency: "usd", card: { number: "4" } }, "card[exp_month]", "parameter_missing"],
    ["unknown param", { amount: 1, currency: "usd", amout: 2 }, "amout", "parameter_unknown"],
    [
      "unknown nested param",
      { amount: 1, currency: "usd", card: { number: "4", exp_month: 1, cvv: "1" } },
      "card[cvv]",
      "parameter_unknown",
    ],
    ["bad boolean", { amount: 1, currency: "usd", confirm: "yes" }, "confirm", "parameter_invalid"],
    [
      "metadata key with brackets",
      { amount: 1, currency: "usd", metadata: { "a[b]": "x" } },
      "metadata[a[b]]",
      "parameter_invalid",
    ],
  ];
  for (const [name, body, param, code] of cases) {
    it(`${name} → 400 with param ${param}`, async () => {
      const res = await testApp()("/test/echo", json(body));
      expect(res.status).toBe(400);
      const err = ((await res.json()) as ErrorBody).error;
      expect(err).toMatchObject({ type: "invalid_request_error", param, code });
      expect(err.message.length).toBeGreaterThan(0);
    });
  }
});

describe("routing errors", () => {
  it("answers an unknown route with a 404 JSON envelope", async () => {
    // Outside /v1: unknown /v1 paths answer 401 until authenticated (test/middleware/merchant-auth.test.ts).
    const res = await call("/nothing_here");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/application\/json/);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({
      type: "invalid_request_error",
      code: "route_not_found",
    });
  });
  it("answers a known path with the wrong method with 405 and Allow", async () => {
    const res = await call("/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toContain("GET");
    expect(((await res.json()) as ErrorBody).error.code).toBe("method_not_allowed");
  });
});

describe("unexpected errors", () => {
  it("become a 500 api_error with the request id and no internals, in the response and the log", async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
    const res = await Promise.resolve(testApp()("/test/boom")).finally(() => spy.mockRestore());
    // The fault's line, then the request's own line (at error level for a 5xx).
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0] as string)).toMatchObject({ event: "unhandled_error" });
    expect(JSON.parse(lines[1] as string)).toMatchObject({
      event: "request",
      status: 500,
      error_code: "internal_error",
    });
    for (const line of lines) {
      expect(line).toContain(res.headers.get("Request-Id"));
      expect(line).not.toMatch(/hunter2|password/);
    }
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/hunter2|internal\.ts|stack|Error:/);
    const body = JSON.parse(text) as ErrorBody;
    expect(body.error.type).toBe("api_error");
    expect(body.error.request_id).toBe(res.headers.get("Request-Id"));
    expect(Object.keys(body.error).sort()).toEqual(["code", "message", "request_id", "type"]);
  });
});

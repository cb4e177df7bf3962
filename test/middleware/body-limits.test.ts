/** Hostile bodies through the real Worker: deep nesting, many keys, prototype keys, lone surrogates, broken streams. */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { BASE, call, type ErrorBody } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";

let m: TestMerchant;
beforeAll(async () => {
  m = await newMerchant();
});

/** POSTs a raw JSON text to create an intent, optionally with an Idempotency-Key. */
function postJson(text: string, idempotencyKey?: string) {
  const key: Record<string, string> = idempotencyKey ? { "idempotency-key": idempotencyKey } : {};
  return call("/v1/payment_intents", {
    method: "POST",
    headers: { ...m.headers, ...key, "content-type": "application/json" },
    body: text,
  });
}

/** POSTs a raw form body to create an intent. */
function postForm(text: string) {
  return call("/v1/payment_intents", {
    method: "POST",
    headers: { ...m.headers, "content-type": "application/x-www-form-urlencoded" },
    body: text,
  });
}

async function error(res: Response): Promise<ErrorBody["error"]> {
  return ((await res.json()) as ErrorBody).error;
}

const deep = (levels: number) =>
  `{"amount":100,"currency":"usd","metadata":${"[".repeat(levels)}${"]".repeat(levels)}}`;

describe("body nesting depth", () => {
  it("refuses JSON nested thousands of levels deep with a 400, never a 500", async () => {
    const res = await postJson(deep(5000));
    expect(res.status).toBe(400);
    const err = await error(res);
    expect(err).toMatchObject({ code: "parameter_invalid", param: "metadata" });
    expect(err.message).toMatch(/nested deeper than 32/);
  });

  it("refuses the same body with an Idempotency-Key (the fingerprint never walks it)", async () => {
    const res = await postJson(deep(5000), `deep-${crypto.randomUUID()}`);
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: "metadata" });
  });

  it("refuses JSON one level past the cap, and lets the schema judge a body just under it", async () => {
    expect((await postJson(deep(32))).status).toBe(400);
    const under = await error(await postJson(deep(31)));
    // 31 levels passes the body limits; the intent schema then refuses an array as metadata.
    expect(under.code).not.toBe("body_malformed");
    expect(under.message).not.toMatch(/nested deeper/);
  });

  it("refuses form keys with deep brackets", async () => {
    const res = await postForm(`amount=100&currency=usd&metadata${"[a]".repeat(40)}=1`);
    expect(res.status).toBe(400);
    expect((await error(res)).code).toBe("parameter_invalid");
  });
});

describe("body key count", () => {
  it("refuses a JSON body with more than 1,000 keys", async () => {
    const metadata = Object.fromEntries(Array.from({ length: 1200 }, (_, i) => [`k${i}`, "v"]));
    const res = await postJson(JSON.stringify({ amount: 100, currency: "usd", metadata }));
    expect(res.status).toBe(400);
    expect((await error(res)).code).toBe("body_malformed");
  });

  it("refuses a form body with more than 1,000 keys", async () => {
    const res = await postForm(Array.from({ length: 1200 }, (_, i) => `metadata[k${i}]=v`).join("&"));
    expect(res.status).toBe(400);
    expect((await error(res)).code).toBe("body_malformed");
  });
});

describe("prototype keys", () => {
  it("refuses a __proto__ metadata key in JSON, naming it", async () => {
    const res = await postJson('{"amount":100,"currency":"usd","metadata":{"__proto__":{"x":"1"}}}');
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: "metadata[__proto__]" });
  });

  it("refuses constructor and prototype keys at any depth in JSON", async () => {
    for (const key of ["constructor", "prototype"]) {
      const res = await postJson(`{"amount":100,"currency":"usd","x":{"y":{"${key}":"1"}}}`);
      expect(res.status).toBe(400);
      expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: `x[y][${key}]` });
    }
  });

  it("refuses a __proto__ metadata key in a form body, naming it", async () => {
    const res = await postForm("amount=100&currency=usd&metadata[__proto__]=1");
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: "metadata[__proto__]" });
  });
});

describe("lone surrogates", () => {
  it("refuses a JSON description with an unpaired surrogate, naming it", async () => {
    const res = await postJson('{"amount":100,"currency":"usd","description":"bad \\ud800 half"}');
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: "description" });
  });

  it("refuses a lone low surrogate in a metadata value, naming its path", async () => {
    const res = await postJson('{"amount":100,"currency":"usd","metadata":{"a":"\\udc00"}}');
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "parameter_invalid", param: "metadata[a]" });
  });

  it("accepts a well-formed pair (an emoji) and answers it unchanged", async () => {
    const res = await postJson('{"amount":100,"currency":"usd","description":"ok \\ud83d\\ude00"}');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { description: string }).description).toBe("ok \u{1F600}");
  });
});

describe("unreadable bodies", () => {
  // Through exports.default.fetch workerd pipes the body to the Worker and ends it cleanly when the
  // sender's stream errors, so the reader's own failure is exercised on the app in-process.
  const app = createApp();

  it("answers 400 body_malformed when the body stream errors", async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("boom"));
      },
    });
    const init = {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit;
    const res = await app.request(new Request(`${BASE}/v1/payment_intents`, init), undefined, env);
    expect(res.status).toBe(400);
    const err = await error(res);
    expect(err.code).toBe("body_malformed");
    expect(err.message).not.toContain("boom");
  });

  it("never answers 500 for a stream that errors through the Worker entry", async () => {
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("boom"));
      },
    });
    const req = new Request(`${BASE}/v1/payment_intents`, {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json" },
      body,
      duplex: "half",
    } as RequestInit);
    const res = await exports.default.fetch(req);
    expect(res.status).toBe(400);
  });
});

describe("encoding and echoes", () => {
  const PAN = "4242424242424242";

  it("refuses a JSON body that is not valid UTF-8 instead of storing U+FFFD", async () => {
    const bytes = new TextEncoder().encode('{"amount":100,"currency":"usd","description":"x?y"}');
    bytes[bytes.indexOf(0x3f)] = 0xff;
    const res = await call("/v1/payment_intents", {
      method: "POST",
      headers: { ...m.headers, "content-type": "application/json" },
      body: bytes,
    });
    expect(res.status).toBe(400);
    expect(await error(res)).toMatchObject({ code: "body_malformed", message: "The request body is not valid UTF-8." });
  });

  it("refuses a form value whose percent-escapes are not UTF-8", async () => {
    for (const value of ["%FF", "x%C3", "%ED%A0%80"]) {
      const res = await postForm(`amount=100&currency=usd&description=${value}`);
      expect(res.status, value).toBe(400);
      expect((await error(res)).code, value).toBe("body_malformed");
    }
    // A real U+FFFD sent as UTF-8 is a character like any other.
    const ok = await postForm("amount=100&currency=usd&description=%EF%BF%BD");
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { description: string }).description).toBe("\uFFFD");
  });

  it("never repeats a card number sent as an unknown parameter name, and still names the parameter", async () => {
    for (const body of [`amount=100&currency=usd&${PAN}=1`, `amount=100&currency=usd&x${PAN}x=1`]) {
      const res = await postForm(body);
      const text = await res.text();
      expect(res.status).toBe(400);
      expect(text).not.toContain(PAN);
      const err = (JSON.parse(text) as ErrorBody).error;
      expect(err.code).toBe("parameter_unknown");
      expect(err.param).toContain("[redacted]");
    }
  });

  it("caps the length of a parameter name it repeats", async () => {
    const res = await postForm(`amount=100&currency=usd&${"k".repeat(5000)}=1`);
    const err = await error(res);
    expect(err.code).toBe("parameter_unknown");
    expect(err.param?.length).toBeLessThanOrEqual(100);
    expect(err.message.length).toBeLessThan(200);
  });

  it("never repeats a card number in the param of a refused key", async () => {
    const res = await postJson(`{"amount":100,"currency":"usd","metadata":{"${PAN}":{"__proto__":{}}}}`);
    const text = await res.text();
    expect(res.status).toBe(400);
    expect(text).not.toContain(PAN);
  });
});

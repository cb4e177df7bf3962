/**
 * Fuzzing every route of the served OpenAPI document, in workerd through the real Worker: for each
 * operation fast-check sends generated path ids, query strings and bodies (valid-looking, mutated
 * and hostile: deep nesting, odd keys, huge and odd strings, card numbers), JSON and form encoded,
 * with and without an Idempotency-Key, as a merchant with every scope (admin routes as a
 * named operator). Every answer must be below 500, every error must be the one envelope with its
 * `request_id`, and no answer may echo a card number the request carried.
 * Runs per route: FUZZ_RUNS (default 200).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";

const RUNS = Number(env.FUZZ_RUNS) || 200;
// The timeout grows with the runs: about 0.6 s per run on a loaded 2-core machine for some 80
// operations, with a wide margin (a suite running beside another takes twice as long).
const PAN = "4242424242424242";

interface Operation {
  method: string;
  path: string;
}

const scalar = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(PAN),
  fc.constant("x\ud800y"),
  fc.constant("__proto__"),
  fc.constant("1e3"),
  fc.constant("-1"),
  fc.constant("9".repeat(40)),
  fc.string({ minLength: 300, maxLength: 2000 }),
);
const key = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom(
    "amount",
    "currency",
    "metadata",
    "payment_method",
    "confirm",
    "card",
    "__proto__",
    "constructor",
    "expand",
    "limit",
    PAN,
    `x${PAN}`,
  ),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: "small" },
    scalar,
    fc.array(tie("node"), { maxLength: 4 }),
    fc.dictionary(key, tie("node"), { maxKeys: 5 }),
  ),
})).node;
/** A body nested `depth` levels deep (built in the property, so a counterexample prints as a number). */
function nested(depth: number): Record<string, unknown> {
  let v: unknown = "x";
  for (let i = 0; i < depth; i++) v = { a: v };
  return { metadata: v };
}
const body = fc.oneof(fc.dictionary(key, value, { maxKeys: 8 }), fc.integer({ min: 30, max: 3000 }));
const id = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.constantFrom(PAN, `pi_${PAN}`, "pi_abc", "re_abc", "pm_abc", "tok_abc", "mer_abc", "%00", "..", "x".repeat(200)),
);

/** Encodes a body as a form the way the stripe SDK does (brackets), or as JSON. */
function encode(value: Record<string, unknown>, asForm: boolean): { type: string; text: string } {
  if (!asForm) return { type: "application/json", text: JSON.stringify(value) };
  const parts = new URLSearchParams();
  const walk = (prefix: string, v: unknown, depth: number) => {
    if (depth > 40) return;
    if (v !== null && typeof v === "object") {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) {
        walk(prefix ? `${prefix}[${k}]` : k, inner, depth + 1);
      }
    } else parts.append(prefix, String(v));
  };
  walk("", value, 0);
  return { type: "application/x-www-form-urlencoded", text: parts.toString() };
}

let merchant: TestMerchant;
let operatorAuth: { authorization: string };
let operations: Operation[] = [];

beforeAll(async () => {
  merchant = await newMerchant({ rateLimit: 10_000 });
  // A named operator with a rate limit the fuzzer cannot reach (the default would answer some runs 429).
  const op = await operator<{ secret: string }>("/admin/v1/operators", { name: "fuzzer", rate_limit: 10_000 });
  operatorAuth = { authorization: `Bearer ${op.secret}` };
  const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, unknown>> };
  operations = Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.keys(item)
      .filter((m) => ["get", "post", "delete"].includes(m))
      .map((method) => ({ method: method.toUpperCase(), path })),
  );
});

describe("fuzzing every route of the OpenAPI document", () => {
  it(
    `never answers 5xx, always the envelope, never echoes a card number (${RUNS} runs per route)`,
    async () => {
      expect(operations.length).toBeGreaterThan(20);
      for (const op of operations) {
        await fc.assert(
          fc.asyncProperty(
            fc.array(id, { minLength: 3, maxLength: 3 }),
            body,
            fc.dictionary(fc.string({ maxLength: 15 }), fc.oneof(fc.string({ maxLength: 30 }), fc.constant(PAN)), {
              maxKeys: 3,
            }),
            fc.boolean(),
            fc.option(fc.string({ minLength: 1, maxLength: 40 }), { nil: undefined }),
            async (ids, generated, query, asForm, idempotencyKey) => {
              const payload = typeof generated === "number" ? nested(generated) : generated;
              let n = 0;
              const path = op.path.replace(/\{[^}]+\}/g, () =>
                new URLSearchParams({ v: ids[n++ % ids.length] ?? "x" }).toString().slice(2),
              );
              const qs = new URLSearchParams(query).toString();
              const admin = op.path.startsWith("/admin/");
              const headers: Record<string, string> = admin ? { ...operatorAuth } : { ...merchant.headers };
              const init: RequestInit = { method: op.method, headers };
              if (op.method !== "GET") {
                const encoded = encode(payload, asForm);
                headers["content-type"] = encoded.type;
                init.body = encoded.text;
                if (idempotencyKey) headers["idempotency-key"] = idempotencyKey;
              }
              const res = await call(`${path}${qs ? `?${qs}` : ""}`, init);
              const text = await res.text();
              const where = `${op.method} ${op.path} → ${res.status}`;
              expect(res.status, `${where}: ${text.slice(0, 200)}`).toBeLessThan(500);
              if (
                res.status >= 400 &&
                res.headers.get("content-type")?.includes("json") &&
                !op.path.includes("oauth")
              ) {
                const parsed = JSON.parse(text) as { error?: { request_id?: string; type?: string } };
                expect(parsed.error?.request_id, where).toMatch(/^req_/);
              }
              // A card number sent in an id, query or body never comes back (a created object's own fields excepted: no route returns more than last4).
              expect(text.includes(PAN), `${where} echoed a card number`).toBe(false);
            },
          ),
          { numRuns: RUNS },
        );
      }
    },
    RUNS * 4_000,
  );
});

/**
 * The request samples of the OpenAPI document (src/lib/openapi-samples.ts): curl and stripe-node
 * on every merchant operation and on no other; each stripe-node sample
 * is run against the real `stripe` package with an HTTP client that records what it would send, and
 * must send the operation's own method and path; each curl sample names the operation's method and
 * path, the key, and an Idempotency-Key on a POST.
 */
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http";

interface Sample {
  label: string;
  source: string;
}
interface Operation {
  security?: Record<string, string[]>[];
  "x-codeSamples"?: Sample[];
}

let samples: { method: string; path: string; curl: string; node: string }[];
let all: { method: string; path: string; op: Operation }[];
beforeAll(async () => {
  const doc = (await (await call("/openapi.json")).json()) as { paths: Record<string, Record<string, Operation>> };
  all = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({ method, path, op })),
  );
  samples = Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).flatMap(([method, op]) => {
      const of = (label: string) => op["x-codeSamples"]?.find((s) => s.label === label)?.source ?? "";
      return op["x-codeSamples"] ? [{ method, path, curl: of("curl"), node: of("stripe (Node)") }] : [];
    }),
  );
});

/** A Stripe client that sends nothing: each request is recorded and answered with an empty list. */
function recordingStripe() {
  const sent: { method: string; path: string }[] = [];
  const stripe = new Stripe("sk_test_recording", {
    maxNetworkRetries: 0,
    httpClient: Stripe.createFetchHttpClient(async (url, init) => {
      sent.push({ method: init?.method ?? "GET", path: new URL(String(url)).pathname });
      return Response.json({ object: "list", data: [], has_more: false });
    }),
  });
  return { stripe, sent };
}

/** Runs the `await stripe.…(…)` statement of a sample: bare identifiers (path variables) become `"x_<name>"`. */
async function runSdkCall(stripe: Stripe, source: string): Promise<void> {
  const statement = /const result = await stripe\.([\w.]+)\(([\s\S]*)\);$/.exec(source.trim());
  if (!statement) throw new Error(`no SDK call in:\n${source}`);
  const [, chain = "", rawArgs = ""] = statement;
  const args = JSON.parse(
    `[${rawArgs.replace(/`([^`]*)`/g, (_, t: string) => JSON.stringify(t.replace(/\$\{(\w+)\}/g, "x_$1"))).replace(/(^|, )([a-z]\w*)(?=,|$)/g, '$1"x_$2"')}]`,
  ) as unknown[];
  const names = chain.split(".");
  const methodName = names.pop() ?? "";
  let target: unknown = stripe;
  for (const name of names) target = (target as Record<string, unknown>)[name];
  const fn = (target as Record<string, unknown>)[methodName];
  if (typeof fn !== "function") throw new Error(`stripe.${chain} is not a method of the stripe package`);
  await (fn as (...a: unknown[]) => Promise<unknown>).apply(target, args);
}

describe("x-codeSamples", () => {
  it("carries curl and stripe-node samples on every merchant operation, and on no operator one", () => {
    const merchant = all.filter(
      (o) => o.path.startsWith("/v1/") && (o.op.security ?? []).some((s) => "merchantToken" in s),
    );
    expect(merchant.length).toBeGreaterThan(60);
    for (const { method, path, op } of merchant) {
      const key = `${method.toUpperCase()} ${path}`;
      expect([key, op["x-codeSamples"]?.map((s) => s.label)]).toEqual([key, ["curl", "stripe (Node)"]]);
    }
    expect(
      all
        .filter((o) => !o.path.startsWith("/v1/") && o.op["x-codeSamples"])
        .map((o) => `${o.method.toUpperCase()} ${o.path}`),
    ).toEqual([]);
  });

  it("each stripe-node sample sends its operation's method and path", async () => {
    expect(samples.length).toBeGreaterThan(60);
    for (const { method, path, node } of samples) {
      const { stripe, sent } = recordingStripe();
      await runSdkCall(stripe, node);
      const expected = path.replace(/\{(\w+)\}/g, (_, name: string) =>
        node.includes(`(${name}`) || node.includes(`{${name}}`) ? `x_${name}` : "[^/]+",
      );
      expect(sent).toHaveLength(1);
      expect([`${method} ${path}`, sent[0]?.method]).toEqual([`${method} ${path}`, method.toUpperCase()]);
      expect([`${method} ${path}`, sent[0]?.path]).toEqual([
        `${method} ${path}`,
        expect.stringMatching(new RegExp(`^${expected}$`)),
      ]);
    }
  });

  it("uses the SDK's own methods where it has the resource, rawRequest for edgepay's own", () => {
    const node = (m: string, p: string) => samples.find((s) => s.method === m && s.path === p)?.node ?? "";
    expect(node("post", "/v1/payment_intents/{id}/capture")).toContain("await stripe.paymentIntents.capture(id");
    expect(node("get", "/v1/customers")).toContain("await stripe.customers.list({");
    expect(node("get", "/v1/balance")).toContain("await stripe.balance.retrieve()");
    expect(node("post", "/v1/api_keys/{key}/roll")).toContain(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the sample's own template literal, as text
      'await stripe.rawRequest("POST", `/v1/api_keys/${key}/roll`',
    );
  });

  it("each curl sample calls its method and path with the secret key, and a POST carries an Idempotency-Key", () => {
    for (const { method, path, curl } of samples) {
      const url = path.replace(/\{(\w+)\}/g, '[^/"?]+');
      expect([path, curl]).toEqual([
        path,
        expect.stringMatching(
          new RegExp(
            `^curl ${method === "get" ? "" : `-X ${method.toUpperCase()} `}"http://127\\.0\\.0\\.1:8787${url}(\\?limit=3)?"`,
          ),
        ),
      ]);
      expect([path, curl]).toEqual([path, expect.stringContaining('-u "$EDGEPAY_SECRET_KEY:"')]);
      expect([path, curl.includes("Idempotency-Key")]).toEqual([path, method === "post"]);
    }
  });

  it("each curl field is single-quoted, and a value curl would send unencoded needs no encoding", () => {
    const fields = samples.flatMap(({ path, curl }) =>
      [...curl.matchAll(/ (-d|--data-urlencode) ('(?:[^']|'\\'')*')/g)].map((m) => ({ path, flag: m[1], arg: m[2] })),
    );
    expect(fields.some((f) => f.flag === "--data-urlencode")).toBe(true);
    const unsafe = fields.filter((f) => f.flag === "-d" && !/^'[^=]+=[A-Za-z0-9_.:/@-]*'$/.test(f.arg ?? ""));
    expect(unsafe).toEqual([]);
    // Every field line of every sample was matched: nothing is passed to curl unquoted.
    const lines = samples.flatMap(({ curl }) => curl.split("\n").filter((l) => /^\s*(-d|--data)/.test(l)));
    expect(lines.length).toBe(fields.length);
  });
});

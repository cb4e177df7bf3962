/**
 * Request examples for the reference page: `x-codeSamples` (curl and the Node `stripe` SDK) on every
 * merchant operation of the generated OpenAPI document, written from the operation itself (method,
 * path, path parameters, the required body fields and their examples), so a route added later gets
 * its samples without anyone writing them. The SDK sample calls the SDK's own method where the SDK
 * has the resource (test/lib/openapi-samples.test.ts checks each one sends this method and path)
 * and `stripe.rawRequest` for edgepay's own resources.
 */

/** The parts of a JSON Schema the samples read. */
interface Schema {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  example?: unknown;
  examples?: unknown[];
  enum?: unknown[];
  default?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
}

/** The parts of an operation the samples read and write. */
interface Operation {
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; example?: unknown; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  "x-codeSamples"?: CodeSample[];
}

/** The document as the samples see it. */
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components?: { schemas?: Record<string, Schema> };
}

/** One entry of `x-codeSamples` (the extension Scalar and Redoc show beside an operation). */
export interface CodeSample {
  lang: string;
  label: string;
  source: string;
}

/** The resources of the `stripe` package whose methods the SDK samples call (paths after `/v1/`). */
const SDK_RESOURCES = new Set([
  "payment_intents",
  "payment_methods",
  "customers",
  "refunds",
  "charges",
  "tokens",
  "checkout/sessions",
  "balance",
  "balance_transactions",
  "payouts",
  "radar/value_lists",
  "radar/value_list_items",
  "reviews",
  "webhook_endpoints",
  "events",
]);

/** Resources that are one object, not a collection: `GET` is the SDK's `retrieve()`. */
const SINGLETONS = new Set(["balance"]);

/** Actions under a resource the `stripe` package has no method for: their samples use `rawRequest`. */
const NOT_IN_SDK = new Set(["events/resend", "webhook_endpoints/attempts", "webhook_endpoints/roll_secret"]);

const camel = (s: string) => s.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const pascal = (s: string) => camel(s).replace(/^[a-z]/, (c) => c.toUpperCase());

/** The schema `schema` points to, one `$ref` deep. */
function resolve(doc: Doc, schema: Schema | undefined): Schema | undefined {
  const name = schema?.$ref?.replace("#/components/schemas/", "");
  return name === undefined ? schema : doc.components?.schemas?.[name];
}

/** An example value for `schema`: its own example, else the first enum member or a value of its type. */
function exampleOf(doc: Doc, raw: Schema | undefined, depth = 0): unknown {
  const schema = resolve(doc, raw);
  if (!schema) return "…";
  if (schema.example !== undefined) return schema.example;
  if (schema.examples?.[0] !== undefined) return schema.examples[0];
  if (schema.enum?.[0] !== undefined) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  const variant = schema.anyOf?.[0] ?? schema.oneOf?.[0];
  if (variant) return exampleOf(doc, variant, depth);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === "object" && depth < 3) return requiredExample(doc, schema, depth + 1);
  if (type === "array") return [exampleOf(doc, schema.items, depth + 1)];
  if (type === "integer" || type === "number") return 1000;
  if (type === "boolean") return true;
  return "…";
}

/** The required fields of an object schema, each with its example. */
function requiredExample(doc: Doc, raw: Schema | undefined, depth = 0): Record<string, unknown> {
  const schema = resolve(doc, raw);
  const out: Record<string, unknown> = {};
  for (const name of schema?.required ?? []) out[name] = exampleOf(doc, schema?.properties?.[name], depth);
  return out;
}

/**
 * One form field as a curl argument, single-quoted so the shell expands nothing: `-d` when the value
 * needs no encoding, else `--data-urlencode` (a space, `&`, `+`, `%`, `=` or `>` in it).
 */
function curlField(key: string, value: string): string {
  const quoted = `'${`${key}=${value}`.replaceAll("'", `'\\''`)}'`;
  return /^[A-Za-z0-9_.:/@-]*$/.test(value) ? `-d ${quoted}` : `--data-urlencode ${quoted}`;
}

/** `value` as Stripe's bracketed form fields (`card[number]=…`, `items[0]=…`). */
function formFields(value: unknown, prefix = ""): [string, string][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => formFields(v, `${prefix}[${i}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => formFields(v, prefix ? `${prefix}[${k}]` : k));
  }
  return [[prefix, String(value)]];
}

/** A path parameter's example, if the document gives one. */
function pathExample(op: Operation, name: string): string | undefined {
  const param = op.parameters?.find((p) => p.in === "path" && p.name === name);
  const example = param?.example ?? param?.schema?.example;
  return typeof example === "string" ? example : undefined;
}

/** A path parameter as curl's URL holds it: its example, else a shell variable (`$ID`). */
const shellValue = (op: Operation, name: string) => pathExample(op, name) ?? `$${name.toUpperCase()}`;

/** A path parameter as a JavaScript expression: its example as a string, else a variable named after it. */
const jsValue = (op: Operation, name: string) => {
  const example = pathExample(op, name);
  return example === undefined ? name : JSON.stringify(example);
};

/**
 * The stripe-node call of an operation: `stripe.resource.method(args)` where the SDK has it, else
 * `rawRequest`. `ids` are the path parameters as JavaScript expressions.
 */
export function sdkCall(method: string, path: string, ids: string[], params: Record<string, unknown>): string {
  const hasParams = Object.keys(params).length > 0;
  const body = hasParams ? JSON.stringify(params, null, 2) : "";
  const segments = path.replace(/^\/v1\//, "").split("/");
  const at = segments.findIndex((s) => s.startsWith("{"));
  const resource = (at < 0 ? segments : segments.slice(0, at)).join("/");
  const rest = at < 0 ? [] : segments.slice(at + 1);
  const target = `stripe.${resource.split("/").map(camel).join(".")}`;
  const args = (...a: string[]) => a.filter(Boolean).join(", ");
  const id = ids[0] ?? "";
  let call: string | undefined;
  if (SINGLETONS.has(resource) && at < 0 && method === "get") call = `retrieve(${body})`;
  else if (SDK_RESOURCES.has(resource) && !NOT_IN_SDK.has(`${resource}/${rest[0]}`)) {
    if (at < 0) call = method === "post" ? `create(${body})` : method === "get" ? `list(${body})` : undefined;
    else if (rest.length === 0) {
      const verb = { get: "retrieve", post: "update", delete: "del" }[method];
      call = verb && `${verb}(${args(id, method === "post" ? body : "")})`;
    } else if (rest.length === 1 && rest[0]) {
      const name = method === "get" ? `list${pascal(rest[0])}` : camel(rest[0]);
      call = `${name}(${args(id, body)})`;
    }
  }
  if (call) return `${target}.${call}`;
  const url = ids.reduce((p, v) => p.replace(/\{[^}]+\}/, v.startsWith('"') ? JSON.parse(v) : `\${${v}}`), path);
  // rawRequest takes params only on a POST: other methods carry them in the query string.
  const post = method === "post";
  const query = !post && hasParams ? `?${new URLSearchParams(params as Record<string, string>)}` : "";
  const full = `${url}${query}`;
  const quoted = full.includes("${") ? `\`${full}\`` : JSON.stringify(full);
  return `stripe.rawRequest(${args(JSON.stringify(method.toUpperCase()), quoted, post ? body : "")})`;
}

/** The curl and stripe-node samples of one merchant operation. */
export function codeSamples(doc: Doc, server: string, method: string, path: string, op: Operation): CodeSample[] {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? "");
  const concrete = names.reduce((p, n) => p.replace(`{${n}}`, shellValue(op, n)), path);
  const content = op.requestBody?.content;
  const body = (content?.["application/x-www-form-urlencoded"] ?? content?.["application/json"])?.schema;
  // The body's own example when it has one (it may hold a field a refinement requires, as a refund's
  // payment_intent), else its required fields with theirs.
  const own = resolve(doc, body)?.example;
  const params =
    own !== null && typeof own === "object" ? (own as Record<string, unknown>) : requiredExample(doc, body);
  const list = method === "get" && op.parameters?.some((p) => p.in === "query" && p.name === "limit");
  const sdkParams = list ? { limit: 3 } : params;
  const curl = [
    `curl ${method === "get" ? "" : `-X ${method.toUpperCase()} `}"${server}${concrete}${list ? "?limit=3" : ""}"`,
    `-u "$EDGEPAY_SECRET_KEY:"`,
    ...(method === "post" ? [`-H "Idempotency-Key: $(openssl rand -hex 16)"`] : []),
    ...formFields(params).map(([k, v]) => curlField(k, v)),
  ];
  const url = new URL(server);
  const node = [
    `import Stripe from "stripe";`,
    ``,
    `const stripe = new Stripe(process.env.EDGEPAY_SECRET_KEY, {`,
    `  host: ${JSON.stringify(url.hostname)},`,
    `  port: ${Number(url.port || (url.protocol === "https:" ? 443 : 80))},`,
    `  protocol: ${JSON.stringify(url.protocol.slice(0, -1))},`,
    `});`,
    ``,
    `const result = await ${sdkCall(
      method,
      path,
      names.map((n) => jsValue(op, n)),
      sdkParams,
    )};`,
  ];
  return [
    { lang: "Shell", label: "curl", source: curl.join(" \\\n  ") },
    { lang: "Node", label: "stripe (Node)", source: node.join("\n") },
  ];
}

/** True for an operation a merchant calls with a token or key: a `/v1/` path that lists `merchantToken`. */
function merchantOperation(path: string, op: Operation): boolean {
  return path.startsWith("/v1/") && (op.security ?? []).some((s) => "merchantToken" in s);
}

/** Adds `x-codeSamples` to every merchant operation of `doc` that has none, in place; returns `doc`. */
export function withCodeSamples<T extends object>(doc: T, server: string): T {
  const d = doc as unknown as Doc;
  for (const [path, ops] of Object.entries(d.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!merchantOperation(path, op) || op["x-codeSamples"]) continue;
      op["x-codeSamples"] = codeSamples(d, server, method, path, op);
    }
  }
  return doc;
}

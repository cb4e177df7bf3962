/**
 * What the app-wide middleware adds to every operation, written into the OpenAPI registry once all
 * routes are registered (routes/docs.ts): the middleware is mounted by path in app.ts, so its part
 * of the document is derived by the same rule rather than repeated in every route module.
 * - `operationId`: Stripe's naming, from the method and path (`operationIdFor`).
 * - Request bodies: the body parser (middleware/body.ts) accepts form and JSON bodies on every route
 *   and parses both into one object, so a body declared in one encoding is declared in the other
 *   too, with the same schema (JSON first: the docs page shows the first).
 * - The body parser runs on every POST, PUT, PATCH and DELETE: 413 (too large) and 415 (neither form
 *   nor JSON) on each such operation, but for one with its own error shape (the token endpoint's 400).
 * - The gate (rate limits and idempotency, on the paths `gated` names): 429 and the RateLimit
 *   headers on every such operation; 409 and the `Idempotency-Key` header on its POSTs.
 * - The required scope: `x-scopes` and a sentence in the description, read from the route's own
 *   `requireScope` guard (lib/route-scopes.ts) in the app's handler table, so the document states
 *   what the guard enforces.
 * Only documentation changes: `app.openapi()` built each route's validators when it was registered,
 * so nothing here reaches request handling. A route that declares any of these itself keeps its own.
 */
import type { RouteConfig } from "@hono/zod-openapi";
import type { App } from "../types";
import { ErrorSchema, errorResponses } from "./openapi";
import { type ScopeMark, scopeMarkOf } from "./route-scopes";

/** What Stripe's own OpenAPI document calls the `{id}` after a collection, where it is not the collection's singular. */
const STRIPE_PARAM_NAMES: Record<string, string> = {
  payment_intents: "intent",
  sessions: "session",
  value_list_items: "item",
  events: "id",
  balance_transactions: "id",
};

/** `payment_intents` → `PaymentIntents`, `.well-known` → `WellKnown`. */
const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");

/**
 * The operationId of a route, as Stripe's document names them: the method, then each path segment
 * after `/v1` in PascalCase, an `{id}` named after its collection (`GET /v1/payment_intents/{id}` →
 * `GetPaymentIntentsIntent`). Operator routes (`/admin/v1`) start with `Admin`.
 */
export function operationIdFor(method: string, path: string): string {
  const admin = path.startsWith("/admin/v1/");
  const segments = path
    .replace(/^\/(admin\/)?v1\//, "/")
    .split("/")
    .filter(Boolean);
  const words = segments.map((segment, i) => {
    const param = /^\{(.+)\}$/.exec(segment)?.[1];
    if (param !== "id") return pascal(param ?? segment);
    const collection = segments[i - 1] ?? "";
    return pascal(STRIPE_PARAM_NAMES[collection] ?? collection.replace(/s$/, ""));
  });
  return `${admin ? "Admin" : ""}${pascal(method)}${words.join("")}`;
}

/** The IETF RateLimit headers the gate sends (component names under `#/components/headers`). */
const RATE_LIMIT_HEADERS = {
  "RateLimit-Policy": { $ref: "#/components/headers/RateLimit-Policy" },
  RateLimit: { $ref: "#/components/headers/RateLimit" },
};

/** The `Idempotency-Key` request header of a gated POST. */
const IDEMPOTENCY_KEY = {
  name: "Idempotency-Key",
  in: "header" as const,
  required: false,
  description:
    "Makes a retry safe. A finished answer (2xx, or a 4xx such as a decline) is saved under the key for 24 h, " +
    "scoped to the merchant, and replayed to a retry with the same parameters; validation errors, 401, 403, " +
    "409, 429 and 5xx are not saved, so a retry runs again. The same key with other parameters is a 400 " +
    "`idempotency_error`; a retry while the first request runs is a 409 `idempotency_key_in_use`.",
  schema: { type: "string" as const, minLength: 1, maxLength: 255 },
};

type Responses = RouteConfig["responses"];

const JSON_TYPE = "application/json";
const FORM_TYPE = "application/x-www-form-urlencoded";

/** `responses` with each of `statuses` added from errorResponses unless the route declares it. */
function withErrors(responses: Responses, statuses: number[]): Responses {
  const missing = statuses.filter((s) => !(s in responses));
  return { ...responses, ...errorResponses(...missing) };
}

/** Adds `headers` to every 2xx answer and the 429 of `responses` (a $ref answer is left alone). */
function withHeaders(responses: Responses, headers: Record<string, { $ref: string }>): Responses {
  return Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      if ("$ref" in response || !(status.startsWith("2") || status === "429")) return [status, response];
      const extra =
        status === "429" ? { ...headers, "Retry-After": { $ref: "#/components/headers/Retry-After" } } : headers;
      return [status, { ...response, headers: { ...extra, ...(response.headers as object | undefined) } }];
    }),
  );
}

/**
 * The scope guards of every route of `app`, by `METHOD /hono/:path`. `app.openapi()` keeps a route's
 * middleware out of the registry, but registers each one as a handler of the route's method and
 * path, so the guards are read from the app's own handler table.
 */
function scopeGuards(app: App): Map<string, ScopeMark[]> {
  const guards = new Map<string, ScopeMark[]>();
  for (const { method, path, handler } of app.routes) {
    const mark = scopeMarkOf(handler);
    if (!mark) continue;
    const key = `${method} ${path}`;
    guards.set(key, [...(guards.get(key) ?? []), mark]);
  }
  return guards;
}

/** The key of `route` in `scopeGuards`: its path written the way hono registers it (`{id}` → `:id`). */
const guardKey = (route: RouteConfig) => `${route.method.toUpperCase()} ${route.path.replaceAll(/\/{(.+?)}/g, "/:$1")}`;

/** The sentence that tells a reader which credential may call an operation guarded by `marks`. */
export function scopeSentence(marks: readonly ScopeMark[], publishableKey: boolean): string {
  const names = marks.map((m) => `\`${m.scope}\``).join(" and ");
  const publishable = !publishableKey
    ? ""
    : marks.some((m) => m.publishable)
      ? " A publishable key may also call it, with the PaymentIntent's `client_secret`."
      : " A publishable key may also call it.";
  return (
    `**Required scope:** ${names}. An access token or a restricted key must carry it; a secret key carries ` +
    `every scope.${publishable}`
  );
}

/** `route` with `x-scopes` and the scope sentence, when `marks` (its scope guards) are any. */
function withScopes(route: RouteConfig, marks: readonly ScopeMark[]): RouteConfig {
  if (marks.length === 0) return route;
  const publishableKey = (route.security ?? []).some((s) => "publishableKey" in s);
  const sentence = scopeSentence(marks, publishableKey);
  return {
    ...route,
    "x-scopes": marks.map((m) => m.scope),
    description: route.description ? `${route.description}\n\n${sentence}` : sentence,
  };
}

/** The methods whose bodies the body parser reads (middleware/body.ts): their answers may be a 413 or a 415. */
const BODY_METHODS = new Set(["post", "put", "patch", "delete"]);

/**
 * Whether a route answers its 400 in a shape of its own rather than the error envelope (the token
 * endpoint's RFC 6749 errors): the parser's refusals reach such a client in that shape, as a 400.
 */
function ownErrorShape(responses: Responses): boolean {
  const bad = responses[400];
  if (!bad || "$ref" in bad) return false;
  const media = bad.content?.["application/json"];
  return media !== undefined && "schema" in media && media.schema !== ErrorSchema;
}

/** One route's documentation with the app-wide additions (see the module comment). */
export function documented(
  route: RouteConfig,
  gated: (path: string) => boolean,
  scopes: readonly ScopeMark[] = [],
): RouteConfig {
  let out: RouteConfig = {
    ...withScopes(route, scopes),
    operationId: route.operationId ?? operationIdFor(route.method, route.path),
  };
  const body = route.request?.body;
  const json = body?.content[JSON_TYPE];
  const form = body?.content[FORM_TYPE];
  if (body && (json || form) && !(json && form)) {
    const content = { [JSON_TYPE]: json ?? form, [FORM_TYPE]: form ?? json, ...body.content };
    out = { ...out, request: { ...route.request, body: { ...body, content } } };
  }
  if (BODY_METHODS.has(route.method) && !ownErrorShape(route.responses)) {
    out = { ...out, responses: withErrors(out.responses, [413, 415]) };
  }
  if (gated(route.path)) {
    const post = route.method === "post";
    const parameters = post
      ? ([IDEMPOTENCY_KEY, ...(route.parameters ?? [])] as typeof route.parameters)
      : route.parameters;
    const responses = withHeaders(withErrors(out.responses, post ? [409, 429] : [429]), RATE_LIMIT_HEADERS);
    out = { ...out, ...(parameters && { parameters }), responses };
  }
  return out;
}

/**
 * Applies `documented` to every route of `app`'s registry and registers the response headers it
 * refers to. Call once, after every route is registered and before the document is served.
 */
export function documentAppWide(app: App, gated: (path: string) => boolean): void {
  const guards = scopeGuards(app);
  for (const definition of app.openAPIRegistry.definitions) {
    if (definition.type !== "route") continue;
    definition.route = documented(definition.route, gated, guards.get(guardKey(definition.route)));
  }
  const header = (description: string) => ({ description, schema: { type: "string" as const } });
  app.openAPIRegistry.registerComponent(
    "headers",
    "RateLimit-Policy",
    header('The merchant\'s quota, e.g. `"default";q=100;w=1` (IETF RateLimit headers draft).'),
  );
  app.openAPIRegistry.registerComponent(
    "headers",
    "RateLimit",
    header('What remains of the quota, e.g. `"default";r=42;t=1`.'),
  );
  app.openAPIRegistry.registerComponent("headers", "Retry-After", {
    description: "Seconds to wait before retrying.",
    schema: { type: "integer" },
  });
}

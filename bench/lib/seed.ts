/**
 * Seeds the bench merchant through the gateway's own operator API (with the OPERATOR_TOKEN this
 * harness generated), raises its rate limit so the load is never throttled, and gets an access
 * token over OAuth2 client credentials, and tokenizes cards for the payment scenarios. Nothing is
 * written to D1 behind the gateway's back.
 */

/** What a request to the gateway answered. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

/** Sends a form-encoded (or bodiless) request and parses the JSON answer. */
export async function call(
  base: URL,
  method: "GET" | "POST",
  path: string,
  opts: { bearer?: string; basic?: [string, string]; form?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (opts.bearer) headers.authorization = `Bearer ${opts.bearer}`;
  if (opts.basic) {
    const [id, secret] = opts.basic.map((s) => encodeURIComponent(s));
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`;
  }
  let body: string | undefined;
  if (opts.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(opts.form).toString();
  }
  const res = await fetch(new URL(path, base), { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = {};
  }
  return { status: res.status, body: parsed };
}

/** A short, secret-free description of a failed answer, e.g. `404 route_not_found`. */
export function describe(answer: Answer): string {
  const error = answer.body.error as Record<string, unknown> | string | undefined;
  const code = typeof error === "string" ? error : (error?.code ?? error?.type ?? "");
  return `${answer.status} ${String(code)}`.trim();
}

/** The scopes the bench client needs. */
export const BENCH_SCOPES = [
  "payments:read",
  "payments:write",
  "refunds:read",
  "refunds:write",
  "payment_methods:read",
  "payment_methods:write",
];

/** The seeded bench merchant and its credentials. */
export interface Seeded {
  merchantId: string;
  clientId: string;
  clientSecret: string;
  token: string;
  /** More clients of the merchant, for spreading token issuance (see TOKEN_CLIENTS). */
  tokenClients: { clientId: string; clientSecret: string }[];
  /** The rate limit set on the merchant, or why it could not be set. */
  rateLimit: number | string;
}

/** Why seeding could not finish, naming the step and the answer. */
export interface SeedFailure {
  missing: string;
}

function str(body: Record<string, unknown>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = body[key];
    if (typeof value === "string" && value !== "") return value;
  }
  return undefined;
}

/**
 * Clients the token scenario rotates through. The token endpoint throttles authentication attempts
 * per client (the gate allows 10 in flight a minute, returned on success), which one client at
 * c=16 exceeds; a merchant's fleet of services would use several clients.
 */
const TOKEN_CLIENTS = 16;

/** Requests per second given to the bench merchant: far above what two cores can serve. */
const BENCH_RATE_LIMITS = [1_000_000, 100_000, 10_000];

async function raiseRateLimit(base: URL, operator: string, merchantId: string): Promise<number | string> {
  let last: Answer | null = null;
  for (const limit of BENCH_RATE_LIMITS) {
    last = await call(base, "POST", `/admin/v1/merchants/${merchantId}`, {
      bearer: operator,
      form: { rate_limit: String(limit) },
    });
    if (last.status < 300) return limit;
    if (last.status !== 400) break;
  }
  return `not set (POST /admin/v1/merchants/:id rate_limit answered ${last ? describe(last) : "nothing"})`;
}

async function createClient(base: URL, operator: string, merchantId: string): Promise<Answer> {
  const path = `/admin/v1/merchants/${merchantId}/clients`;
  const plain = await call(base, "POST", path, { bearer: operator, form: { scopes: BENCH_SCOPES.join(" ") } });
  if (plain.status !== 400) return plain;
  // The operator API may name the parameter `scope` (RFC 6749) instead.
  return call(base, "POST", path, { bearer: operator, form: { scope: BENCH_SCOPES.join(" ") } });
}

/** Gets a fresh access token for the client (client_secret_basic). */
export async function issueToken(base: URL, clientId: string, clientSecret: string): Promise<Answer> {
  return call(base, "POST", "/v1/oauth/token", {
    basic: [clientId, clientSecret],
    form: { grant_type: "client_credentials" },
  });
}

/** Creates the bench merchant, its client and a token, or says which step is missing. */
export async function seedMerchant(base: URL, operator: string): Promise<Seeded | SeedFailure> {
  const merchant = await call(base, "POST", "/admin/v1/merchants", { bearer: operator, form: { name: "bench" } });
  const merchantId = str(merchant.body, "id", "merchant_id");
  if (merchant.status >= 300 || !merchantId) return { missing: `POST /admin/v1/merchants: ${describe(merchant)}` };
  const rateLimit = await raiseRateLimit(base, operator, merchantId);
  const client = await createClient(base, operator, merchantId);
  const clientId = str(client.body, "client_id", "id");
  const clientSecret = str(client.body, "client_secret", "secret");
  if (client.status >= 300 || !clientId || !clientSecret) {
    return { missing: `POST /admin/v1/merchants/:id/clients: ${describe(client)}` };
  }
  const token = await issueToken(base, clientId, clientSecret);
  const accessToken = str(token.body, "access_token");
  if (token.status !== 200 || !accessToken) return { missing: `POST /v1/oauth/token: ${describe(token)}` };
  const tokenClients = [{ clientId, clientSecret }];
  while (tokenClients.length < TOKEN_CLIENTS) {
    const extra = await createClient(base, operator, merchantId);
    const id = str(extra.body, "client_id", "id");
    const secret = str(extra.body, "client_secret", "secret");
    if (extra.status >= 300 || !id || !secret) break;
    tokenClients.push({ clientId: id, clientSecret: secret });
  }
  return { merchantId, clientId, clientSecret, token: accessToken, tokenClients, rateLimit };
}

/** The card every payment method is made from (a simulator success card), as a form body. */
export const CARD_FORM: Readonly<Record<string, string>> = {
  type: "card",
  "card[number]": "4242424242424242",
  "card[exp_month]": "12",
  "card[exp_year]": "2034",
  "card[cvc]": "123",
};

/** Tokenizes the bench card; returns the new `pm_` id, or null if the gateway refused. */
export async function tokenizeCard(base: URL, seeded: Seeded): Promise<string | null> {
  const pm = await call(base, "POST", "/v1/payment_methods", { bearer: seeded.token, form: { ...CARD_FORM } });
  return pm.status === 200 && typeof pm.body.id === "string" ? pm.body.id : null;
}

/** Checks a payment method can be charged twice; if so, returns it for every authorize to reuse. */
export async function probeReuse(base: URL, seeded: Seeded): Promise<string | null> {
  const id = await tokenizeCard(base, seeded);
  if (id === null) return null;
  const form = { amount: "2000", currency: "usd", payment_method: id, confirm: "true", capture_method: "manual" };
  for (let i = 0; i < 2; i++) {
    const pi = await call(base, "POST", "/v1/payment_intents", { bearer: seeded.token, form });
    if (pi.status !== 200) return null;
  }
  return id;
}

/**
 * PaymentIntent client secrets: returned to the merchant's own callers; with a publishable key,
 * retrieve and confirm work for the one intent whose secret is presented, and nothing else does.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentMethods } from "../../src/db/schema";
import { bearer, newKey } from "../helpers/api-keys";
import { call, type ErrorBody } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

const base = { amount: 1500, currency: "usd" };

async function setup() {
  const m = await newMerchant();
  const pk = await newKey(m.merchantId, "publishable");
  const intent = (await post(m, "/v1/payment_intents", base)).body;
  return { m, pk, intent: intent as { id: string; client_secret: string } };
}

const retrieve = (headers: { authorization: string }, id: string, secret?: string) =>
  get(
    { headers },
    `/v1/payment_intents/${id}${secret === undefined ? "" : `?client_secret=${encodeURIComponent(secret)}`}`,
  );

const confirm = (headers: { authorization: string }, id: string, fields: Record<string, string>) =>
  post({ headers }, `/v1/payment_intents/${id}/confirm`, fields);

function expect404(res: { status: number; body: ErrorBody }, id: string) {
  expect(res.status).toBe(404);
  expect(res.body.error.code).toBe("resource_missing");
  expect(res.body.error.message).toContain(id);
}

describe("client_secret on PaymentIntents", () => {
  it("is pi_…_secret_… on create, retrieve, list and with a secret key", async () => {
    const { m, intent } = await setup();
    expect(intent.client_secret).toMatch(new RegExp(`^${intent.id}_secret_[0-9A-Za-z]{24}$`));
    expect((await get(m, `/v1/payment_intents/${intent.id}`)).body.client_secret).toBe(intent.client_secret);
    const sk = await newKey(m.merchantId, "secret");
    expect((await retrieve(sk.headers, intent.id)).body.client_secret).toBe(intent.client_secret);
    const list = await get(m, "/v1/payment_intents");
    expect(list.body.data[0].client_secret).toBe(intent.client_secret);
    const other = (await post(m, "/v1/payment_intents", base)).body;
    expect(other.client_secret).not.toBe(intent.client_secret);
  });

  it("a publishable key retrieves the intent with its secret", async () => {
    const { pk, intent } = await setup();
    const res = await retrieve(pk.headers, intent.id, intent.client_secret);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: intent.id, status: "requires_payment_method", amount: 1500 });
  });

  it.each(["pm_card_visa", "tok_visa"])("a publishable key confirms with the secret and %s", async (pm) => {
    const { m, pk, intent } = await setup();
    const res = await confirm(pk.headers, intent.id, { client_secret: intent.client_secret, payment_method: pm });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("succeeded");
    expect((await get(m, `/v1/payment_intents/${intent.id}`)).body.status).toBe("succeeded");
  });

  it("a secret key needs no client_secret, and one given is ignored", async () => {
    const { m, intent } = await setup();
    expect((await retrieve(m.headers, intent.id, "nonsense")).status).toBe(200);
    const res = await confirm(m.headers, intent.id, { payment_method: "pm_card_visa" });
    expect(res.body.status).toBe("succeeded");
  });
});

describe("client_secret errors and security", () => {
  it("a publishable key without the secret, or with a wrong one, gets the 404 of an unknown id", async () => {
    const { pk, intent } = await setup();
    const wrong = `${intent.id}_secret_${"A".repeat(24)}`;
    for (const secret of [undefined, "", wrong, intent.client_secret.slice(0, -1), `${intent.client_secret}x`]) {
      expect404(await retrieve(pk.headers, intent.id, secret), intent.id);
      const fields: Record<string, string> = { payment_method: "pm_card_visa" };
      if (secret !== undefined) fields.client_secret = secret;
      expect404(await confirm(pk.headers, intent.id, fields), intent.id);
    }
    const unknown = await retrieve(pk.headers, "pi_000000000000000000000000", intent.client_secret);
    expect(unknown.status).toBe(404);
  });

  it("another intent's secret opens neither intent", async () => {
    const { m, pk, intent } = await setup();
    const other = (await post(m, "/v1/payment_intents", base)).body;
    expect404(await retrieve(pk.headers, intent.id, other.client_secret), intent.id);
    expect404(await confirm(pk.headers, intent.id, { client_secret: other.client_secret }), intent.id);
    expect((await get(m, `/v1/payment_intents/${intent.id}`)).body.status).toBe("requires_payment_method");
  });

  it("another merchant's publishable key, even with the right secret, gets 404", async () => {
    const { intent } = await setup();
    const stranger = await newMerchant();
    const pk = await newKey(stranger.merchantId, "publishable");
    expect404(await retrieve(pk.headers, intent.id, intent.client_secret), intent.id);
    expect404(
      await confirm(pk.headers, intent.id, { client_secret: intent.client_secret, payment_method: "pm_card_visa" }),
      intent.id,
    );
    // Its own intents' secrets do not open this merchant's intent either.
    const own = (await post(stranger, "/v1/payment_intents", base)).body;
    expect404(await retrieve(bearer(pk.secret), intent.id, own.client_secret), intent.id);
  });

  it("a wrong secret on confirm creates no test payment method", async () => {
    const { m, pk, intent } = await setup();
    await confirm(pk.headers, intent.id, { client_secret: "pi_x_secret_y", payment_method: "pm_card_visa" });
    const db = await dbOf(m.merchantId);
    expect(await db.select().from(paymentMethods).where(eq(paymentMethods.merchantId, m.merchantId)).all()).toEqual([]);
  });

  it("a publishable key is still refused on list, create, update, capture and cancel", async () => {
    const { pk, intent } = await setup();
    const s = intent.client_secret;
    for (const [method, path] of [
      ["GET", `/v1/payment_intents?client_secret=${s}`],
      ["POST", "/v1/payment_intents"],
      ["POST", `/v1/payment_intents/${intent.id}`],
      ["POST", `/v1/payment_intents/${intent.id}/capture`],
      ["POST", `/v1/payment_intents/${intent.id}/cancel`],
    ] as const) {
      const res = await call(path, {
        method,
        headers: { ...pk.headers, "content-type": "application/x-www-form-urlencoded" },
        ...(method === "POST" ? { body: `client_secret=${s}` } : {}),
      });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as ErrorBody).error.code, path).toBe("publishable_key_not_allowed");
    }
  });

  it("restricted keys still need their scope on retrieve and confirm", async () => {
    const { m, intent } = await setup();
    const rk = await newKey(m.merchantId, "restricted", ["payment_methods:write"]);
    expect((await retrieve(rk.headers, intent.id, intent.client_secret)).status).toBe(403);
    expect((await confirm(rk.headers, intent.id, { client_secret: intent.client_secret })).status).toBe(403);
  });
});

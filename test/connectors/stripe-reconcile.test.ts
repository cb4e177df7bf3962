/**
 * A Stripe authorization whose answer is lost or refused, end to end through a merchant's Stripe
 * connector account (edgepay itself as the upstream, as in stripe-payments.test.ts): the lost
 * confirm repeated without the CVC is reconciled by retrieving its PaymentIntent; a bad gateway
 * fails over only before the card was sent; an account-level refusal (401, 400) fails over to the
 * next account. Adapted from the review's proofs (stripe-lost-answer-cvc, stripe-502-failover,
 * stripe-account-errors).
 */
import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { processorFactory } from "../../src/processor/index";
import { newKey } from "../helpers/api-keys";
import { BASE, type Target } from "../helpers/http";
import { newMerchant, operator, type TestMerchant } from "../helpers/merchants";
import { get, ledgerProblems, paymentMethod, post } from "../helpers/payments";
import { sweepAll } from "../helpers/shards";

const UPSTREAM = "https://upstream.edgepay.test";

/** Which step of the authorization a request is: the create, the confirm, or anything else. */
const stepOf = (req: Request) => {
  const path = new URL(req.url).pathname;
  if (req.method === "POST" && path === "/v1/payment_intents") return "create";
  if (req.method === "POST" && path.endsWith("/confirm")) return "confirm";
  return "other";
};

/**
 * A merchant with a Stripe account on an edgepay upstream and optionally a simulator account behind
 * it. `answer` may answer a request in the upstream's place (it never arrives); `fake` may replace
 * the upstream's answer to a request it already processed.
 */
async function setup(opts: {
  fallback: boolean;
  fake?: (req: Request, res: Response) => Response | Promise<Response>;
  answer?: (req: Request) => Response | null;
}) {
  const m = await newMerchant({ rateLimit: 1000 });
  const upstream = await newMerchant({ name: "Upstream", rateLimit: 1000 });
  const key = await newKey(upstream.merchantId, "secret");
  const stripe = await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
    kind: "stripe",
    mode: "test",
    credentials: { secret_key: key.secret },
  });
  const fallback = opts.fallback
    ? await operator<{ id: string }>(`/admin/v1/merchants/${m.merchantId}/connector_accounts`, {
        kind: "simulator",
        mode: "test",
      })
    : null;
  const factory = processorFactory(async (req) => {
    const answered = opts.answer?.(req);
    if (answered) return answered;
    const res = await exports.default.fetch(req.clone());
    return opts.fake ? opts.fake(req, res) : res;
  });
  const app = createApp({ payments: { processor: factory } });
  const target: Target = {
    request: (input, init) =>
      app.request(input.startsWith("http") ? input : `${BASE}${input}`, init, { ...env, STRIPE_API_BASE: UPSTREAM }),
  };
  const up: Pick<TestMerchant, "headers"> = { headers: key.headers };
  return { m, target, factory, stripe: stripe.id, fallback: fallback?.id, up };
}

/** Authorizes 1000 usd on a good card (manual capture); the intent's id and its answer. */
async function pay(m: TestMerchant, app: Target) {
  const pm = await paymentMethod(m, "4242424242424242");
  const paid = await post(
    m,
    "/v1/payment_intents",
    { amount: 1000, currency: "usd", payment_method: pm, confirm: "true", capture_method: "manual" },
    { app },
  );
  return { id: (paid.body.error?.payment_intent?.id ?? paid.body.id) as string, paid };
}

/** The upstream's PaymentIntents. */
async function upstreamIntents(up: Pick<TestMerchant, "headers">) {
  return (await get(up, "/v1/payment_intents?limit=100")).body.data as Array<{
    id: string;
    status: string;
    metadata: Record<string, string>;
  }>;
}

/** The intent's charges as [status, connector]. */
async function charges(m: TestMerchant, id: string) {
  const list = (await get(m, `/v1/charges?payment_intent=${id}`)).body.data as Array<{
    status: string;
    routing: { connector: string };
  }>;
  return list.map((c) => [c.status, c.routing.connector]).sort();
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
const later = (s: number) => Math.floor(Date.now() / 1000) + s;

describe("a Stripe authorization whose answer is lost or refused", () => {
  it("a confirm processed with the CVC whose answer is lost is recorded on the repeat without the CVC: the same PaymentIntent, held once", async () => {
    let lose = true;
    const confirms: string[] = [];
    const { m, target, factory, up } = await setup({
      fallback: false,
      fake: async (req, res) => {
        if (stepOf(req) !== "confirm") return res;
        confirms.push(await req.text());
        if (!lose) return res;
        lose = false;
        return new Response("oops", { status: 500 });
      },
    });
    const { id } = await pay(m, target);
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    await sweepAll({ at: later(120), processor: factory });
    const intent = (await get(m, `/v1/payment_intents/${id}`)).body;
    expect(intent.status).toBe("requires_capture");
    expect(confirms.map((b) => new URLSearchParams(b).has("payment_method_data[card][cvc]"))).toEqual([true, false]);
    const remote = (await upstreamIntents(up)).filter((pi) => pi.metadata.edgepay_key === `${id}_authorize_2`);
    expect(remote.map((pi) => pi.status)).toEqual(["requires_capture"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("a 502 to the create fails over with nothing held upstream", async () => {
    const { m, target, up, stripe, fallback } = await setup({
      fallback: true,
      fake: (req, res) => (stepOf(req) === "create" ? new Response("bad gateway", { status: 502 }) : res),
    });
    const { id, paid } = await pay(m, target);
    expect(paid.body.status, JSON.stringify(paid.body)).toBe("requires_capture");
    expect(await charges(m, id)).toEqual([
      ["failed", stripe],
      ["succeeded", fallback],
    ]);
    expect((await upstreamIntents(up)).map((pi) => pi.status)).toEqual(["requires_payment_method"]);
  });

  it("a 502 to a confirm the upstream processed does not fail over: the repeat records the upstream's hold, the only one", async () => {
    let bad = true;
    const { m, target, factory, up, stripe } = await setup({
      fallback: true,
      fake: (req, res) => {
        if (stepOf(req) !== "confirm" || !bad) return res;
        bad = false;
        return new Response("bad gateway", { status: 502 });
      },
    });
    const { id } = await pay(m, target);
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("processing");
    await sweepAll({ at: later(120), processor: factory });
    expect((await get(m, `/v1/payment_intents/${id}`)).body.status).toBe("requires_capture");
    expect(await charges(m, id)).toEqual([["succeeded", stripe]]);
    expect((await upstreamIntents(up)).map((pi) => pi.status)).toEqual(["requires_capture"]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it.each([
    ["a 401 (revoked key)", () => json(401, { error: { type: "invalid_request_error", message: "Invalid API Key" } })],
    [
      "a 400 account refusal",
      () =>
        json(400, { error: { type: "invalid_request_error", code: "parameter_unknown", message: "raw card data" } }),
    ],
  ])("%s fails over to the next account, which authorizes the good card", async (_name, answer) => {
    const { m, target, stripe, fallback } = await setup({ fallback: true, answer });
    const { id, paid } = await pay(m, target);
    expect([paid.status, paid.body.status ?? paid.body.error?.decline_code]).toEqual([200, "requires_capture"]);
    expect(await charges(m, id)).toEqual([
      ["failed", stripe],
      ["succeeded", fallback],
    ]);
  });

  it("a confirm refused for the account (400, no raw card data permission) fails over; the upstream intent holds nothing", async () => {
    const { m, target, up, stripe, fallback } = await setup({
      fallback: true,
      answer: (req) =>
        stepOf(req) === "confirm"
          ? json(400, { error: { type: "invalid_request_error", code: "parameter_unknown", message: "raw card data" } })
          : null,
    });
    const { id, paid } = await pay(m, target);
    expect(paid.body.status, JSON.stringify(paid.body)).toBe("requires_capture");
    expect(await charges(m, id)).toEqual([
      ["failed", stripe],
      ["succeeded", fallback],
    ]);
    expect((await upstreamIntents(up)).map((pi) => pi.status)).toEqual(["requires_payment_method"]);
  });
});

/**
 * The connector contract, run against every connector as the gateway sees it (each call wrapped in
 * `callProcessor`): the built-in simulator, and the Stripe connector speaking Stripe's API to
 * edgepay itself as the upstream (a separate "upstream" merchant's `sk_test_` key; the upstream
 * runs on its own simulator). Cards are read from the downstream merchant's vault.
 *
 * Where the two legitimately differ the test name says so: the simulator keeps no history of an
 * authorization (simulator.ts), so it does not refuse a capture after a void or a refund beyond
 * what was captured; the gateway refuses those from its own rows before calling. The Stripe
 * connector is refused them by the upstream.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { nowSeconds } from "../../src/db/merchants";
import { randomBase62 } from "../../src/lib/ids";
import { callProcessor, type Outcome, type ProcessorConnector } from "../../src/processor/connector";
import { processorFor } from "../../src/processor/index";
import { StripeConnector } from "../../src/processor/stripe";
import { EDGEPAY_CARDS } from "../../src/processor/test-cards";
import { detokenize } from "../../src/vault";
import { newKey } from "../helpers/api-keys";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { sweepAll, vaultOf } from "../helpers/shards";

const VISA = "4242424242424242";
const UPSTREAM = "https://upstream.edgepay.test";

/** One connector under test, with the downstream merchant whose vault it reads. */
interface Subject {
  connector: ProcessorConnector;
  merchantId: string;
  /** Tokenizes a card for the downstream merchant. */
  pm(number: string): Promise<string>;
  /** Stripe only: the upstream merchant's Bearer header, to look at the upstream's objects. */
  upstream?: { authorization: string };
  /**
   * Stripe only: makes the next `n` answers of the upstream (only those to a PaymentIntent confirm
   * when `confirmOnly`) get lost after it processed them.
   */
  loseAnswers?(n: number, confirmOnly?: boolean): void;
  /** Stripe only: the card is read without its CVC while `forget` (the gateway forgets it after the first attempt). */
  forgetCvc?(forget: boolean): void;
}

/** The simulator, reading a fresh merchant's vault. */
async function simulator(): Promise<Subject> {
  const m = await newMerchant({ rateLimit: 1000 });
  const vault = await vaultOf(m.merchantId);
  return { connector: processorFor(vault), merchantId: m.merchantId, pm: (n) => paymentMethod(m, n) };
}

/** The Stripe connector with edgepay as the upstream, reading a fresh downstream merchant's vault. */
async function stripe(): Promise<Subject> {
  const m = await newMerchant({ rateLimit: 1000 });
  const upstream = await newMerchant({ name: "Upstream", rateLimit: 1000 });
  const key = await newKey(upstream.merchantId, "secret");
  const vault = await vaultOf(m.merchantId);
  let lose = 0;
  let loseConfirmOnly = false;
  let cvc = true;
  const connector = new StripeConnector({
    baseUrl: UPSTREAM,
    secretKey: key.secret,
    fetch: async (req) => {
      const confirm = new URL(req.url).pathname.endsWith("/confirm");
      const res = await exports.default.fetch(req);
      if (lose > 0 && (confirm || !loseConfirmOnly)) {
        lose--;
        throw new TypeError("connection reset");
      }
      return res;
    },
    readCard: async (merchantId, pm) => {
      const card = await detokenize(vault, merchantId, pm);
      return cvc ? card : { ...card, cvc: null };
    },
  });
  return {
    connector,
    merchantId: m.merchantId,
    pm: (n) => paymentMethod(m, n),
    upstream: key.headers,
    loseAnswers: (n, confirmOnly = false) => {
      lose = n;
      loseConfirmOnly = confirmOnly;
    },
    forgetCvc: (forget) => {
      cvc = !forget;
    },
  };
}

const key = (tag: string) => `ct_${tag}_${randomBase62(16)}`;

describe.each([
  { name: "simulator", setup: simulator, tracksHistory: false },
  { name: "stripe (edgepay upstream)", setup: stripe, tracksHistory: true },
])("the connector contract: $name", ({ setup, tracksHistory }) => {
  let s: Subject;
  beforeAll(async () => {
    s = await setup();
  });

  const authorize = async (number: string, opts: { key?: string; amount?: number } = {}) => {
    const { key: k = key("auth"), amount = 1000 } = opts;
    const pm = await s.pm(number);
    const req = {
      key: k,
      merchantId: s.merchantId,
      paymentMethod: pm,
      amount,
      currency: "usd",
      statementDescriptor: null,
    };
    return { key: k, req, outcome: await callProcessor("authorize", amount, () => s.connector.authorize(req)) };
  };
  const follow = (op: "capture" | "void" | "refund", reference: string, amount: number, k = key(op)) =>
    callProcessor(op, amount, () =>
      s.connector[op]({ key: k, reference, amount, merchantId: s.merchantId, currency: "usd" }),
    );
  const approvedRef = (o: Outcome): string => {
    expect(o).toMatchObject({ kind: "approved" });
    return (o as { reference: string }).reference;
  };
  /** The upstream merchant, as a client of the upstream's API (Stripe only). */
  const upstream = () => {
    if (!s.upstream) throw new Error("no upstream for this connector");
    return { headers: s.upstream };
  };
  /** The upstream PaymentIntent (Stripe only). */
  const upstreamPi = async (id: string) => (await get(upstream(), `/v1/payment_intents/${id}`)).body;

  it("approves an authorization with a reference, for the amount asked", async () => {
    const { outcome, key: k } = await authorize(VISA);
    const reference = approvedRef(outcome);
    expect(reference).toMatch(/^[A-Za-z0-9_]{1,64}$/);
    if (s.upstream) {
      const pi = await upstreamPi(reference);
      expect(pi).toMatchObject({ status: "requires_capture", amount_capturable: 1000, capture_method: "manual" });
      // The key is in the metadata, and no card data is.
      expect(pi.metadata).toEqual({ edgepay_key: k });
    }
  });

  it.each([
    ["4000000000000002", "card_declined", "generic_decline"],
    ["4000000000009995", "card_declined", "insufficient_funds"],
    ["4000000000000069", "expired_card", "expired_card"],
    ["4000000000000127", "incorrect_cvc", "incorrect_cvc"],
    ["4000000000000119", "processing_error", "processing_error"],
  ])("declines %s with %s / %s", async (number, code, declineCode) => {
    expect((await authorize(number)).outcome).toEqual({ kind: "declined", code, declineCode });
  });

  it("answers a repeated authorization key with the same reference", async () => {
    const first = await authorize(VISA);
    const again = await callProcessor("authorize", 1000, () => s.connector.authorize(first.req));
    expect(approvedRef(again)).toBe(approvedRef(first.outcome));
  });

  it("approves a partial capture for the amount captured", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    approvedRef(await follow("capture", ref, 600));
    if (s.upstream) expect(await upstreamPi(ref)).toMatchObject({ status: "succeeded", amount_received: 600 });
  });

  it("refuses a capture above the authorized amount", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    expect(await follow("capture", ref, 1500)).toEqual({ kind: "refused", reason: "declined" });
  });

  it("refuses a second key capturing more than was authorized, after a first capture", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    approvedRef(await follow("capture", ref, 600));
    expect(await follow("capture", ref, 1500)).toEqual({ kind: "refused", reason: "declined" });
  });

  it(
    tracksHistory
      ? "approves a void, and refuses a capture after it (authorization_gone)"
      : "approves a void; a capture after it is approved (no history: the gateway refuses it before calling)",
    async () => {
      const ref = approvedRef((await authorize(VISA)).outcome);
      approvedRef(await follow("void", ref, 1000));
      const capture = await follow("capture", ref, 1000);
      if (tracksHistory) expect(capture).toEqual({ kind: "refused", reason: "authorization_gone" });
      else expect(capture.kind).toBe("approved");
    },
  );

  it("approves a partial refund and then the rest", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    approvedRef(await follow("capture", ref, 1000));
    const first = approvedRef(await follow("refund", ref, 300));
    const rest = approvedRef(await follow("refund", ref, 700));
    expect(first).not.toBe(rest);
  });

  it("refuses a refund above the authorized and captured amount", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    approvedRef(await follow("capture", ref, 1000));
    expect(await follow("refund", ref, 1500)).toEqual({ kind: "refused", reason: "declined" });
  });

  it(
    tracksHistory
      ? "refuses a refund beyond what was captured and not yet refunded"
      : "approves a refund beyond what was captured but within the authorization (no history: the gateway refuses it before calling)",
    async () => {
      const ref = approvedRef((await authorize(VISA)).outcome);
      approvedRef(await follow("capture", ref, 600));
      approvedRef(await follow("refund", ref, 500));
      const beyond = await follow("refund", ref, 200);
      if (tracksHistory) expect(beyond).toEqual({ kind: "refused", reason: "declined" });
      else expect(beyond.kind).toBe("approved");
    },
  );

  it("answers a repeated capture key with the first capture, moving the money once", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    const k = key("capture");
    const first = approvedRef(await follow("capture", ref, 600, k));
    expect(approvedRef(await follow("capture", ref, 600, k))).toBe(first);
    if (s.upstream) expect(await upstreamPi(ref)).toMatchObject({ status: "succeeded", amount_received: 600 });
  });

  it("answers a repeated refund key with the first refund, refunding once", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    approvedRef(await follow("capture", ref, 1000));
    const k = key("refund");
    const first = approvedRef(await follow("refund", ref, 400, k));
    expect(approvedRef(await follow("refund", ref, 400, k))).toBe(first);
    if (s.upstream) expect(await upstreamPi(ref)).toMatchObject({ amount_received: 1000, amount_refunded: 400 });
  });

  it("answers a repeated void key with an approval again", async () => {
    const ref = approvedRef((await authorize(VISA)).outcome);
    const k = key("void");
    const first = approvedRef(await follow("void", ref, 1000, k));
    expect(approvedRef(await follow("void", ref, 1000, k))).toBe(first);
  });

  it(
    tracksHistory
      ? "reconciles the timeout-after-processing card: unknown, still unknown while the upstream's own call is unknown, approved under the same key once the upstream's sweep finished it"
      : "reconciles the timeout-after-processing card: unknown first, approved when the same key is repeated",
    async () => {
      const first = await authorize(EDGEPAY_CARDS.timeoutAfterProcessing);
      expect(first.outcome).toEqual({ kind: "unknown" });
      const repeat = () => callProcessor("authorize", 1000, () => s.connector.authorize(first.req));
      if (tracksHistory) {
        expect(await repeat()).toEqual({ kind: "unknown" });
        await sweepAll({ at: nowSeconds() + 120 });
      }
      const ref = approvedRef(await repeat());
      expect(approvedRef(await repeat())).toBe(ref);
    },
  );

  if (tracksHistory) {
    it("stripe: an authorization whose answer was lost is unknown (retryable), then approved under the same key, authorized once", async () => {
      s.loseAnswers?.(1);
      const first = await authorize(VISA);
      expect(first.outcome).toEqual({ kind: "unknown", retryable: true });
      const ref = approvedRef(await callProcessor("authorize", 1000, () => s.connector.authorize(first.req)));
      const list = await get(upstream(), "/v1/payment_intents?limit=100");
      const mine = list.body.data.filter(
        (pi: { metadata: Record<string, string> }) => pi.metadata.edgepay_key === first.key,
      );
      expect(mine.map((pi: { id: string }) => pi.id)).toEqual([ref]);
    });

    it("stripe: a confirm whose answer was lost is unknown (not retryable: it authorized); the repeat without the CVC is reconciled by retrieve, one PaymentIntent upstream", async () => {
      s.loseAnswers?.(1, true);
      const first = await authorize(VISA);
      expect(first.outcome).toEqual({ kind: "unknown" });
      const pis = async () =>
        (await get(upstream(), "/v1/payment_intents?limit=100")).body.data.filter(
          (pi: { metadata: Record<string, string> }) => pi.metadata.edgepay_key === first.key,
        );
      expect((await pis()).map((pi: { status: string }) => pi.status)).toEqual(["requires_capture"]);
      s.forgetCvc?.(true);
      const repeat = () => callProcessor("authorize", 1000, () => s.connector.authorize(first.req));
      const ref = approvedRef(await repeat().finally(() => s.forgetCvc?.(false)));
      expect(approvedRef(await repeat())).toBe(ref);
      expect((await pis()).map((pi: { id: string }) => pi.id)).toEqual([ref]);
      expect(await upstreamPi(ref)).toMatchObject({ status: "requires_capture", amount_capturable: 1000 });
    });

    it("stripe: a capture whose answer was lost is approved when its key is repeated, captured once", async () => {
      const ref = approvedRef((await authorize(VISA)).outcome);
      const k = key("capture");
      s.loseAnswers?.(1);
      expect(await follow("capture", ref, 600, k)).toEqual({ kind: "unknown", retryable: true });
      approvedRef(await follow("capture", ref, 600, k));
      expect(await upstreamPi(ref)).toMatchObject({ status: "succeeded", amount_received: 600 });
    });

    it("stripe: a capture the upstream already took for this amount (its key pruned) is reconciled by retrieve, not taken twice", async () => {
      const ref = approvedRef((await authorize(VISA)).outcome);
      const direct = await post(upstream(), `/v1/payment_intents/${ref}/capture`, {
        amount_to_capture: 600,
      });
      expect(direct.status).toBe(200);
      const charge = direct.body.latest_charge;
      expect(await follow("capture", ref, 600)).toEqual({ kind: "approved", reference: charge });
      expect(await upstreamPi(ref)).toMatchObject({ status: "succeeded", amount_received: 600 });
      // Another amount is not the capture this key asked for: refused, the authorization used up.
      expect(await follow("capture", ref, 500)).toEqual({ kind: "refused", reason: "declined" });
    });

    it("stripe: a follow-up on a PaymentIntent the upstream does not know is authorization_gone", async () => {
      for (const op of ["capture", "void", "refund"] as const) {
        expect(await follow(op, "pi_doesnotexist000000000", 100)).toEqual({
          kind: "refused",
          reason: "authorization_gone",
        });
      }
    });
  }
});

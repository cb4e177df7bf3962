/** 404 messages repeat an id only when it has an id's shape; card numbers and hostile text are never echoed. */
import { beforeAll, describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";

let m: TestMerchant;
beforeAll(async () => {
  m = await newMerchant();
});

/** GETs `path` as the merchant and returns the status and the raw response text. */
async function getText(path: string) {
  const res = await call(path, { headers: m.headers });
  return { status: res.status, text: await res.text() };
}

describe("ids in 404 messages", () => {
  it("echoes a well-formed payment_intent id, but not one carrying a card number after its prefix", async () => {
    const good = await getText("/v1/payment_intents/pi_unknown123");
    expect(JSON.parse(good.text).error.message).toBe("No such payment_intent: 'pi_unknown123'");
    const res = await getText("/v1/payment_intents/pi_4242424242424242");
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("4242424242424242");
    expect(JSON.parse(res.text).error.message).toBe("No such payment_intent.");
  });

  it("does not echo a bare card number sent as a payment_intent id", async () => {
    const res = await getText("/v1/payment_intents/4242424242424242");
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("4242424242424242");
    expect(JSON.parse(res.text).error.message).toBe("No such payment_intent.");
  });

  it("does not echo a pi_ id with characters outside the id alphabet", async () => {
    const raw = "pi_<script>alert(1)</script>";
    const res = await getText(`/v1/payment_intents/${encodeURIComponent(raw)}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("<script>");
    expect(res.text).not.toContain("alert(1)");
  });

  it("does not echo a card number sent as the intent of a new refund", async () => {
    const res = await post(m, "/v1/refunds", { payment_intent: "4242424242424242" });
    expect(res.status).toBe(404);
    expect(JSON.stringify(res.body)).not.toContain("4242424242424242");
  });

  it("echoes a well-formed refund id and not a card number sent as one", async () => {
    const good = await getText("/v1/refunds/re_unknown123");
    expect(good.status).toBe(404);
    expect(JSON.parse(good.text).error.message).toBe("No such refund: 're_unknown123'");
    expect((await getText("/v1/refunds/re_4242424242424242")).text).not.toContain("4242424242424242");
    const bad = await getText("/v1/refunds/4242424242424242");
    expect(bad.status).toBe(404);
    expect(bad.text).not.toContain("4242424242424242");
  });

  it("does not echo an unknown 5,000-character cursor", async () => {
    const cursor = `pi_${"A".repeat(4997)}`;
    const res = await getText(`/v1/payment_intents?starting_after=${cursor}`);
    expect(res.status).toBe(404);
    expect(res.text).not.toContain("A".repeat(100));
    expect(JSON.parse(res.text).error).toMatchObject({ message: "No such object.", param: "starting_after" });
  });

  it("still names a well-formed unknown cursor", async () => {
    const res = await getText("/v1/payment_intents?ending_before=pi_unknown123");
    expect(res.status).toBe(404);
    expect(JSON.parse(res.text).error.message).toBe("No such object: 'pi_unknown123'");
  });
});

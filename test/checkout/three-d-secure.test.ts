/**
 * Hosted checkout with a 3-D Secure card: the page's payment answers `requires_action` with the
 * challenge URL; the challenge returns to `/checkout/<cs id>/return`, which sends the shopper to
 * the success URL once paid (the session complete) or back to the page after a failure.
 */
import { describe, expect, it } from "vitest";
import { newSession, pageCard, payPage, randomIp } from "../helpers/checkout";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { get, ledgerProblems, processorOps, recordedApp, unfinished } from "../helpers/payments";

const app = recordedApp;

async function challengedSession() {
  const m = await newMerchant();
  const cs = await newSession(m);
  const paid = await payPage(cs.id, { card: pageCard("4000002760003184") }, { ip: randomIp(), app });
  expect(paid.status, JSON.stringify(paid.body)).toBe(200);
  expect(paid.body.status).toBe("requires_action");
  const challenge = new URL(paid.body.redirect).pathname;
  expect(challenge).toMatch(/^\/3ds\/payatt_/);
  return { m, cs, challenge };
}

function answer(path: string, kind: "complete" | "fail") {
  return call(
    `${path}/${kind}`,
    { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "" },
    app,
  );
}

describe("checkout with a 3-D Secure card", () => {
  it("completing the challenge returns through the session to its success URL; the session is complete", async () => {
    const { m, cs, challenge } = await challengedSession();
    const done = await answer(challenge, "complete");
    const back = new URL(done.headers.get("location") ?? "");
    expect(back.pathname).toBe(`/checkout/${cs.id}/return`);
    expect(back.searchParams.get("redirect_status")).toBe("succeeded");
    const final = await call(`${back.pathname}${back.search}`, {}, app);
    expect(final.status).toBe(303);
    expect(final.headers.get("location")).toBe(`https://shop.example/thanks?session_id=${cs.id}`);
    const session = await get(m, `/v1/checkout/sessions/${cs.id}`, app);
    expect(session.body.status).toBe("complete");
    expect(await processorOps(`${session.body.payment_intent}_`)).toEqual(["authorize", "capture"]);
    expect(await unfinished(m.merchantId)).toEqual([]);
    expect(await ledgerProblems(m.merchantId)).toEqual([]);
  });

  it("failing it returns to the page; the session stays open for another card", async () => {
    const { m, cs, challenge } = await challengedSession();
    const done = await answer(challenge, "fail");
    const back = new URL(done.headers.get("location") ?? "");
    const final = await call(`${back.pathname}${back.search}`, {}, app);
    expect(final.headers.get("location")).toBe(`http://127.0.0.1:8787/checkout/${cs.id}?redirect_status=failed`);
    expect((await get(m, `/v1/checkout/sessions/${cs.id}`, app)).body.status).toBe("open");
    const again = await payPage(cs.id, { card: pageCard("4242424242424242") }, { ip: randomIp(), app });
    expect(again.body.status).toBe("complete");
  });

  it("the return of an unknown session is a 404", async () => {
    const res = await call(`/checkout/cs_test_${"z".repeat(48)}/return`, {}, app);
    expect(res.status).toBe(404);
  });
});

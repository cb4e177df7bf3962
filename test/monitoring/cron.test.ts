/**
 * The minute cron runs the webhook catch-up and the alert evaluation side by side: an evaluation
 * that throws (synchronously or not) or hangs past the dispatch never stops the webhooks from going
 * out, and a dispatch run still evaluates the alerts.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { scheduledDispatch } from "../../src/scheduled";
import { eventsOf, payQuietly, receiverScope, storeEndpoint, waitFor } from "../helpers/deliveries";
import { newMerchant } from "../helpers/merchants";

/** A merchant with one paid intent whose events are stored, undispatched, and an endpoint on the receiver. */
async function pendingEvents() {
  const m = await newMerchant();
  expect((await payQuietly(m)).status).toBe(200);
  const rx = receiverScope();
  await storeEndpoint(m.merchantId, rx.url("ok"));
  const stored = await eventsOf(m.merchantId);
  expect(stored.every((e) => e.dispatched === 0)).toBe(true);
  return { m, rx, stored };
}

describe("scheduledDispatch", () => {
  it.each([
    [
      "rejects",
      async () => {
        throw new Error("metrics store down");
      },
    ],
    [
      "throws synchronously",
      (() => {
        throw new Error("bug");
      }) as unknown as (env: Env) => Promise<unknown>,
    ],
  ])("still dispatches webhooks when the alert evaluation %s, and logs the failure", async (_, alerts) => {
    const { m, rx, stored } = await pendingEvents();
    const errors = vi.spyOn(console, "error");
    await scheduledDispatch(env, alerts);
    expect((await eventsOf(m.merchantId)).every((e) => e.dispatched !== 0)).toBe(true);
    await waitFor(async () => ((await rx.received()).length >= stored.length ? true : undefined), 10_000, "deliveries");
    const logged = errors.mock.calls.map((c) => String(c[0])).join("\n");
    expect(logged).toContain('"event":"alert_evaluation_failed"');
    expect(logged).not.toContain("metrics store down");
    errors.mockRestore();
  });

  it("runs both at once: the evaluation is called, and the dispatch does not wait for it to finish first", async () => {
    const { m } = await pendingEvents();
    let dispatchedWhileEvaluating = false;
    const alerts = vi.fn(async () => {
      await new Promise<void>((resolve) => {
        // The evaluation ends once the dispatch has marked the events (or after 5 s, and the test fails).
        const poll = async () => {
          if ((await eventsOf(m.merchantId)).every((e) => e.dispatched !== 0)) {
            dispatchedWhileEvaluating = true;
            resolve();
          } else setTimeout(poll, 20);
        };
        void poll();
        setTimeout(resolve, 5000);
      });
    });
    await scheduledDispatch(env, alerts);
    expect(alerts).toHaveBeenCalledTimes(1);
    expect(dispatchedWhileEvaluating).toBe(true);
  });
});

/** The health probes: ok, a rejection, a false answer and a timeout each reported with their latency, never thrown. */
import { describe, expect, it } from "vitest";
import { probe } from "../../src/lib/probe";

describe("probe", () => {
  it("is ok when the work answers true, with its latency", async () => {
    const r = await probe(async () => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      return true;
    });
    expect(r.status).toBe("ok");
    expect(r.latency_ms).toBeGreaterThanOrEqual(25);
  });

  it("fails, without throwing, on a rejection, a synchronous throw and a false", async () => {
    expect((await probe(() => Promise.reject(new Error("db password is hunter2")))).status).toBe("fail");
    expect(
      (
        await probe(() => {
          throw new Error("sync");
        })
      ).status,
    ).toBe("fail");
    expect((await probe(async () => false)).status).toBe("fail");
  });

  it("fails at its timeout when the work never answers", async () => {
    const r = await probe(() => new Promise<boolean>(() => undefined), 100);
    expect(r.status).toBe("fail");
    expect(r.latency_ms).toBeGreaterThanOrEqual(90);
    expect(r.latency_ms).toBeLessThan(1000);
  });
});

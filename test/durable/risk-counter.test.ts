/** RiskCounter, through its real binding: counts before each attempt per window, declines, approvals, distinct cards, retention. */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { randomBase62 } from "../../src/lib/ids";

const object = () => env.RISK_COUNTER.getByName(`test:${randomBase62(12)}`);
const T = 1_800_000_000;

describe("RiskCounter", () => {
  it("answers the counts before each attempt, by hour and by day", async () => {
    const c = object();
    const first = await c.observe({ id: "a1", at: T, card: "fp1", small: true });
    expect(first).toEqual({
      hour: { attempts: 0, declines: 0, approvals: 0, cards: 0, small: 0 },
      day: { attempts: 0, declines: 0, approvals: 0, cards: 0, small: 0 },
    });
    await c.declined("a1");
    await c.observe({ id: "a2", at: T + 10, card: "fp2", small: false });
    await c.approved("a2");
    const third = await c.observe({ id: "a3", at: T + 20, card: "fp2", small: false });
    expect(third.hour).toEqual({ attempts: 2, declines: 1, approvals: 1, cards: 2, small: 1 });
    // Two hours later the first three are out of the hour, still in the day.
    const later = await c.observe({ id: "a4", at: T + 7200, card: "fp3", small: false });
    expect(later.hour).toEqual({ attempts: 0, declines: 0, approvals: 0, cards: 0, small: 0 });
    expect(later.day).toEqual({ attempts: 3, declines: 1, approvals: 1, cards: 2, small: 1 });
    // A day after, all of them are gone.
    const nextDay = await c.observe({ id: "a5", at: T + 7200 + 86_400, card: "fp1", small: false });
    expect(nextDay.day.attempts).toBe(0);
  });

  it("counts a repeated attempt id once, and answers it what its first observation got", async () => {
    const c = object();
    await c.observe({ id: "before", at: T, card: "fp0", small: false });
    const first = await c.observe({ id: "same", at: T + 1, card: "fp1", small: false });
    await c.observe({ id: "between", at: T + 2, card: "fp2", small: false });
    expect(await c.observe({ id: "same", at: T + 3, card: "fp1", small: false })).toEqual({ ...first, repeat: true });
    const next = await c.observe({ id: "other", at: T + 4, card: "fp1", small: false });
    expect(next.hour.attempts).toBe(3);
  });

  it("is forgotten by its alarm, and counts again afterwards", async () => {
    const c = object();
    await c.observe({ id: "x", at: T, card: "fp1", small: false });
    expect(await runDurableObjectAlarm(c)).toBe(true);
    const after = await c.observe({ id: "y", at: T + 1, card: "fp1", small: false });
    expect(after.hour.attempts).toBe(0);
  });

  it("keeps a pinned verdict past the alarm (its authorization may still be retried), and only that", async () => {
    const now = Math.floor(Date.now() / 1000);
    const c = object();
    await c.observe({ id: "unpinned", at: now, card: "fp1", small: false });
    await c.pin({ id: "held", at: now, card: "fp2", small: false }, '"review"');
    expect(await runDurableObjectAlarm(c)).toBe(true);
    expect(await c.preview({ id: "held", at: now + 2 * 86_400, card: "fp2", small: false })).toMatchObject({
      pinned: '"review"',
      repeat: true,
    });
    // The unpinned attempt is gone: it counts no more, and the next observation of it is new.
    expect(await c.observe({ id: "unpinned", at: now + 2, card: "fp1", small: false })).not.toHaveProperty("repeat");
  });

  it("preview records nothing; pin records the attempt once and keeps its first verdict", async () => {
    const c = object();
    const a = { id: "p1", at: T, card: "fp1", small: false };
    await c.preview(a);
    expect((await c.preview({ ...a, id: "p2", at: T + 1 })).hour.attempts).toBe(0);
    await c.pin(a, '"first"');
    await c.pin(a, '"second"');
    expect(await c.preview({ ...a, at: T + 2 })).toMatchObject({ pinned: '"first"', repeat: true });
    expect((await c.preview({ ...a, id: "p3", at: T + 3 })).hour.attempts).toBe(1);
  });
});

/** Connector health with an explicit clock: the trip threshold, the sliding window, the cool-down and the half-open window after it. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  BUCKET_MS,
  COOL_DOWN_MS,
  ERROR_RATE_TRIP,
  emptyHealth,
  type HealthState,
  idleAt,
  isConnectorId,
  MIN_SAMPLES,
  record,
  settle,
  statusOf,
  WINDOW_SECONDS,
} from "../../src/domain/connector-health";

const T = 1_800_000_000_000;

/** Records `results` in order, one per millisecond from `at`. */
function feed(state: HealthState, results: boolean[], at = T): HealthState {
  return results.reduce((s, ok, i) => record(s, ok, at + i), state);
}

const errors = (n: number) => Array<boolean>(n).fill(false);
const successes = (n: number) => Array<boolean>(n).fill(true);

describe("connector health", () => {
  it("the rule's constants are the documented ones", () => {
    expect([WINDOW_SECONDS, MIN_SAMPLES, ERROR_RATE_TRIP, COOL_DOWN_MS, BUCKET_MS]).toEqual([
      300, 20, 0.5, 60_000, 10_000,
    ]);
  });

  it("trips at exactly MIN_SAMPLES calls with half of them errors, not one call or one error before", () => {
    // 19 errors: too few calls, whatever the rate.
    const nineteen = feed(emptyHealth(), errors(MIN_SAMPLES - 1));
    expect(statusOf(nineteen, T + 100)).toMatchObject({ healthy: true, errors: 19, errorRate: 1 });
    // 10 successes and 9 errors, then one success: 20 calls at 45%: still healthy.
    const under = feed(emptyHealth(), [...successes(10), ...errors(9), true]);
    expect(statusOf(under, T + 100)).toMatchObject({ healthy: true, successes: 11, errors: 9, errorRate: 0.45 });
    // 10 successes and 10 errors: 20 calls at exactly 50%: tripped at the 20th call.
    const at = feed(emptyHealth(), [...successes(10), ...errors(10)]);
    expect(statusOf(at, T + 100)).toEqual({
      healthy: false,
      coolUntil: T + 19 + COOL_DOWN_MS,
      successes: 10,
      errors: 10,
      errorRate: 0.5,
      trips: 1,
    });
  });

  it("trips on the 20th concurrent-ish error at one instant", () => {
    const s = feed(emptyHealth(), errors(20)).coolUntil;
    expect(s).toBe(T + 19 + COOL_DOWN_MS);
  });

  it("lets old buckets age out of the window", () => {
    // 15 errors at T; 10 errors WINDOW_SECONDS later: the first 15 are gone, so 10 calls, no trip.
    const old = feed(emptyHealth(), errors(15));
    const later = T - (T % BUCKET_MS) + WINDOW_SECONDS * 1000;
    const s = feed(old, errors(10), later);
    expect(statusOf(s, later + 100)).toMatchObject({ healthy: true, errors: 10 });
    // One bucket earlier, the first 15 are still in: the 5th new error trips it (later ones are ignored).
    const inside = feed(old, errors(10), later - BUCKET_MS);
    expect(statusOf(inside, later - BUCKET_MS + 100)).toMatchObject({ healthy: false, errors: 20 });
    // The window never keeps more buckets than it spans.
    let many = emptyHealth();
    for (let t = T; t < T + 2 * WINDOW_SECONDS * 1000; t += BUCKET_MS) many = record(many, true, t);
    expect(many.buckets).toHaveLength(WINDOW_SECONDS / (BUCKET_MS / 1000));
  });

  it("cools down for exactly COOL_DOWN_MS, ignoring records meanwhile", () => {
    const tripped = feed(emptyHealth(), errors(20));
    const until = T + 19 + COOL_DOWN_MS;
    expect(statusOf(tripped, until - 1).healthy).toBe(false);
    expect(statusOf(tripped, until)).toMatchObject({
      healthy: true,
      coolUntil: null,
      successes: 0,
      errors: 0,
      trips: 1,
    });
    // Successes during the cool-down neither end it nor count.
    const during = feed(tripped, successes(50), T + 1000);
    expect(statusOf(during, until - 1)).toMatchObject({ healthy: false, coolUntil: until, errors: 20, successes: 0 });
  });

  it("is half-open after the cool-down: the window starts empty and must re-accumulate MIN_SAMPLES", () => {
    const until = T + 19 + COOL_DOWN_MS;
    const tripped = feed(emptyHealth(), errors(20));
    // 19 errors right after the cool-down: healthy (the 20 before it are gone).
    const after = feed(tripped, errors(19), until);
    expect(statusOf(after, until + 100)).toMatchObject({ healthy: true, errors: 19, trips: 1 });
    // The 20th trips it again, for a new cool-down.
    const again = record(after, false, until + 19);
    expect(statusOf(again, until + 100)).toMatchObject({
      healthy: false,
      coolUntil: until + 19 + COOL_DOWN_MS,
      trips: 2,
    });
  });

  it("settle and idleAt say when the state can be forgotten", () => {
    expect(idleAt(emptyHealth())).toBeNull();
    const one = record(emptyHealth(), true, T + 5);
    expect(idleAt(one)).toBe(T + WINDOW_SECONDS * 1000);
    expect(settle(one, (idleAt(one) as number) - 1).buckets).toHaveLength(1);
    expect(settle(one, idleAt(one) as number).buckets).toHaveLength(0);
    const tripped = feed(emptyHealth(), errors(20));
    expect(idleAt(tripped)).toBe(tripped.coolUntil);
  });

  it("stores only integer counts, and never trips below MIN_SAMPLES or below the rate (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400_000 })), { maxLength: 120 }),
        (calls) => {
          let s = emptyHealth();
          let at = T;
          for (const [ok, gap] of calls) {
            at += gap;
            const before = settle(s, at);
            const wasCooling = before.coolUntil !== null;
            s = record(s, ok, at);
            for (const b of s.buckets) {
              expect(Number.isInteger(b.successes) && Number.isInteger(b.errors) && b.start % BUCKET_MS === 0).toBe(
                true,
              );
            }
            if (!wasCooling && s.coolUntil !== null) {
              const st = statusOf(s, at);
              expect(st.successes + st.errors).toBeGreaterThanOrEqual(MIN_SAMPLES);
              expect(st.errorRate).toBeGreaterThanOrEqual(ERROR_RATE_TRIP);
            }
          }
        },
      ),
    );
  });

  it("knows a connector id", () => {
    expect(["builtin", "mca_abc123"].map(isConnectorId)).toEqual([true, true]);
    expect(["", "mca_", "pm_abc", "mca_a-b", "BUILTIN"].map(isConnectorId)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

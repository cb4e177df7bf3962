/** SimulatorMemory, through its real binding: first attempts lost, repeats answered as recorded, forgotten by its alarm. */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RETENTION_MS, type SimulatorMemory } from "../../src/durable/simulator-memory";
import { randomBase62 } from "../../src/lib/ids";

const object = () => env.SIMULATOR_MEMORY.getByName(`test_${randomBase62(12)}`);

describe("SimulatorMemory", () => {
  it("loses the first answer of a key, then gives the first recorded answer to every repeat", async () => {
    const memory = object();
    expect(await memory.attempt("k1", '"a"', false)).toBeNull();
    expect(await memory.attempt("k1", '"b"', false)).toBe('"a"');
    expect(await memory.recall("k1")).toBe('"a"');
    // Keys are independent within one authorization.
    expect(await memory.attempt("k2", '"c"', false)).toBeNull();
    expect(await memory.recall("k2")).toBe('"c"');
    expect(await memory.recall("k3")).toBeNull();
  });

  it("a first attempt lost before processing records no answer; the next attempt is processed and kept", async () => {
    const memory = object();
    expect(await memory.attempt("k", '"first"', true)).toBeNull();
    expect(await memory.recall("k")).toBeNull();
    expect(await memory.attempt("k", '"second"', true)).toBe('"second"');
    expect(await memory.attempt("k", '"third"', true)).toBe('"second"');
    expect(await memory.recall("k")).toBe('"second"');
  });

  it("concurrent first attempts of one key: exactly one is lost", async () => {
    const memory = object();
    const answers = await Promise.all(Array.from({ length: 10 }, () => memory.attempt("k", '"x"', false)));
    expect(answers.filter((a) => a === null)).toHaveLength(1);
  });

  it("forgets everything RETENTION_MS after its last new key", async () => {
    const memory = object();
    const before = Date.now();
    await memory.attempt("k", '"x"', false);
    const alarm = await runInDurableObject(memory, (_i: SimulatorMemory, state) => state.storage.getAlarm());
    expect(alarm).toBeGreaterThanOrEqual(before + RETENTION_MS);
    expect(await runDurableObjectAlarm(memory)).toBe(true);
    expect(await memory.recall("k")).toBeNull();
    expect(await memory.attempt("k", '"y"', false)).toBeNull();
  });
});

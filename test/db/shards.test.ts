/**
 * The shard layout (src/db/shards.ts): the assignment rule, the bindings every test runs with, the
 * directory a created merchant gets, and every database at the same, latest migration.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { leastFilledShard, shardBindings, shardDb } from "../../src/db/shards";
import { newMerchant } from "../helpers/merchants";
import { shardIndexOf } from "../helpers/shards";

describe("leastFilledShard", () => {
  it("picks the shard with the fewest merchants, ties to the lowest index", () => {
    expect(leastFilledShard([0])).toBe(0);
    expect(leastFilledShard([0, 0])).toBe(0);
    expect(leastFilledShard([1, 0])).toBe(1);
    expect(leastFilledShard([2, 1, 1])).toBe(1);
    expect(leastFilledShard([5, 7, 3, 3])).toBe(2);
    expect(() => leastFilledShard([])).toThrow(/no shard/);
  });

  it("always returns the lowest index among the least filled", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1000), { minLength: 1, maxLength: 64 }), (counts) => {
        const pick = leastFilledShard(counts);
        const min = Math.min(...counts);
        expect(counts[pick]).toBe(min);
        expect(counts.indexOf(min)).toBe(pick);
      }),
    );
  });
});

describe("the shard bindings", () => {
  it("tests run with at least two shards, and an unbound shard is a configuration error", () => {
    const n = shardBindings(env).length;
    expect(n).toBeGreaterThanOrEqual(2);
    expect(() => shardDb(env, n)).toThrow(`SHARD_${n} is not bound`);
  });

  it("gives each new merchant the least-filled shard, so merchants alternate over two shards", async () => {
    // Storage is per test file and this is the file's first merchant, so the directory starts empty.
    const shards: number[] = [];
    for (let i = 0; i < 5; i++) shards.push(await shardIndexOf((await newMerchant()).merchantId));
    expect(shards).toEqual([0, 1, 0, 1, 0]);
  });

  it("leaves every shard, and the control database, at the same latest migration", async () => {
    const applied = async (db: D1Database) =>
      (await db.prepare("select name from d1_migrations order by id").all<{ name: string }>()).results.map(
        (r) => r.name,
      );
    expect(await applied(env.DB)).toEqual(env.TEST_CONTROL_MIGRATIONS.map((m) => m.name));
    for (const shard of shardBindings(env)) {
      expect(await applied(shard)).toEqual(env.TEST_SHARD_MIGRATIONS.map((m) => m.name));
    }
  });
});

/** Policy selection and sharding: exact splits, stable key placement, card-testing targets. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bucketShardCount,
  hashToShard,
  isCardTesting,
  KEY_SHARDS,
  keyShardOf,
  MAX_RATE_LIMIT,
  merchantQuota,
  PER_SHARD_QUOTA,
  policiesFor,
  shardPolicies,
  shareOf,
  sourceKey,
} from "../../src/domain/limits";

describe("merchantQuota", () => {
  it("uses the operator's limit, else the deployment default", () => {
    expect(merchantQuota(7, "25")).toBe(7);
    expect(merchantQuota(null, "25")).toBe(25);
    expect(merchantQuota(undefined, "100")).toBe(100);
    expect(merchantQuota(0, "25")).toBe(25);
    expect(() => merchantQuota(null, "lots")).toThrow(/RATE_LIMIT_DEFAULT/);
  });
});

describe("sharding", () => {
  it("uses one shard up to PER_SHARD_QUOTA and one more per started 100 req/s", () => {
    expect(PER_SHARD_QUOTA).toBe(100);
    expect(bucketShardCount(25)).toBe(1);
    expect(bucketShardCount(PER_SHARD_QUOTA)).toBe(1);
    expect(bucketShardCount(PER_SHARD_QUOTA + 1)).toBe(2);
    expect(bucketShardCount(1000)).toBe(10);
  });
  it("splits every quota so the shards add up to exactly the merchant's quota (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), fc.boolean(), (quota, card) => {
        const shards = bucketShardCount(quota);
        const policies = policiesFor(quota, card);
        for (const [i, p] of policies.entries()) {
          let sum = 0;
          for (let s = 0; s < shards; s++) {
            const share = shardPolicies(policies, shards, s)[i]?.quota ?? 0;
            expect(share).toBeGreaterThanOrEqual(1);
            sum += share;
          }
          expect(sum).toBe(p.quota);
        }
      }),
    );
    expect([0, 1, 2].map((s) => shareOf(10, 3, s))).toEqual([4, 3, 3]);
  });
  it("hashes a string to one stable shard in range", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 255 }), fc.integer({ min: 1, max: 64 }), (key, shards) => {
        const s = hashToShard(key, shards);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(shards);
        expect(hashToShard(key, shards)).toBe(s);
      }),
    );
  });
  it("places a key on a key shard that depends on the key alone, never on the quota", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 255 }), (key) => {
        const s = keyShardOf(key);
        expect(s).toBeGreaterThanOrEqual(0);
        expect(s).toBeLessThan(KEY_SHARDS);
        expect(s).toBe(hashToShard(key, KEY_SHARDS));
      }),
    );
  });
  it("has enough key shards for the operator maximum at PER_SHARD_QUOTA keyed requests/s each", () => {
    expect(KEY_SHARDS * PER_SHARD_QUOTA).toBeGreaterThanOrEqual(MAX_RATE_LIMIT);
  });
  it("spreads keys roughly evenly", () => {
    const keyShards = new Set(Array.from({ length: 4000 }, (_, i) => keyShardOf(`stripe-node-retry-${i}`)));
    expect(keyShards.size).toBe(KEY_SHARDS);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) {
      const s = hashToShard(`stripe-node-retry-${i}`, 4);
      counts[s] = (counts[s] ?? 0) + 1;
    }
    for (const n of counts) expect(n).toBeGreaterThan(800);
  });
});

describe("card-testing targets", () => {
  it("covers tokenization and confirming with raw card details", () => {
    expect(isCardTesting("POST", "/v1/payment_methods", {})).toBe(true);
    expect(isCardTesting("POST", "/v1/tokens", {})).toBe(true);
    expect(isCardTesting("POST", "/v1/payment_intents/pi_1/confirm", { payment_method_data: {} })).toBe(true);
    expect(isCardTesting("POST", "/v1/payment_intents", { confirm: "true", payment_method_data: {} })).toBe(true);
    expect(isCardTesting("POST", "/v1/payment_intents", { confirm: true, card: {} })).toBe(true);
    expect(isCardTesting("POST", "/v1/payment_intents/pi_1/confirm", { payment_method: "tok_1" })).toBe(true);
    expect(isCardTesting("POST", "/v1/payment_intents", { confirm: "true", payment_method: "tok_1" })).toBe(true);
  });
  it("leaves saved payment methods and reads alone", () => {
    expect(isCardTesting("POST", "/v1/payment_intents/pi_1/confirm", { payment_method: "pm_1" })).toBe(false);
    expect(isCardTesting("POST", "/v1/payment_intents", { payment_method_data: {} })).toBe(false);
    expect(isCardTesting("POST", "/v1/payment_intents", { payment_method: "tok_1" })).toBe(false);
    expect(isCardTesting("POST", "/v1/payment_intents", { confirm: "true", payment_method: "pm_1" })).toBe(false);
    expect(isCardTesting("GET", "/v1/payment_methods", {})).toBe(false);
    expect(isCardTesting("POST", "/v1/refunds", {})).toBe(false);
  });
  it("adds the 10 s card policy with the merchant's quota", () => {
    expect(policiesFor(25, true)).toEqual([
      { name: "default", quota: 25, windowSec: 1 },
      { name: "card", quota: 25, windowSec: 10 },
    ]);
    expect(policiesFor(25, false)).toHaveLength(1);
  });
});

describe("sourceKey", () => {
  it("keeps IPv4, cuts IPv6 to its /64, and puts anything else in one bucket", () => {
    expect(sourceKey("203.0.113.7")).toBe("203.0.113.7");
    expect(sourceKey("2001:db8:0:1:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:0:1::/64");
    expect(sourceKey("2001:DB8::1")).toBe("2001:db8:0:0::/64");
    expect(sourceKey("2001:0db8:0000:0001::")).toBe("2001:db8:0:1::/64");
    expect(sourceKey("::1")).toBe("0:0:0:0::/64");
    for (const bad of [undefined, null, "", "unknown", "1:2:3", "1::2::3", "1:2:3:4:5:6:7:8:9", "12345::", "x.y"]) {
      expect(sourceKey(bad)).toBe("unknown");
    }
  });
});

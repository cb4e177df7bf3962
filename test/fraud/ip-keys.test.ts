/**
 * What a shopper's IP address is counted under: an IPv6 subscriber rotates freely through its /64,
 * so every address of one /64 shares one IP counter, while value lists still match the full address.
 */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { browserPay, chargeOf, freshCard } from "../helpers/shopper";

describe("the IP velocity key", () => {
  it("attempts from different addresses of one IPv6 /64 share the IP counter", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const scores: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await browserPay(m, freshCard(31_000 + i), { ip: `2001:db8:7:9::${i + 1}`, country: "US" });
      expect(res.status).toBe(200);
      scores.push((await chargeOf(m, res.body)).outcome.risk_score);
    }
    // The 4th attempt saw 3 distinct cards from the /64: one beyond the 2 free ones (10 points).
    expect(scores).toEqual([5, 5, 5, 15]);
  });

  it("another /64 has its own counter, and a list still matches the full address", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    for (let i = 0; i < 3; i++) {
      await browserPay(m, freshCard(32_000 + i), { ip: `2001:db8:7:a::${i + 1}`, country: "US" });
    }
    const other = await browserPay(m, freshCard(32_010), { ip: "2001:db8:7:b::1", country: "US" });
    expect((await chargeOf(m, other.body)).outcome.risk_score).toBe(5);
    const list = (await post(m, "/v1/radar/value_lists", { alias: "bad_ips", name: "x", item_type: "ip_address" })).body
      .id;
    await post(m, "/v1/radar/value_list_items", { value_list: list, value: "2001:db8:7:a::9" });
    await post(m, "/v1/radar/rules", { action: "block", predicate: ":ip_address: in @bad_ips" });
    const neighbour = await browserPay(m, freshCard(32_011), { ip: "2001:db8:7:a::8", country: "US" });
    expect(neighbour.status).toBe(200);
    const listed = await browserPay(m, freshCard(32_012), { ip: "2001:0db8:0007:000a:0:0:0:9", country: "US" });
    expect(listed.body.error.decline_code).toBe("fraudulent");
  });
});

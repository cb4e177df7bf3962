/** Value list items: checked and normalized per type, so lookups are exact. */
import { describe, expect, it } from "vitest";
import { listTypesFor, normalizeItem } from "../../src/domain/value-lists";

describe("normalizeItem", () => {
  it("normalizes each type", () => {
    expect(normalizeItem("email", " Jenny@Example.COM ")).toBe("jenny@example.com");
    expect(normalizeItem("country", "us")).toBe("US");
    expect(normalizeItem("string", "Visa")).toBe("visa");
    expect(normalizeItem("case_sensitive_string", "Visa")).toBe("Visa");
    expect(normalizeItem("card_bin", "424242")).toBe("424242");
    expect(normalizeItem("customer_id", "cus_abc")).toBe("cus_abc");
    expect(normalizeItem("ip_address", "203.0.113.7")).toBe("203.0.113.7");
    expect(normalizeItem("ip_address", "2001:DB8:0:0:0:0:0:1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(normalizeItem("ip_address", "2001:db8::1")).toBe("2001:db8:0:0:0:0:0:1");
    expect(normalizeItem("card_fingerprint", "Ab3_-Ab3_-Ab3_-x")).toBe("Ab3_-Ab3_-Ab3_-x");
  });

  it("refuses values that are not of the type", () => {
    expect(normalizeItem("email", "not-an-email")).toBeNull();
    expect(normalizeItem("country", "USA")).toBeNull();
    expect(normalizeItem("card_bin", "4242")).toBeNull();
    expect(normalizeItem("card_bin", "4242424242424242")).toBeNull();
    expect(normalizeItem("ip_address", "256.1.1.1")).toBeNull();
    expect(normalizeItem("ip_address", "01.1.1.1")).toBeNull();
    expect(normalizeItem("ip_address", "1::2::3")).toBeNull();
    expect(normalizeItem("customer_id", "pm_123")).toBeNull();
    expect(normalizeItem("string", "   ")).toBeNull();
    expect(normalizeItem("string", "x".repeat(801))).toBeNull();
  });

  it("says which list types an attribute can be looked up in", () => {
    expect(listTypesFor("card_fingerprint")).toContain("card_fingerprint");
    expect(listTypesFor("ip_country")).toContain("country");
    expect(listTypesFor("risk_score")).toEqual([]);
  });
});

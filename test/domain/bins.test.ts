/** Issuing countries of Stripe's test cards, and Radar's test cards. */
import { describe, expect, it } from "vitest";
import { issuingCountry, radarTestCard } from "../../src/domain/bins";

describe("issuingCountry", () => {
  it("reads the country of Stripe's international test cards", () => {
    expect(issuingCountry("4000000760000002", false)).toBe("BR");
    expect(issuingCountry("4000001240000000", false)).toBe("CA");
    expect(issuingCountry("4000008260000000", false)).toBe("GB");
    expect(issuingCountry("4000002760000016", false)).toBe("DE");
  });

  it("other test cards are US-issued; unknown live cards have no country", () => {
    expect(issuingCountry("4242424242424242", false)).toBe("US");
    expect(issuingCountry("4000000000009235", false)).toBe("US");
    expect(issuingCountry("4242424242424242", true)).toBeNull();
    expect(issuingCountry("4000000760000002", true)).toBe("BR");
  });
});

describe("radarTestCard", () => {
  it("names the level Radar's test cards always score at", () => {
    const of = (pan: string) => radarTestCard(pan.slice(0, 6), pan.slice(-4));
    expect(of("4100000000000019")).toBe("blocked");
    expect(of("4000000000004954")).toBe("highest");
    expect(of("4000000000009235")).toBe("elevated");
    expect(of("4242424242424242")).toBeNull();
    expect(radarTestCard(null, "0019")).toBeNull();
  });
});

/**
 * A list is looked up as its item type stores items: a `case_sensitive_string` list matches only
 * the exact value, never one that differs in case.
 */
import { describe, expect, it } from "vitest";
import { newMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";
import { freshCard } from "../helpers/shopper";

describe("list lookups by item type", () => {
  it("a case_sensitive_string list matches the exact value only", async () => {
    const m = await newMerchant();
    // A card whose (merchant-scoped) fingerprint has upper-case letters.
    let pm = "";
    let fingerprint = "";
    for (let i = 0; fingerprint === fingerprint.toLowerCase() && i < 10; i++) {
      pm = await paymentMethod(m, freshCard(61_000 + i));
      fingerprint = (await get(m, `/v1/payment_methods/${pm}`)).body.card.fingerprint as string;
    }
    expect(fingerprint).not.toBe(fingerprint.toLowerCase());
    const list = async (alias: string, value: string) => {
      const id = (await post(m, "/v1/radar/value_lists", { alias, name: alias, item_type: "case_sensitive_string" }))
        .body.id;
      await post(m, "/v1/radar/value_list_items", { value_list: id, value });
      await post(m, "/v1/radar/rules", { action: "block", predicate: `:card_fingerprint: in @${alias}` });
    };
    const pay = () =>
      post(m, "/v1/payment_intents", { amount: 1000, currency: "usd", payment_method: pm, confirm: "true" });
    await list("lower_fps", fingerprint.toLowerCase());
    expect((await pay()).status).toBe(200);
    await list("exact_fps", fingerprint);
    expect((await pay()).body.error.decline_code).toBe("fraudulent");
  });
});

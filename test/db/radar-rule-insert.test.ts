/**
 * A rule's insert checks, in the statement itself, that every list it uses still exists with the
 * item type it was checked against: a list deleted between the check and the insert leaves no rule
 * naming it.
 */
import { describe, expect, it } from "vitest";
import { getRule, insertRule, type RuleRow } from "../../src/db/radar";
import { newId } from "../../src/lib/ids";
import { call } from "../helpers/http";
import { newMerchant } from "../helpers/merchants";
import { post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

describe("insertRule", () => {
  it("inserts only while every list it uses exists with its checked item type", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const list = (await post(m, "/v1/radar/value_lists", { alias: "bad_emails", name: "x", item_type: "email" })).body
      .id as string;
    const rule = (): RuleRow => ({
      id: newId("rule"),
      merchantId: m.merchantId,
      action: "block",
      predicate: ":email: in @bad_emails",
      lists: JSON.stringify(["bad_emails"]),
      created: 1,
    });
    const used = [{ alias: "bad_emails", itemType: "email" }];
    const kept = rule();
    expect(await insertRule(db, kept, used)).toBe(true);
    expect(await getRule(db, m.merchantId, kept.id)).toMatchObject({ id: kept.id });
    // Another item type than the one checked: no rule.
    const retyped = rule();
    expect(await insertRule(db, retyped, [{ alias: "bad_emails", itemType: "string" }])).toBe(false);
    expect(await getRule(db, m.merchantId, retyped.id)).toBeUndefined();
    // The list deleted after the check (its only rule removed first): no rule.
    expect((await call(`/v1/radar/rules/${kept.id}`, { method: "DELETE", headers: m.headers })).status).toBe(200);
    expect((await call(`/v1/radar/value_lists/${list}`, { method: "DELETE", headers: m.headers })).status).toBe(200);
    const late = rule();
    expect(await insertRule(db, late, used)).toBe(false);
    expect(await getRule(db, m.merchantId, late.id)).toBeUndefined();
  });
});

/** Radar value lists, items and rules: happy paths and errors (security: radar.security.test.ts). */
import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, post } from "../helpers/payments";

function del(m: Pick<TestMerchant, "headers">, path: string) {
  return call(path, { method: "DELETE", headers: m.headers }).then(async (res) => ({
    status: res.status,
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary response fields.
    body: (await res.json()) as any,
  }));
}

async function list(m: TestMerchant, alias: string, itemType: string) {
  const res = await post(m, "/v1/radar/value_lists", { alias, name: `List ${alias}`, item_type: itemType });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

describe("value lists and items", () => {
  it("creates a list, adds normalized items, lists, filters and deletes them", async () => {
    const m = await newMerchant();
    const created = await post(m, "/v1/radar/value_lists", {
      alias: "blocked_emails",
      name: "Blocked emails",
      item_type: "email",
      "metadata[team]": "risk",
    });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      object: "radar.value_list",
      alias: "blocked_emails",
      item_type: "email",
      metadata: { team: "risk" },
      list_items: { object: "list", data: [], has_more: false },
    });
    const id = created.body.id as string;
    expect(id).toMatch(/^rsl_/);
    const item = await post(m, "/v1/radar/value_list_items", { value_list: id, value: "Fraud@Example.com" });
    expect(item.status).toBe(200);
    expect(item.body).toMatchObject({ object: "radar.value_list_item", value: "fraud@example.com", value_list: id });
    await post(m, "/v1/radar/value_list_items", { value_list: id, value: "other@example.com" });

    const retrieved = await get(m, `/v1/radar/value_lists/${id}`);
    expect(retrieved.body.list_items.data.map((i: { value: string }) => i.value).sort()).toEqual([
      "fraud@example.com",
      "other@example.com",
    ]);
    const filtered = await get(m, `/v1/radar/value_list_items?value_list=${id}&value=FRAUD@example.com`);
    expect(filtered.body.data.map((i: { id: string }) => i.id)).toEqual([item.body.id]);
    expect(
      (await get(m, `/v1/radar/value_lists?alias=blocked_emails`)).body.data.map((l: { id: string }) => l.id),
    ).toEqual([id]);

    expect((await del(m, `/v1/radar/value_list_items/${item.body.id}`)).body).toEqual({
      id: item.body.id,
      object: "radar.value_list_item",
      deleted: true,
    });
    expect((await get(m, `/v1/radar/value_list_items/${item.body.id}`)).status).toBe(404);
    const updated = await post(m, `/v1/radar/value_lists/${id}`, { name: "Renamed", alias: "bad_emails" });
    expect(updated.body).toMatchObject({ name: "Renamed", alias: "bad_emails", item_type: "email" });
    expect((await del(m, `/v1/radar/value_lists/${id}`)).body.deleted).toBe(true);
    expect((await get(m, `/v1/radar/value_lists/${id}`)).status).toBe(404);
  });

  it("refuses a taken alias, an invalid or repeated value, an unknown list and an item type change", async () => {
    const m = await newMerchant();
    const id = await list(m, "ips", "ip_address");
    const taken = await post(m, "/v1/radar/value_lists", { alias: "ips", name: "x" });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({ code: "parameter_invalid", param: "alias" });
    const badAlias = await post(m, "/v1/radar/value_lists", { alias: "Bad Alias", name: "x" });
    expect(badAlias.body.error).toMatchObject({ code: "parameter_invalid", param: "alias" });
    const badType = await post(m, "/v1/radar/value_lists", { alias: "x", name: "x", item_type: "crypto" });
    expect(badType.body.error).toMatchObject({ code: "parameter_invalid", param: "item_type" });
    const bad = await post(m, "/v1/radar/value_list_items", { value_list: id, value: "999.1.1.1" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "parameter_invalid", param: "value" });
    expect((await post(m, "/v1/radar/value_list_items", { value_list: id, value: "203.0.113.9" })).status).toBe(200);
    const again = await post(m, "/v1/radar/value_list_items", { value_list: id, value: "203.0.113.9" });
    expect(again.body.error).toMatchObject({ code: "parameter_invalid", param: "value" });
    const unknown = await post(m, "/v1/radar/value_list_items", { value_list: "rsl_nope", value: "1.1.1.1" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "resource_missing", param: "value_list" });
    const change = await post(m, `/v1/radar/value_lists/${id}`, { item_type: "email" });
    expect(change.body.error).toMatchObject({ code: "parameter_unknown", param: "item_type" });
    const noList = await get(m, "/v1/radar/value_list_items");
    expect(noList.body.error).toMatchObject({ code: "parameter_missing", param: "value_list" });
    const extra = await get(m, `/v1/radar/value_lists?bogus=1`);
    expect(extra.body.error).toMatchObject({ code: "parameter_unknown", param: "bogus" });
  });
});

describe("rules", () => {
  it("lists the defaults first, creates a rule using a list, and deletes it", async () => {
    const m = await newMerchant();
    await list(m, "blocked_cards", "card_fingerprint");
    const defaults = await get(m, "/v1/radar/rules");
    expect(defaults.body.data).toEqual([
      expect.objectContaining({ id: "rule_default_block_highest", action: "block", default: true }),
      expect.objectContaining({ id: "rule_default_review_elevated", action: "review", default: true }),
    ]);
    const rule = await post(m, "/v1/radar/rules", {
      action: "block",
      predicate: ":card_fingerprint: in @blocked_cards or :card_country: != :ip_country:",
    });
    expect(rule.status).toBe(200);
    expect(rule.body).toMatchObject({ object: "radar.rule", action: "block", default: false });
    expect((await get(m, `/v1/radar/rules/${rule.body.id}`)).body.predicate).toContain("@blocked_cards");
    expect((await get(m, "/v1/radar/rules")).body.data.map((r: { id: string }) => r.id)).toContain(rule.body.id);
    expect((await del(m, `/v1/radar/rules/${rule.body.id}`)).body.deleted).toBe(true);
    expect((await get(m, `/v1/radar/rules/${rule.body.id}`)).status).toBe(404);
  });

  it("refuses bad syntax with the token and its position, unknown lists and mistyped lists", async () => {
    const m = await newMerchant();
    await list(m, "emails", "email");
    const syntax = await post(m, "/v1/radar/rules", { action: "block", predicate: ":risk_score: > 'high'" });
    expect(syntax.status).toBe(400);
    expect(syntax.body.error).toMatchObject({ code: "parameter_invalid", param: "predicate" });
    expect(syntax.body.error.message).toContain("position 15 ('high')");
    const unknownAttr = await post(m, "/v1/radar/rules", { action: "block", predicate: ":nope: = 'x'" });
    expect(unknownAttr.body.error.message).toContain(":nope:");
    const noList = await post(m, "/v1/radar/rules", { action: "block", predicate: ":email: in @missing" });
    expect(noList.body.error.message).toContain("@missing");
    const wrongType = await post(m, "/v1/radar/rules", { action: "block", predicate: ":ip_address: in @emails" });
    expect(wrongType.body.error).toMatchObject({ code: "parameter_invalid", param: "predicate" });
    const action = await post(m, "/v1/radar/rules", { action: "deny", predicate: ":amount: > 1" });
    expect(action.body.error).toMatchObject({ param: "action" });
    const defaults = await del(m, "/v1/radar/rules/rule_default_block_highest");
    expect(defaults.status).toBe(400);
  });

  it("a list a rule uses can be neither deleted nor renamed until the rule goes", async () => {
    const m = await newMerchant();
    const id = await list(m, "vip", "email");
    const rule = await post(m, "/v1/radar/rules", { action: "allow", predicate: ":email: in @vip" });
    const deleted = await del(m, `/v1/radar/value_lists/${id}`);
    expect(deleted.status).toBe(400);
    const renamed = await post(m, `/v1/radar/value_lists/${id}`, { alias: "vips" });
    expect(renamed.body.error).toMatchObject({ code: "parameter_invalid", param: "alias" });
    expect((await post(m, `/v1/radar/value_lists/${id}`, { name: "VIPs" })).status).toBe(200);
    await del(m, `/v1/radar/rules/${rule.body.id}`);
    expect((await del(m, `/v1/radar/value_lists/${id}`)).status).toBe(200);
  });
});

/** `/v1/customers`: create, retrieve, update (metadata merge), delete, list with `email` and `created`, and their errors. */
import { describe, expect, it } from "vitest";
import { eventsOf, typesFor } from "../helpers/events";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { get, paymentMethod, post } from "../helpers/payments";

async function customer(m: TestMerchant, fields: Record<string, string> = {}) {
  const res = await post(m, "/v1/customers", fields);
  expect(res.status).toBe(200);
  return res.body;
}

/** Ids as a list shows them: newest first, ties (same second) by id, descending. */
function newestFirst(...objects: { id: string; created: number }[]): string[] {
  return [...objects].sort((x, y) => y.created - x.created || (y.id < x.id ? -1 : 1)).map((o) => o.id);
}

function del(m: TestMerchant, path: string) {
  return call(path, { method: "DELETE", headers: m.headers });
}

describe("happy path", () => {
  it("creates a customer in Stripe's shape and retrieves it", async () => {
    const m = await newMerchant();
    const c = await customer(m, {
      email: "ada@example.com",
      name: "Ada Lovelace",
      phone: "+44 20 7946 0000",
      description: "first",
      "metadata[order]": "42",
    });
    expect(c).toEqual({
      id: expect.stringMatching(/^cus_[0-9A-Za-z]{24}$/),
      object: "customer",
      address: null,
      balance: 0,
      created: expect.any(Number),
      currency: null,
      default_source: null,
      delinquent: false,
      description: "first",
      email: "ada@example.com",
      invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
      livemode: false,
      metadata: { order: "42" },
      name: "Ada Lovelace",
      phone: "+44 20 7946 0000",
      preferred_locales: [],
      shipping: null,
      tax_exempt: "none",
    });
    expect((await get(m, `/v1/customers/${c.id}`)).body).toEqual(c);
  });

  it("creates once per Idempotency-Key", async () => {
    const m = await newMerchant();
    const a = await post(m, "/v1/customers", { email: "a@example.com" }, { idempotencyKey: "cus-key-1" });
    const b = await post(m, "/v1/customers", { email: "a@example.com" }, { idempotencyKey: "cus-key-1" });
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    expect((await get(m, "/v1/customers")).body.data).toHaveLength(1);
  });

  it("updates fields, merges metadata, and clears a field with an empty string", async () => {
    const m = await newMerchant();
    const c = await customer(m, { name: "Ada", email: "a@example.com", "metadata[a]": "1", "metadata[b]": "2" });
    const res = await post(m, `/v1/customers/${c.id}`, {
      "metadata[a]": "",
      "metadata[c]": "3",
      email: "",
      phone: "1",
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: "Ada", email: null, phone: "1", metadata: { b: "2", c: "3" } });
    expect((await get(m, `/v1/customers/${c.id}`)).body).toEqual(res.body);
  });

  it("sets and clears invoice_settings[default_payment_method] to an attached method", async () => {
    const m = await newMerchant();
    const c = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    expect((await post(m, `/v1/payment_methods/${pm}/attach`, { customer: c.id })).status).toBe(200);
    const set = await post(m, `/v1/customers/${c.id}`, { "invoice_settings[default_payment_method]": pm });
    expect(set.status).toBe(200);
    expect(set.body.invoice_settings.default_payment_method).toBe(pm);
    const cleared = await post(m, `/v1/customers/${c.id}`, { "invoice_settings[default_payment_method]": "" });
    expect(cleared.body.invoice_settings.default_payment_method).toBeNull();
  });

  it("deletes a customer: it is gone, and its payment methods are detached", async () => {
    const m = await newMerchant();
    const c = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: c.id });
    const res = await del(m, `/v1/customers/${c.id}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: c.id, object: "customer", deleted: true });
    expect((await get(m, `/v1/customers/${c.id}`)).status).toBe(404);
    expect((await del(m, `/v1/customers/${c.id}`)).status).toBe(404);
    expect((await get(m, `/v1/payment_methods/${pm}`)).body).toMatchObject({ customer: null });
    const again = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: (await customer(m)).id });
    expect(again.status).toBe(400);
  });

  it("lists newest first with cursors, and filters by email and created", async () => {
    const m = await newMerchant();
    const a = await customer(m, { email: "same@example.com" });
    const b = await customer(m, { email: "other@example.com" });
    const c = await customer(m, { email: "same@example.com" });
    const all = await get(m, "/v1/customers");
    expect(all.body).toMatchObject({ object: "list", url: "/v1/customers", has_more: false });
    expect(all.body.data.map((x: { id: string }) => x.id)).toEqual(newestFirst(a, b, c));
    const first = await get(m, "/v1/customers?limit=2");
    expect(first.body.has_more).toBe(true);
    const next = await get(m, `/v1/customers?limit=2&starting_after=${first.body.data[1].id}`);
    expect(next.body.data.map((x: { id: string }) => x.id)).toEqual(newestFirst(a, b, c).slice(2));
    const same = await get(m, "/v1/customers?email=same%40example.com");
    expect(same.body.data.map((x: { id: string }) => x.id)).toEqual(newestFirst(a, c));
    expect((await get(m, `/v1/customers?created[gt]=${a.created + 1000}`)).body.data).toEqual([]);
    expect((await get(m, `/v1/customers?created[lte]=${a.created + 1000}`)).body.data).toHaveLength(3);
  });
});

describe("errors", () => {
  it("refuses a bad email and an unknown parameter with a 400 naming it", async () => {
    const m = await newMerchant();
    const bad = await post(m, "/v1/customers", { email: "not-an-email" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("email");
    const unknown = await post(m, "/v1/customers", { shoe_size: "42" });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.param).toBe("shoe_size");
    const c = await customer(m);
    const badUpdate = await post(m, `/v1/customers/${c.id}`, { "invoice_settings[footer]": "x" });
    expect(badUpdate.status).toBe(400);
    expect(badUpdate.body.error.param).toBe("invoice_settings[footer]");
    expect((await get(m, "/v1/customers?colour=red")).status).toBe(400);
  });

  it("answers 404 for an unknown id on every id route", async () => {
    const m = await newMerchant();
    const id = "cus_000000000000000000000000";
    for (const res of [
      await get(m, `/v1/customers/${id}`),
      await post(m, `/v1/customers/${id}`, { name: "x" }),
      { status: (await del(m, `/v1/customers/${id}`)).status, body: null },
    ]) {
      expect(res.status).toBe(404);
    }
    expect((await get(m, `/v1/customers/${id}`)).body.error).toMatchObject({ code: "resource_missing", param: "id" });
  });

  it("refuses a default payment method that is not attached to the customer (400), changing nothing", async () => {
    const m = await newMerchant();
    const c = await customer(m, { name: "Ada" });
    const other = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    const param = "invoice_settings[default_payment_method]";
    const onCreate = await post(m, "/v1/customers", { [param]: pm });
    expect(onCreate.status).toBe(400);
    expect(onCreate.body.error.param).toBe(param);
    const unattached = await post(m, `/v1/customers/${c.id}`, { [param]: pm, name: "Bob" });
    expect(unattached.status).toBe(400);
    expect(unattached.body.error.param).toBe(param);
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: other.id });
    expect((await post(m, `/v1/customers/${c.id}`, { [param]: pm })).status).toBe(400);
    expect((await post(m, `/v1/customers/${c.id}`, { [param]: "pm_missing" })).status).toBe(400);
    expect((await get(m, `/v1/customers/${c.id}`)).body).toMatchObject({ name: "Ada" });
  });

  it("clears the default when its payment method is detached", async () => {
    const m = await newMerchant();
    const c = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: c.id });
    await post(m, `/v1/customers/${c.id}`, { "invoice_settings[default_payment_method]": pm });
    expect((await post(m, `/v1/payment_methods/${pm}/detach`)).body).toMatchObject({ customer: null });
    expect((await get(m, `/v1/customers/${c.id}`)).body.invoice_settings.default_payment_method).toBeNull();
  });
});

describe("events", () => {
  it("writes customer.created, customer.updated (with previous_attributes), payment_method.attached and customer.deleted", async () => {
    const m = await newMerchant();
    const c = await customer(m, { name: "Ada", "metadata[a]": "1" });
    const pm = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: c.id });
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: c.id });
    const updated = await post(m, `/v1/customers/${c.id}`, { name: "Bob", "metadata[b]": "2" });
    // Refused changes write no event.
    expect(
      (await post(m, `/v1/customers/${c.id}`, { "invoice_settings[default_payment_method]": "pm_x" })).status,
    ).toBe(400);
    expect((await del(m, `/v1/customers/${c.id}`)).status).toBe(200);
    expect((await del(m, `/v1/customers/${c.id}`)).status).toBe(404);

    const all = await eventsOf(m.merchantId);
    expect(await typesFor(m.merchantId, c.id)).toEqual(["customer.created", "customer.updated", "customer.deleted"]);
    expect(await typesFor(m.merchantId, pm)).toEqual(["payment_method.attached"]);
    const byType = (type: string) => all.find((e) => e.type === type);
    expect(byType("customer.created")?.data.object).toEqual(c);
    expect(byType("customer.updated")?.data).toEqual({
      object: updated.body,
      previous_attributes: { name: "Ada", metadata: { a: "1" } },
    });
    expect(byType("customer.deleted")?.data.object).toEqual(updated.body);
    expect(byType("payment_method.attached")?.data.object).toMatchObject({ id: pm, customer: c.id });
  });
});

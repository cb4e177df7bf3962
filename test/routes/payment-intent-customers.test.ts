/**
 * Customers on PaymentIntents: `customer` on create and update, `setup_future_usage` saving the
 * card to the customer in the outcome's batch (once, never on a decline), a saved card charged
 * off-session without its CVC, the customer rule of saved cards, `off_session` and the list filter.
 */
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentMethods } from "../../src/db/schema";
import { typesFor } from "../helpers/events";
import { call } from "../helpers/http";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { cardToken, get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

async function customer(m: TestMerchant) {
  const res = await post(m, "/v1/customers", { name: "Ada" });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

const pmRow = async (m: TestMerchant, pm: string) =>
  (await dbOf(m.merchantId)).select().from(paymentMethods).where(eq(paymentMethods.id, pm)).get();

const intent = { amount: 1000, currency: "usd" };

describe("setup_future_usage saves the card to the customer", () => {
  it("attaches on success with one payment_method.attached, then charges it off-session without a CVC", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    const first = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      payment_method: pm,
      confirm: "true",
    });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ status: "succeeded", customer: cus, setup_future_usage: "off_session" });
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBe(cus);
    expect(await typesFor(m.merchantId, pm)).toEqual(["payment_method.attached"]);
    const row = await pmRow(m, pm);
    expect(row?.cvcCiphertext).toBeNull();
    expect(row?.customer).toBe(cus);

    // Saved, its CVC gone: the customer is not present, and the card is charged all the same.
    const later = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      payment_method: pm,
      off_session: "true",
      confirm: "true",
    });
    expect(later.status).toBe(200);
    expect(later.body).toMatchObject({ status: "succeeded", customer: cus, payment_method: pm });
    // A second saving payment changes nothing and emits nothing.
    const again = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "on_session",
      payment_method: pm,
      off_session: "recurring",
      confirm: "true",
    });
    expect(again.body.status).toBe("succeeded");
    expect(await typesFor(m.merchantId, pm)).toEqual(["payment_method.attached"]);
    const saved = await get(m, `/v1/customers/${cus}/payment_methods`);
    expect(saved.body.data.map((x: { id: string }) => x.id)).toEqual([pm]);
  });

  it("a declined authorization saves nothing; setup_future_usage without a customer saves nothing", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const declined = await paymentMethod(m, "4000000000000002");
    const res = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      payment_method: declined,
      confirm: "true",
    });
    expect(res.status).toBe(402);
    expect((await pmRow(m, declined))?.customer).toBeNull();
    expect(await typesFor(m.merchantId, declined)).toEqual([]);

    const pm = await paymentMethod(m, "4242424242424242");
    const alone = await post(m, "/v1/payment_intents", {
      ...intent,
      setup_future_usage: "off_session",
      payment_method: pm,
      confirm: "true",
    });
    expect(alone.body).toMatchObject({ status: "succeeded", customer: null, setup_future_usage: "off_session" });
    expect((await pmRow(m, pm))?.customer).toBeNull();
  });

  it("a tok_ is single use: its payment method is saved (and becomes reusable) only through setup_future_usage", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const tok = await cardToken(m, "4242424242424242");
    const res = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      payment_method: tok,
      capture_method: "manual",
      confirm: "true",
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("requires_capture");
    const pm = res.body.payment_method as string;
    const row = await pmRow(m, pm);
    expect(row).toMatchObject({ customer: cus, singleUse: false, idempotencyKey: null });
    expect(await typesFor(m.merchantId, pm)).toEqual(["payment_method.attached"]);
    const later = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      payment_method: pm,
      off_session: "true",
      confirm: "true",
    });
    expect(later.body.status).toBe("succeeded");
  });

  it("setup_future_usage given at confirm, with a customer given at update, saves the card", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const pm = await paymentMethod(m, "5555555555554444");
    const created = await post(m, "/v1/payment_intents", intent);
    const updated = await post(m, `/v1/payment_intents/${created.body.id}`, { customer: cus });
    expect(updated.body).toMatchObject({ customer: cus, setup_future_usage: null });
    const confirmed = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, {
      payment_method: pm,
      setup_future_usage: "on_session",
    });
    expect(confirmed.body).toMatchObject({ status: "succeeded", setup_future_usage: "on_session" });
    expect((await pmRow(m, pm))?.customer).toBe(cus);
    // Only before confirmation.
    const late = await post(m, `/v1/payment_intents/${created.body.id}`, { setup_future_usage: "off_session" });
    expect(late.status).toBe(400);
    expect(late.body.error.code).toBe("payment_intent_unexpected_state");
  });

  it("a pm_card_* test id saved to a customer is a fresh method; the shared one stays usable by everyone", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const saving = await post(m, "/v1/payment_intents", {
      ...intent,
      customer: cus,
      setup_future_usage: "off_session",
      payment_method: "pm_card_visa",
      confirm: "true",
    });
    expect(saving.body.status).toBe("succeeded");
    expect((await pmRow(m, saving.body.payment_method))?.customer).toBe(cus);
    const plain = await post(m, "/v1/payment_intents", { ...intent, payment_method: "pm_card_visa", confirm: "true" });
    expect(plain.body.status).toBe("succeeded");
    expect(plain.body.payment_method).not.toBe(saving.body.payment_method);
  });
});

describe("customer and the saved-card rule", () => {
  it("refuses an unknown customer (404 naming customer) on create, create-and-confirm and update; nothing is created", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const unknown = "cus_000000000000000000000000";
    const cases: Record<string, string>[] = [{}, { payment_method: pm }, { payment_method: pm, confirm: "true" }];
    for (const fields of cases) {
      const res = await post(m, "/v1/payment_intents", { ...intent, customer: unknown, ...fields });
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({ code: "resource_missing", param: "customer" });
    }
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
    const created = await post(m, "/v1/payment_intents", intent);
    const res = await post(m, `/v1/payment_intents/${created.body.id}`, { customer: unknown });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "resource_missing", param: "customer" });
    expect((await get(m, `/v1/payment_intents/${created.body.id}`)).body.customer).toBeNull();
  });

  it("a card saved to a customer is refused (400 naming payment_method) to another customer and to no customer", async () => {
    const m = await newMerchant();
    const [ada, bob] = [await customer(m), await customer(m)];
    const pm = await paymentMethod(m, "4242424242424242");
    expect((await post(m, `/v1/payment_methods/${pm}/attach`, { customer: ada })).status).toBe(200);
    const cases: Record<string, string>[] = [
      { customer: bob, confirm: "true" },
      { confirm: "true" },
      { customer: bob },
      {},
    ];
    for (const fields of cases) {
      const res = await post(m, "/v1/payment_intents", { ...intent, payment_method: pm, ...fields });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: "payment_method_unexpected_state", param: "payment_method" });
    }
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
    // Confirm of an intent of another customer, and an update of the customer of an intent holding it.
    const other = await post(m, "/v1/payment_intents", { ...intent, customer: bob });
    const confirm = await post(m, `/v1/payment_intents/${other.body.id}/confirm`, { payment_method: pm });
    expect(confirm.status).toBe(400);
    expect(confirm.body.error).toMatchObject({ code: "payment_method_unexpected_state", param: "payment_method" });
    expect((await get(m, `/v1/payment_intents/${other.body.id}`)).body.status).toBe("requires_payment_method");
    const held = await post(m, "/v1/payment_intents", { ...intent, customer: ada, payment_method: pm });
    expect(held.status).toBe(200);
    const moved = await post(m, `/v1/payment_intents/${held.body.id}`, { customer: bob });
    expect(moved.status).toBe(400);
    expect(moved.body.error.param).toBe("payment_method");
    const ok = await post(m, `/v1/payment_intents/${held.body.id}/confirm`, { off_session: "true" });
    expect(ok.body).toMatchObject({ status: "succeeded", customer: ada });
  });
});

describe("parameters", () => {
  it("off_session needs confirm=true on create; bad values are 400 naming the parameter", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const cases: [Record<string, string>, string][] = [
      [{ payment_method: pm, off_session: "true" }, "off_session"],
      [{ payment_method: pm, off_session: "false", confirm: "false" }, "off_session"],
      [{ payment_method: pm, off_session: "sometimes", confirm: "true" }, "off_session"],
      [{ setup_future_usage: "forever" }, "setup_future_usage"],
    ];
    for (const [fields, param] of cases) {
      const res = await post(m, "/v1/payment_intents", { ...intent, ...fields });
      expect(res.status).toBe(400);
      expect(res.body.error.param).toBe(param);
    }
    expect((await get(m, "/v1/payment_intents")).body.data).toEqual([]);
    const created = await post(m, "/v1/payment_intents", { ...intent, payment_method: pm });
    const bad = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, { off_session: "maybe" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.param).toBe("off_session");
    const confirmed = await post(m, `/v1/payment_intents/${created.body.id}/confirm`, { off_session: "one_off" });
    expect(confirmed.body.status).toBe("succeeded");
  });

  it("lists the intents of one customer, with cursors", async () => {
    const m = await newMerchant();
    const [ada, bob] = [await customer(m), await customer(m)];
    const a1 = await post(m, "/v1/payment_intents", { ...intent, customer: ada });
    await post(m, "/v1/payment_intents", { ...intent, customer: bob });
    const a2 = await post(m, "/v1/payment_intents", { ...intent, customer: ada });
    await post(m, "/v1/payment_intents", intent);
    const list = await get(m, `/v1/payment_intents?customer=${ada}`);
    expect(list.status).toBe(200);
    const ids = list.body.data.map((x: { id: string }) => x.id);
    expect(ids.sort()).toEqual([a1.body.id, a2.body.id].sort());
    const page = await get(m, `/v1/payment_intents?customer=${ada}&limit=1`);
    expect(page.body).toMatchObject({ has_more: true });
    const next = await get(m, `/v1/payment_intents?customer=${ada}&limit=1&starting_after=${page.body.data[0].id}`);
    expect(next.body.data.map((x: { id: string }) => x.id)).toEqual(
      ids.filter((x: string) => x !== page.body.data[0].id),
    );
    expect((await get(m, "/v1/payment_intents?customer=cus_000000000000000000000000")).body.data).toEqual([]);
    expect((await get(m, "/v1/payment_intents")).body.data).toHaveLength(4);
  });
});

describe("OpenAPI", () => {
  it("documents every new parameter with a description", async () => {
    // biome-ignore lint/suspicious/noExplicitAny: the document is read as plain JSON.
    const doc = (await (await call("/openapi.json")).json()) as any;
    const schemas = doc.components.schemas;
    for (const [name, params] of [
      ["PaymentIntentCreate", ["customer", "setup_future_usage", "off_session", "payment_method_data"]],
      ["PaymentIntentUpdate", ["customer", "setup_future_usage"]],
      ["PaymentIntentConfirm", ["setup_future_usage", "off_session", "payment_method_data"]],
    ] as const) {
      for (const param of params) {
        const prop = schemas[name].properties[param];
        expect(prop, `${name}.${param}`).toBeDefined();
        expect(JSON.stringify(prop).length, `${name}.${param}`).toBeGreaterThan(20);
        expect(prop.description ?? prop.allOf ?? prop.$ref, `${name}.${param}`).toBeDefined();
      }
    }
    const list = doc.paths["/v1/payment_intents"].get.parameters.find((p: { name: string }) => p.name === "customer");
    expect(list).toMatchObject({ in: "query", description: expect.stringContaining("customer") });
  });
});

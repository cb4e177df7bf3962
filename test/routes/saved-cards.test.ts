/**
 * Saved cards: `POST /v1/payment_methods/{id}/attach`, `GET /v1/payment_methods?customer=…` and
 * `GET /v1/customers/{id}/payment_methods`, with their errors and a race of attaches.
 */

import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { paymentMethods, tokens } from "../../src/db/schema";
import { newMerchant, type TestMerchant } from "../helpers/merchants";
import { cardToken, get, paymentMethod, post } from "../helpers/payments";
import { dbOf } from "../helpers/shards";

async function customer(m: TestMerchant) {
  const res = await post(m, "/v1/customers", {});
  expect(res.status).toBe(200);
  return res.body.id as string;
}

/** Ids as a list shows them: newest first, ties (same second) by id, descending. */
function newestFirst(...objects: { id: string; created: number }[]): string[] {
  return [...objects].sort((x, y) => y.created - x.created || (y.id < x.id ? -1 : 1)).map((o) => o.id);
}

const ids = (body: { data: { id: string }[] }) => body.data.map((x) => x.id);

describe("attach", () => {
  it("attaches a payment method to a customer; attaching again to the same one changes nothing", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const pm = await paymentMethod(m, "4242424242424242");
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBeNull();
    const res = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: pm, object: "payment_method", customer: cus });
    expect((await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus })).body.customer).toBe(cus);
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBe(cus);
  });

  it("refuses a missing customer parameter, an unknown one, and unknown parameters", async () => {
    const m = await newMerchant();
    const pm = await paymentMethod(m, "4242424242424242");
    const missing = await post(m, `/v1/payment_methods/${pm}/attach`, {});
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "parameter_missing", param: "customer" });
    const unknown = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: "cus_000000000000000000000000" });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "resource_missing", param: "customer" });
    const extra = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: await customer(m), x: "1" });
    expect(extra.status).toBe(400);
    expect(extra.body.error.param).toBe("x");
    const noPm = await post(m, "/v1/payment_methods/pm_000000000000000000000000/attach", {
      customer: await customer(m),
    });
    expect(noPm.status).toBe(404);
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBeNull();
  });

  it("refuses a detached method, a single-use one behind a token, and another customer's (400 with param)", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const detached = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${detached}/detach`);
    const res = await post(m, `/v1/payment_methods/${detached}/attach`, { customer: cus });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "payment_method_unexpected_state", param: "id" });

    const tok = await cardToken(m, "4242424242424242");
    const db = await dbOf(m.merchantId);
    const wrapped = await db.select().from(tokens).where(eq(tokens.id, tok)).get();
    const single = await post(m, `/v1/payment_methods/${wrapped?.paymentMethodId}/attach`, { customer: cus });
    expect(single.status).toBe(400);
    expect(single.body.error.param).toBe("id");

    const pm = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus });
    const taken = await post(m, `/v1/payment_methods/${pm}/attach`, { customer: await customer(m) });
    expect(taken.status).toBe(400);
    expect(taken.body.error).toMatchObject({ code: "payment_method_unexpected_state", param: "customer" });
    expect((await get(m, `/v1/payment_methods/${pm}`)).body.customer).toBe(cus);
  });

  it("of 20 concurrent attaches of one method to two customers, exactly one customer gets it", async () => {
    const m = await newMerchant({ rateLimit: 1000 });
    const [c1, c2] = [await customer(m), await customer(m)];
    const pm = await paymentMethod(m, "4242424242424242");
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        post(m, `/v1/payment_methods/${pm}/attach`, { customer: i % 2 === 0 ? c1 : c2 }),
      ),
    );
    const winners = new Set(results.filter((r) => r.status === 200).map((r) => r.body.customer));
    expect(winners.size).toBe(1);
    const [winner] = [...winners];
    for (const r of results) {
      if (r.status !== 200) expect(r.body.error).toMatchObject({ code: "payment_method_unexpected_state" });
    }
    const row = await (await dbOf(m.merchantId)).select().from(paymentMethods).where(eq(paymentMethods.id, pm)).get();
    expect(row?.customer).toBe(winner);
    const loser = winner === c1 ? c2 : c1;
    expect((await get(m, `/v1/customers/${winner}/payment_methods`)).body.data).toHaveLength(1);
    expect((await get(m, `/v1/customers/${loser}/payment_methods`)).body.data).toHaveLength(0);
  });
});

describe("lists of saved cards", () => {
  it("list a customer's active methods, newest first, with cursors, by either route", async () => {
    const m = await newMerchant();
    const cus = await customer(m);
    const other = await customer(m);
    const pms: { id: string; created: number }[] = [];
    for (let i = 0; i < 3; i++) {
      const pm = await paymentMethod(m, "4242424242424242");
      pms.push((await post(m, `/v1/payment_methods/${pm}/attach`, { customer: cus })).body);
    }
    const elsewhere = await paymentMethod(m, "4242424242424242");
    await post(m, `/v1/payment_methods/${elsewhere}/attach`, { customer: other });
    await paymentMethod(m, "4242424242424242");
    const [first, detached, last] = pms as [(typeof pms)[0], (typeof pms)[0], (typeof pms)[0]];
    await post(m, `/v1/payment_methods/${detached.id}/detach`);
    const active = newestFirst(first, last);

    const byQuery = await get(m, `/v1/payment_methods?customer=${cus}&type=card`);
    expect(byQuery.status).toBe(200);
    expect(byQuery.body).toMatchObject({ object: "list", url: "/v1/payment_methods", has_more: false });
    expect(ids(byQuery.body)).toEqual(active);
    const byPath = await get(m, `/v1/customers/${cus}/payment_methods`);
    expect(byPath.body.url).toBe(`/v1/customers/${cus}/payment_methods`);
    expect(byPath.body.data).toEqual(byQuery.body.data);

    const page = await get(m, `/v1/customers/${cus}/payment_methods?limit=1`);
    expect(page.body.has_more).toBe(true);
    const rest = await get(m, `/v1/payment_methods?customer=${cus}&starting_after=${ids(page.body)[0]}`);
    expect(ids(page.body)).toEqual(active.slice(0, 1));
    expect(ids(rest.body)).toEqual(active.slice(1));
  });

  it("require `customer` on /v1/payment_methods, and a customer of the merchant", async () => {
    const m = await newMerchant();
    const missing = await get(m, "/v1/payment_methods?type=card");
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "parameter_missing", param: "customer" });
    const unknown = await get(m, "/v1/payment_methods?customer=cus_000000000000000000000000");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "resource_missing", param: "customer" });
    expect((await get(m, "/v1/customers/cus_000000000000000000000000/payment_methods")).status).toBe(404);
    const cus = await customer(m);
    expect((await get(m, `/v1/payment_methods?customer=${cus}&type=sepa_debit`)).status).toBe(400);
    expect((await get(m, `/v1/customers/${cus}/payment_methods?customer=${cus}`)).status).toBe(400);
  });
});

/** Keyset pagination: complete, ordered pages in both directions, ties on `created` included. */
import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { controlDb } from "../../src/db/client";
import { insertClient, insertMerchant } from "../../src/db/merchants";
import { listPage } from "../../src/db/pagination";
import { apiClients } from "../../src/db/schema";
import { ApiError } from "../../src/errors";
import { newId } from "../../src/lib/ids";
import { pageOr404 } from "../../src/lib/pagination";

const db = controlDb(env);

/** A merchant with `n` clients whose `created` values repeat, so ties must be broken by id. */
async function seed(n: number) {
  const merchantId = newId("mer");
  await insertMerchant(db, { id: merchantId, name: "Pages", shard: 0, created: 1 });
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const clientId = newId("cli");
    ids.push(clientId);
    await insertClient(db, {
      clientId,
      merchantId,
      secretHash: "x",
      scopes: "balance:read",
      created: 1000 + Math.floor(i / 3),
    });
  }
  const source = {
    table: apiClients,
    id: apiClients.clientId,
    created: apiClients.created,
    scope: eq(apiClients.merchantId, merchantId),
  };
  const rows = await db.select().from(apiClients).where(eq(apiClients.merchantId, merchantId)).all();
  const expected = rows
    .sort((a, b) => b.created - a.created || (a.clientId < b.clientId ? 1 : -1))
    .map((r) => r.clientId);
  return { source, expected };
}

describe("listPage", () => {
  it("walks forward through every row exactly once, newest first", async () => {
    const { source, expected } = await seed(10);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = pageOr404(await listPage(db, source, { limit: 3, ...(cursor && { startingAfter: cursor }) }));
      seen.push(...page.data.map((r) => r.clientId));
      if (!page.hasMore) break;
      cursor = page.data.at(-1)?.clientId;
    }
    expect(seen).toEqual(expected);
  });

  it("walks backward with ending_before, keeping newest-first order inside each page", async () => {
    const { source, expected } = await seed(7);
    const last = expected.at(-1) as string;
    const page = pageOr404(await listPage(db, source, { limit: 3, endingBefore: last }));
    expect(page).toEqual({ hasMore: true, data: expect.any(Array) });
    expect(page.data.map((r) => r.clientId)).toEqual(expected.slice(3, 6));
    const first = pageOr404(await listPage(db, source, { limit: 10, endingBefore: expected[3] as string }));
    expect(first.hasMore).toBe(false);
    expect(first.data.map((r) => r.clientId)).toEqual(expected.slice(0, 3));
  });

  it("reports has_more false on an exact last page", async () => {
    const { source, expected } = await seed(4);
    const page = pageOr404(await listPage(db, source, { limit: 4 }));
    expect(page.hasMore).toBe(false);
    expect(page.data).toHaveLength(expected.length);
  });

  it("treats a cursor outside the scope as missing", async () => {
    const a = await seed(1);
    const b = await seed(1);
    const missing = await listPage(db, a.source, { limit: 10, startingAfter: b.expected[0] as string });
    expect(missing).toEqual({ ok: false, param: "starting_after", cursor: b.expected[0] });
    expect(() => pageOr404(missing)).toThrow(ApiError);
  });
});

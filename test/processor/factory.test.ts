/**
 * The processor factory: a connector account that cannot be opened (gone, or its credentials not
 * openable) sent nothing, so the call is "not processed" (retryable), never a plain unknown that
 * would leave the intent processing with nothing to reconcile.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { callProcessor } from "../../src/processor/connector";
import { processorFor } from "../../src/processor/index";
import { newMerchant } from "../helpers/merchants";
import { dbOf } from "../helpers/shards";

describe("processorFor with a connector account", () => {
  it("answers unknown-retryable when the account cannot be opened", async () => {
    const m = await newMerchant();
    const db = await dbOf(m.merchantId);
    const connector = processorFor({ env, db }, undefined, undefined, "mca_notanaccount000000000000");
    const outcome = await callProcessor("authorize", 1000, () =>
      connector.authorize({
        key: "pi_x_authorize_2",
        merchantId: m.merchantId,
        paymentMethod: "pm_x",
        amount: 1000,
        currency: "usd",
        statementDescriptor: null,
      }),
    );
    expect(outcome).toEqual({ kind: "unknown", retryable: true });
  });
});

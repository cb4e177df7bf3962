/** The queue handler tells the webhook queue from its dead-letter queue in every environment (wrangler.toml names). */
import { describe, expect, it } from "vitest";
import { isDeadLetterQueue } from "../../src/webhooks/queue";

describe("isDeadLetterQueue", () => {
  it("knows the dead-letter queues of local, staging and production, and nothing else", () => {
    for (const q of ["edgepay-webhooks-dlq", "edgepay-webhooks-dlq-staging", "edgepay-webhooks-dlq-production"]) {
      expect(isDeadLetterQueue(q)).toBe(true);
    }
    for (const q of ["edgepay-webhooks", "edgepay-webhooks-staging", "edgepay-webhooks-production"]) {
      expect(isDeadLetterQueue(q)).toBe(false);
    }
  });
});

/** Values vitest's globalSetup provides to tests (`inject`). */
import "vitest";

declare module "vitest" {
  export interface ProvidedContext {
    /** Port of the webhook receiver on 127.0.0.1 (test/receiver/server.ts). */
    receiverPort: number;
  }
}

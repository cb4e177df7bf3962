/**
 * The processor connectors the gateway calls, by connector: the built-in simulator of a test
 * deployment (`builtin`), or a merchant's connector account (`mca_…`, see docs/connectors.md):
 * a `simulator` account is the same simulator; a `stripe` account is the Stripe connector over
 * HTTPS with the account's sealed secret key. Cards are read only through the vault. Live mode
 * never reaches a simulator (the payment services route only to live accounts; this is the backstop).
 */
import { openCredentials } from "../connectors/credentials";
import { getConnectorAccount } from "../db/connector-accounts";
import { BUILTIN_CONNECTOR } from "../domain/payment-state";
import { ApiError } from "../errors";
import { log } from "../lib/log";
import { type ClaimedCard, detokenize, type VaultDeps } from "../vault";
import {
  type AuthorizeRequest,
  CardUnavailable,
  ConnectorUnreachable,
  type FollowUpRequest,
  type ProcessorConnector,
} from "./connector";
import { SimulatedProcessor } from "./simulator";
import { type CardReader, StripeConnector } from "./stripe";

/** Runs work after the answer is sent (the request's waitUntil, see payments/deps.ts `defer`). */
export type Defer = (work: Promise<unknown>) => void;

/** How the Stripe connector reaches Stripe: `fetch` in production; tests hand it another edgepay. */
export type Fetcher = (request: Request) => Promise<Response>;

/** Stripe's API, unless `STRIPE_API_BASE` names another (a second edgepay speaks the same API). */
export const STRIPE_API_BASE = "https://api.stripe.com";

/**
 * Builds the connector for one call: `connector` is `builtin` (the default) or a connector account
 * id of the request's merchant; `claimed` is a card record the request already read (see
 * `detokenize`); `defer` takes the connector's background work (the simulator's settlement records).
 */
export type ProcessorFactory = (
  vault: VaultDeps,
  claimed?: ClaimedCard,
  defer?: Defer,
  connector?: string,
) => ProcessorConnector;

/** `defer` without a request: the work runs unawaited, its failure logged. */
function unawaited(work: Promise<unknown>): void {
  work.catch((err: unknown) =>
    log("error", "simulator_settlement_failed", { error: err instanceof Error ? err.name : "unknown" }),
  );
}

/** The vault's card reader for a connector: a detached card is a refusal before anything is sent. */
function cardReader(vault: VaultDeps, claimed?: ClaimedCard): CardReader {
  return (merchantId, pm) =>
    detokenize(vault, merchantId, pm, claimed).catch((err: unknown) => {
      // The vault's 404: the card was detached (shredded) after the intent was claimed.
      throw err instanceof ApiError ? new CardUnavailable() : err;
    });
}

/** The simulator, refused on a live deployment. */
function simulator(vault: VaultDeps, claimed: ClaimedCard | undefined, defer: Defer): ProcessorConnector {
  if (vault.env.EDGEPAY_MODE === "live") {
    throw new ApiError("connector_unavailable", "The simulator never serves a live deployment.");
  }
  const memory = (digest: string) => vault.env.SIMULATOR_MEMORY.getByName(digest);
  return new SimulatedProcessor(memory, cardReader(vault, claimed), (merchantId, line) =>
    defer(vault.env.SIMULATOR_LEDGER.getByName(merchantId).record(line)),
  );
}

/**
 * The connector of account `id` of the request's merchant, read on its first call (a connector
 * account's kind and key never change under a payment: a new key is a new sealed value of the same
 * account, and the next call reads it). A disabled account still serves follow-ups of its payments.
 */
class AccountConnector implements ProcessorConnector {
  #delegate: Promise<ProcessorConnector> | undefined;

  constructor(private readonly open: (merchantId: string) => Promise<ProcessorConnector>) {}

  /**
   * The account's connector. An account that cannot be opened (its credentials under a retired
   * KEK, say) sent nothing: `ConnectorUnreachable`, so the claiming run fails the attempt over (or
   * fails it) instead of leaving it processing.
   */
  #of(merchantId: string): Promise<ProcessorConnector> {
    this.#delegate ??= this.open(merchantId).catch((err: unknown) => {
      log("error", "connector_account_unusable", { error: err instanceof Error ? err.name : "unknown" });
      throw new ConnectorUnreachable();
    });
    return this.#delegate;
  }

  async authorize(req: AuthorizeRequest): Promise<unknown> {
    return (await this.#of(req.merchantId)).authorize(req);
  }
  async capture(req: FollowUpRequest): Promise<unknown> {
    return (await this.#of(req.merchantId)).capture(req);
  }
  async void(req: FollowUpRequest): Promise<unknown> {
    return (await this.#of(req.merchantId)).void(req);
  }
  async refund(req: FollowUpRequest): Promise<unknown> {
    return (await this.#of(req.merchantId)).refund(req);
  }
}

/**
 * The processor factory of a deployment whose Stripe connector calls `fetcher` (default: the
 * Workers `fetch`, to `STRIPE_API_BASE` or Stripe's API).
 */
export function processorFactory(fetcher: Fetcher = (request) => fetch(request)): ProcessorFactory {
  return (vault, claimed, defer = unawaited, connector = BUILTIN_CONNECTOR) => {
    if (connector === BUILTIN_CONNECTOR) return simulator(vault, claimed, defer);
    return new AccountConnector(async (merchantId) => {
      const account = await getConnectorAccount(vault.db, merchantId, connector);
      if (!account) throw new Error("connector account not found");
      switch (account.kind) {
        case "simulator":
          return simulator(vault, claimed, defer);
        case "stripe": {
          if (account.credentialsSealed === null) throw new Error("connector account has no credentials");
          const secretKey = await openCredentials(vault.env, merchantId, account.id, account.credentialsSealed);
          return new StripeConnector({
            baseUrl: vault.env.STRIPE_API_BASE || STRIPE_API_BASE,
            secretKey,
            fetch: fetcher,
            readCard: cardReader(vault, claimed),
          });
        }
      }
    });
  };
}

/** The deployment's processor factory: connectors reach the network through `fetch`. */
export const processorFor: ProcessorFactory = processorFactory();

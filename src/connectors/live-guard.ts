/**
 * The refusal of an authorization no connector can take (docs/connectors.md): on a live deployment
 * a merchant without an active live connector account, or a payment no account accepts. Routing
 * (connectors/route.ts) raises it before anything is claimed, so nothing changed.
 */
import { ApiError } from "../errors";

/** The refusal of an authorization: nothing changed, so the gate keeps no answer for its key. */
export function connectorUnavailable(message: string): ApiError {
  return new ApiError("connector_unavailable", message, { noEffect: true });
}

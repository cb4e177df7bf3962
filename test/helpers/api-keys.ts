/** Test API keys, created through the real operator API, and the ways a client presents them. */
import { operator } from "./merchants";

/** An API key as the create and roll answers show it (with its `secret`, which no other answer carries). */
export interface ApiKeyBody {
  id: string;
  object: "api_key";
  type: "secret" | "restricted" | "publishable";
  livemode: boolean;
  redacted_key: string;
  scopes: string[];
  status: "active" | "expired" | "revoked";
  expires_at: number | null;
  rolled_to: string | null;
  created: number;
  secret?: string;
}

/** A key ready to use: its id, the key itself and its Bearer header. */
export interface TestKey {
  id: string;
  secret: string;
  headers: { authorization: string };
}

/** Creates a key of `type` (with `scopes` when restricted) for the merchant through the operator API. */
export async function newKey(
  merchantId: string,
  type: ApiKeyBody["type"],
  scopes?: readonly string[],
): Promise<TestKey> {
  const body = await operator<ApiKeyBody>(`/admin/v1/merchants/${merchantId}/api_keys`, {
    type,
    ...(scopes ? { scopes } : {}),
  });
  if (!body.secret) throw new Error("create answered without the key");
  return { id: body.id, secret: body.secret, headers: bearer(body.secret) };
}

/** `Authorization: Bearer <key>`, as the stripe SDK sends it. */
export function bearer(key: string): { authorization: string } {
  return { authorization: `Bearer ${key}` };
}

/** `Authorization: Basic base64(<key>:)`, as `curl -u sk_test_…:` sends it. */
export function basicKey(key: string): { authorization: string } {
  return { authorization: `Basic ${btoa(`${key}:`)}` };
}

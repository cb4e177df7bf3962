/** Helpers for calling the token endpoint the way OAuth2 clients do. */
import { call } from "./http";

/** RFC 6749 §2.3.1 Basic credentials: form-urlencode id and secret, join with ':', base64. */
export function basic(id: string, secret: string): string {
  const enc = (s: string) => new URLSearchParams({ x: s }).toString().slice(2);
  return `Basic ${btoa(`${enc(id)}:${enc(secret)}`)}`;
}

/** POSTs form fields to /v1/oauth/token with optional extra headers. */
export function tokenRequest(fields: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
  return call("/v1/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

/** The RFC 6749 §5.2 error body. */
export interface OAuthErrorBody {
  error: string;
  error_description: string;
}

/**
 * `Authorization: Bearer <token>` (RFC 6750). The scheme is case-insensitive (RFC 9110 §11.1),
 * so `bearer x` is accepted; anything else — another scheme, no space, an empty token, a token
 * with inner spaces, the header sent twice — is no token at all.
 */
const BEARER = /^Bearer +([^\s]+) *$/i;

export function parseBearerToken(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  return BEARER.exec(header)?.[1];
}

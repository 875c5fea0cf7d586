import { randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/** 12 base32 characters (60 bits): unguessable, URL-, shell- and tag-safe. */
export function randomId(): string {
  let id = '';
  for (const byte of randomBytes(12)) id += ALPHABET[byte % 32];
  return id;
}

/** Job ids: `j-` and a random id. Cron firings use derived ids instead (core/cron.ts). */
export function newJobId(): string {
  return `j-${randomId()}`;
}

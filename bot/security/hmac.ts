/**
 * The HMAC primitives of Sched's two authenticated channels:
 *
 * - Instance → bot notifications carry `Authorization: Bearer <token>` where
 *   token = base64url(HMAC-SHA256(secret, "<job-id>.<attempt>")). Binding the attempt means a
 *   token leaked from an interrupted instance cannot speak for the attempt that replaced it.
 * - Callbacks carry `X-Sched-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, so a
 *   receiver can check both who sent the body and when (the timestamp is inside the MAC).
 *
 * Every comparison of a secret-derived value is constant time and length-blind: both sides are
 * first HMACed under a per-process random key, and the fixed-size digests are compared with
 * `timingSafeEqual`. Comparing the raw strings would leak the expected length, and
 * `timingSafeEqual` itself throws on unequal lengths.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Only ever used to blind comparisons; it never needs to survive a restart or match a peer. */
const COMPARISON_KEY = randomBytes(32);

export const CALLBACK_SIGNATURE_VERSION = 'v1';

/** What a receiver should accept between our timestamp and its clock, by default. */
export const DEFAULT_CALLBACK_TOLERANCE_SECONDS = 300;

function requireSecret(secret: string): void {
  // An empty key makes every MAC forgeable by anyone; that is a configuration bug, never a state.
  if (typeof secret !== 'string' || secret.length === 0) throw new TypeError('HMAC secret must be a non-empty string');
}

function isAttempt(attempt: number): boolean {
  return Number.isSafeInteger(attempt) && attempt >= 0;
}

/** Length-blind, constant-time equality of two strings. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false;
  const da = createHmac('sha256', COMPARISON_KEY).update(a, 'utf8').digest();
  const db = createHmac('sha256', COMPARISON_KEY).update(b, 'utf8').digest();
  return timingSafeEqual(da, db);
}

/** The bearer token the instance agent presents for one job attempt. */
export function notificationToken(secret: string, jobId: string, attempt: number): string {
  requireSecret(secret);
  if (!isAttempt(attempt)) throw new RangeError(`attempt must be a non-negative integer, got ${String(attempt)}`);
  return createHmac('sha256', secret).update(`${jobId}.${attempt}`, 'utf8').digest('base64url');
}

export function verifyNotificationToken(secret: string, jobId: string, attempt: number, presented: string): boolean {
  requireSecret(secret);
  if (!isAttempt(attempt) || typeof presented !== 'string') return false;
  return constantTimeEqual(notificationToken(secret, jobId, attempt), presented);
}

/** The `X-Sched-Signature` value for a callback body sent at `timestamp` (unix seconds). */
export function signCallback(secret: string, timestamp: number, body: string): string {
  requireSecret(secret);
  if (!Number.isSafeInteger(timestamp)) throw new RangeError(`timestamp must be integer unix seconds, got ${String(timestamp)}`);
  const mac = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `${CALLBACK_SIGNATURE_VERSION}=${mac}`;
}

export interface CallbackFreshness {
  /** The receiver's clock, unix seconds. Without it the timestamp's age is not checked. */
  nowSeconds?: number;
  /** Maximum distance between `timestamp` and `nowSeconds`; default 300. */
  toleranceSeconds?: number;
}

/**
 * What a callback receiver does: recompute the signature over the exact raw body it received
 * (not a re-serialised parse of it) and compare. `header` may list several comma-separated
 * signatures (as during a secret rotation); any valid `v1=` one is accepted. Pass `nowSeconds`
 * to also refuse replays of old deliveries.
 */
export function verifyCallbackSignature(
  secret: string,
  timestamp: number,
  body: string,
  header: string,
  freshness: CallbackFreshness = {},
): boolean {
  requireSecret(secret);
  if (!Number.isSafeInteger(timestamp) || typeof header !== 'string' || typeof body !== 'string') return false;
  if (freshness.nowSeconds !== undefined) {
    const tolerance = freshness.toleranceSeconds ?? DEFAULT_CALLBACK_TOLERANCE_SECONDS;
    if (!(Math.abs(freshness.nowSeconds - timestamp) <= tolerance)) return false;
  }
  const expected = signCallback(secret, timestamp, body);
  let valid = false;
  // No early exit: the time taken should not reveal which candidate matched.
  for (const candidate of header.split(',')) {
    if (constantTimeEqual(expected, candidate.trim())) valid = true;
  }
  return valid;
}

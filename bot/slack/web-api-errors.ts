/**
 * Failed Slack Web API calls, sorted once into what the caller should do about them. Shapes are
 * those of @slack/web-api 8 (`errors.ts`): every error carries a stable `code`; a client built
 * with `rejectRateLimitedCalls: true` throws `slack_webapi_rate_limited_error` with `retryAfter`
 * in seconds instead of waiting by itself.
 */

export type CallFailure =
  /**
   * Nothing may be sent to this channel before `retryAfterMs` has passed. `announced`: an HTTP 429
   * with its Retry-After, which may be the workspace's limit of the method as well as the channel's.
   */
  | { kind: 'rate-limited'; retryAfterMs: number; announced: boolean }
  /** The message to update was deleted: post a new one. */
  | { kind: 'message-gone'; error: string }
  /**
   * `msg_blocks_too_long`: every block within its limits, their text too long in total. The same
   * content in smaller parts (or as text) goes through; nothing is wrong with the channel.
   */
  | { kind: 'too-long'; error: string }
  /** Sending the same call again cannot succeed (no access, bad arguments, revoked token). */
  | { kind: 'permanent'; error: string }
  /** Slack or the network failed this time; the same call may succeed later. */
  | { kind: 'transient'; error: string };

/** Slack counts Retry-After on its own clock in whole seconds; a little slack avoids a repeat 429. */
export const RETRY_AFTER_MARGIN_MS = 50;

const RATE_LIMITED = 'slack_webapi_rate_limited_error';
const PLATFORM_ERROR = 'slack_webapi_platform_error';
const HTTP_ERROR = 'slack_webapi_http_error';

/** Platform errors (HTTP 200, `ok: false`) Slack documents as worth retrying. */
const TRANSIENT_PLATFORM_ERRORS: ReadonlySet<string> = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
  'team_added_to_org',
]);

/**
 * Platform errors (HTTP 200, `ok: false`) that mean "too many calls", with no Retry-After to go by:
 * `chat.postMessage` documents `rate_limited` (posting faster than about one message per second
 * per channel); `ratelimited` is the 429 spelling, seen in a body. Paced, never dropped.
 */
const RATE_LIMITED_PLATFORM_ERRORS: ReadonlySet<string> = new Set(['rate_limited', 'ratelimited']);

/** How long a channel waits after a rate-limit error that names no Retry-After. */
export const PLATFORM_RATE_LIMIT_PAUSE_MS = 1000 + RETRY_AFTER_MARGIN_MS;

const MESSAGE_GONE_ERRORS: ReadonlySet<string> = new Set(['message_not_found', 'cant_update_message']);


export function classifyCallFailure(thrown: unknown): CallFailure {
  const err = (thrown ?? {}) as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown }; statusCode?: unknown; message?: unknown };
  if (err.code === RATE_LIMITED && typeof err.retryAfter === 'number' && Number.isFinite(err.retryAfter)) {
    return { kind: 'rate-limited', retryAfterMs: Math.max(0, err.retryAfter) * 1000 + RETRY_AFTER_MARGIN_MS, announced: true };
  }
  if (err.code === PLATFORM_ERROR) {
    const error = typeof err.data?.error === 'string' ? err.data.error : 'unknown_error';
    if (MESSAGE_GONE_ERRORS.has(error)) return { kind: 'message-gone', error };
    if (error === 'msg_blocks_too_long') return { kind: 'too-long', error };
    if (RATE_LIMITED_PLATFORM_ERRORS.has(error)) return { kind: 'rate-limited', retryAfterMs: PLATFORM_RATE_LIMIT_PAUSE_MS, announced: false };
    return TRANSIENT_PLATFORM_ERRORS.has(error) ? { kind: 'transient', error } : { kind: 'permanent', error };
  }
  if (err.code === HTTP_ERROR) return { kind: 'transient', error: `http_${String(err.statusCode)}` };
  // Request errors (connection refused, reset, timeout) and anything unknown: try again later.
  return { kind: 'transient', error: typeof err.message === 'string' ? err.message : String(thrown) };
}

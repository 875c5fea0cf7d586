/**
 * Callbacks, the pure half: what is sent when a job ends, how often delivery is retried, and
 * which URLs are acceptable at all. The HTTP half lives in bot/adapters: the SSRF guard in
 * callback-target.ts, signing and the request in callback-http.ts.
 */
import { knownCost, type Job } from './job.js';
import { knownSaving } from './cost.js';

/** The JSON body of a callback; field names are the public contract (docs/rest-api.md, "Callbacks"). */
export interface CallbackPayload {
  job_id: string;
  status: string;
  exit_code: number | null;
  attempts: number;
  interruptions: number;
  started_at: string | null;
  finished_at: string | null;
  cost_usd: number | null;
  /** What spot saved against on-demand for the same instance time; null when a price is unknown. */
  saved_usd: number | null;
  name: string | null;
}

/**
 * The public contract of docs/rest-api.md ("Callbacks"). Unknown values are `null`, never absent, so
 * receivers can rely on every key being present.
 */
export function buildCallbackPayload(job: Job): CallbackPayload {
  return {
    job_id: job.id,
    status: job.status,
    exit_code: job.exitCode ?? null,
    attempts: job.attempt,
    interruptions: job.interruptions,
    started_at: job.startedAt ?? null,
    finished_at: job.finishedAt ?? null,
    cost_usd: knownCost(job),
    saved_usd: knownSaving(job),
    name: job.spec.name ?? null,
  };
}

/**
 * Seconds to wait after the n-th failed delivery. Starts short because most failures are a
 * receiver restarting; grows so that a receiver down for an hour is not hammered; ends because
 * an endpoint down for longer is unlikely to want a stale result (the job's Slack thread has it).
 */
export const CALLBACK_RETRY_DELAYS_SECONDS: readonly number[] = [5, 15, 45, 120, 300, 600, 1200, 1800];

/** The first try plus one per back-off step: about 68 minutes end to end. */
export const MAX_CALLBACK_ATTEMPTS = 1 + CALLBACK_RETRY_DELAYS_SECONDS.length;

/**
 * The delay before the next delivery, given how many have been made: 0 → 0 (send now),
 * 1 → 5 s, …, 8 → 30 min, 9 (= `MAX_CALLBACK_ATTEMPTS`) and beyond → `undefined`: give up.
 * A table rather than bot/core/backoff.ts's doubling, for the steps above. The lifecycle waits
 * between half and all of it (equal jitter keyed by the job and the try: the decision is pure, so
 * the jitter is `stableFraction`'s, not a random draw) and stores the next try's time with the job.
 */
export function callbackRetryDelaySeconds(attemptsSoFar: number): number | undefined {
  if (!Number.isSafeInteger(attemptsSoFar) || attemptsSoFar < 0) {
    throw new RangeError(`attemptsSoFar must be a non-negative integer, got ${String(attemptsSoFar)}`);
  }
  if (attemptsSoFar === 0) return 0;
  return CALLBACK_RETRY_DELAYS_SECONDS[attemptsSoFar - 1];
}

export const MAX_CALLBACK_URL_LENGTH = 2048;

/**
 * Problems with a callback URL that need no network to find; empty when none. The messages never
 * quote the URL: it may carry credentials or tokens, and problems are shown in chat.
 * Whether the host is allowed (private ranges) is decided at send time, after resolution.
 */
export function validateCallbackUrlSyntax(url: string): string[] {
  const problems: string[] = [];
  if (url.length > MAX_CALLBACK_URL_LENGTH) {
    problems.push(`callback URL is ${url.length} characters long; at most ${MAX_CALLBACK_URL_LENGTH} are allowed`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    problems.push('callback URL is not a valid absolute URL');
    return problems;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    problems.push('callback URL must use http or https');
    return problems;
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // Credentials would be stored with the job and shown wherever the job is shown.
    problems.push('callback URL must not contain credentials (user:password@); the body is signed instead');
  }
  return problems;
}

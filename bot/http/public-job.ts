/**
 * The job as the REST API shows it: snake_case, every key always present (`null` when unknown),
 * so clients can rely on the shape. Times are ISO 8601 UTC, except `datetime`, which keeps the
 * original service's "YYYY-MM-DD HH:MM:SS" so that what a client sent is what it reads back.
 */
import { jobReason } from '../core/view/event-words.js';
import { formatUtc } from '../core/request/job-request.js';
import { knownCost, type Job, type JobStatus, type RebalanceAction } from '../core/job.js';

export interface PublicJob {
  id: string;
  status: JobStatus;
  name: string | null;
  docker_image: string;
  command: string[];
  /** Names with masked values: see `MASKED_ENV_VALUE`. */
  env_vars: Record<string, string>;
  datetime: string;
  callback: string | null;
  instance_types: string[];
  max_price: string | null;
  retries: number;
  timeout: number | null;
  on_rebalance: RebalanceAction;
  attempts: number;
  interruptions: number;
  exit_code: number | null;
  spot_request_id: string | null;
  instance_id: string | null;
  instance_type: string | null;
  spot_state: string | null;
  spot_status_code: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  cost_usd: number | null;
  reason: string | null;
  callback_state: string | null;
  log_tail: string | null;
}

/**
 * Env values are often credentials (API keys, database URLs) and the API lists every recent job,
 * including other users' jobs started from Slack, to whoever holds the API token. The names are
 * enough to check what a job was given; the values never leave the bot.
 */
export const MASKED_ENV_VALUE = '********';

export function toPublicJob(job: Job): PublicJob {
  const { spec } = job;
  return {
    id: job.id,
    status: job.status,
    name: spec.name ?? null,
    docker_image: spec.image,
    command: [...spec.command],
    env_vars: Object.fromEntries(Object.keys(spec.env).map((key) => [key, MASKED_ENV_VALUE])),
    datetime: formatRunAt(job.runAt),
    callback: publicCallback(job),
    instance_types: [...spec.instanceTypes],
    max_price: spec.maxPrice ?? null,
    retries: spec.interruptionsTolerated,
    timeout: spec.timeoutSeconds ?? null,
    on_rebalance: spec.onRebalance ?? 'warn',
    attempts: job.attempt,
    interruptions: job.interruptions,
    exit_code: job.exitCode ?? null,
    spot_request_id: job.spotRequestId ?? null,
    instance_id: job.instanceId ?? null,
    instance_type: job.instanceType ?? null,
    spot_state: job.spotState ?? null,
    spot_status_code: job.spotStatusCode ?? null,
    created_at: job.createdAt,
    started_at: job.startedAt ?? null,
    finished_at: job.finishedAt ?? null,
    // JSON has no NaN or Infinity; a broken figure reads as unknown rather than as a number.
    cost_usd: knownCost(job),
    reason: jobReason(job) ?? null,
    callback_state: job.callback?.state ?? null,
    log_tail: job.logTail ?? null,
  };
}

function formatRunAt(runAt: string): string {
  const date = new Date(runAt);
  // A stored value that does not parse is shown as stored rather than breaking the whole listing.
  return Number.isNaN(date.getTime()) ? runAt : formatUtc(date);
}

/**
 * A callback URL's path and query may carry the receiver's token: the API shows it whole only for
 * jobs the API itself created; for jobs started from chat, the origin alone.
 */
function publicCallback(job: Job): string | null {
  const url = job.spec.callbackUrl;
  if (url === undefined) return null;
  if (job.owner.kind === 'api') return url;
  try {
    return `${new URL(url).origin}/…`;
  } catch {
    return '…';
  }
}

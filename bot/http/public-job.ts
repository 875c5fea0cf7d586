/**
 * The job as the REST API shows it: snake_case, every key always present (`null` when unknown),
 * so clients can rely on the shape. Times are ISO 8601 UTC, except `datetime`, which keeps the
 * original service's "YYYY-MM-DD HH:MM:SS" so that what a client sent is what it reads back.
 */
import { jobReason } from '../core/view/event-words.js';
import { printable } from '../core/view/view-text.js';
import { formatUtc } from '../core/request/job-request.js';
import { knownCost, type Job, type JobStatus, type RebalanceAction } from '../core/job.js';
import { knownSaving } from '../core/cost.js';
import type { RunPlan } from '../core/plan.js';
import type { Market } from '../core/lifecycle/observation.js';

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
  /** `"all"`, a count, or null for a job without GPUs. */
  gpus: 'all' | number | null;
  /** Interruptions after which attempts launch on-demand. */
  on_demand_after: number | null;
  /** Seconds without spot capacity after which the attempt launches on-demand. */
  on_demand_wait: number | null;
  retry_exit_codes: number[];
  /** The current attempt's market: `spot` or `on-demand`; null before the first launch. */
  market: Market | null;
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
  /** What spot saved against on-demand for the same instance time; null when a price is unknown. */
  saved_usd: number | null;
  reason: string | null;
  callback_state: string | null;
  /** Why the last callback try failed (`HTTP 503`, a refusal, a connection error), while it matters. */
  callback_error: string | null;
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
    gpus: spec.gpus ?? null,
    on_demand_after: spec.onDemandAfter ?? null,
    on_demand_wait: spec.onDemandWaitSeconds ?? null,
    retry_exit_codes: [...(spec.retryExitCodes ?? [])],
    market: job.market ?? null,
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
    saved_usd: knownSaving(job),
    reason: jobReason(job) ?? null,
    callback_state: job.callback?.state ?? null,
    callback_error: callbackError(job),
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

/** One pool of a dry run's plan. Prices USD per hour; null when not known. */
export interface PublicPoolQuote {
  instance_type: string;
  /** null: any zone (no subnets configured), or this machine. */
  zone: string | null;
  spot_price_usd_per_hour: number | null;
  on_demand_price_usd_per_hour: number | null;
}

/** The answer to `POST /v1/jobs` with `"dry_run": true` (200): what would happen; nothing was stored. */
export interface PublicRunPlan {
  dry_run: true;
  /** When the job would start, "YYYY-MM-DD HH:MM:SS" UTC, as `datetime` is written. */
  datetime: string;
  docker_image: string;
  instance_types: string[];
  /** Every pool, cheapest known spot price first. */
  pools: PublicPoolQuote[];
  /** The cheapest pool's spot price: the estimated cost of an hour; null when no price is known. */
  estimated_usd_per_hour: number | null;
  /** The dearest known spot price among the pools: the top of the estimate's range. */
  estimated_usd_per_hour_max: number | null;
  /** What an hour of the cheapest pool's type costs on-demand; null when not known. */
  on_demand_usd_per_hour: number | null;
}

export function toPublicPlan(plan: RunPlan): PublicRunPlan {
  const runAt = plan.when.kind === 'cron' ? (plan.when.next[0] ?? '') : plan.when.runAt;
  return {
    dry_run: true,
    datetime: formatRunAt(runAt),
    docker_image: plan.spec.image,
    instance_types: [...plan.spec.instanceTypes],
    pools: plan.pools.map((pool) => ({
      instance_type: pool.instanceType,
      zone: pool.zone ?? null,
      spot_price_usd_per_hour: pool.local ? 0 : finiteOrNull(pool.spotPricePerHour),
      on_demand_price_usd_per_hour: finiteOrNull(pool.onDemandPricePerHour),
    })),
    estimated_usd_per_hour: finiteOrNull(plan.perHour),
    estimated_usd_per_hour_max: finiteOrNull(plan.perHourMax),
    on_demand_usd_per_hour: finiteOrNull(plan.onDemandPerHour),
  };
}

function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}

/** The last try's failure, for a callback not delivered: its error, else its HTTP status. */
function callbackError(job: Job): string | null {
  const progress = job.callback;
  if (!progress || progress.state === 'delivered' || progress.attempts === 0) return null;
  if (progress.lastError) return printable(progress.lastError);
  return progress.lastStatusCode !== undefined ? `HTTP ${progress.lastStatusCode}` : null;
}

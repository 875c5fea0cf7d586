/**
 * The job model. A job is one container run: a Docker image with its argv and env, started at a
 * time, carried through spot interruptions (each new spot request is a new `attempt`) until it
 * succeeds, fails or is cancelled.
 *
 * Statuses:
 * - `scheduled`  — waiting for `runAt`.
 * - `requested`  — a spot request for the current attempt is issued (or about to be); waiting for
 *                  AWS to fulfil it.
 * - `launching`  — the request is fulfilled and an instance exists; the agent has not said
 *                  `started` yet (booting, pulling the image).
 * - `running`    — the agent reported `started`; the container runs.
 * - `succeeded`, `failed`, `cancelled` — terminal. A terminal job may still need reconciling:
 *                  its instance confirmed gone, its callback delivered. `needsReconcile` says so.
 */
import type { Compute, DrainCause, EndReason, JobEvent } from './job-event.js';
import type { LaunchPool, Market } from './lifecycle/observation.js';

export const JobStatus = {
  Scheduled: 'scheduled',
  Requested: 'requested',
  Launching: 'launching',
  Running: 'running',
  Succeeded: 'succeeded',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type JobStatus = (typeof JobStatus)[keyof typeof JobStatus];

export const ALL_STATUSES: readonly JobStatus[] = Object.values(JobStatus);
export const TERMINAL_STATUSES: readonly JobStatus[] = [JobStatus.Succeeded, JobStatus.Failed, JobStatus.Cancelled];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** What the user asked for. Immutable once the job exists (except the callback, see REST PUT). */
export interface JobSpec {
  image: string;
  /** argv after the image: `[COMMAND] [ARG...]`. Empty means the image's default command. */
  command: string[];
  env: Record<string, string>;
  callbackUrl?: string;
  /** Instance types, tried in order when capacity is short. Never empty. */
  instanceTypes: string[];
  /** Max spot price in USD per hour, as a decimal string (EC2's own format). */
  maxPrice?: string;
  /** Interruptions tolerated before the job fails. */
  interruptionsTolerated: number;
  /** Container run time limit. */
  timeoutSeconds?: number;
  name?: string;
  /** The GPUs the container gets (`docker run --gpus`): all of the instance's, or a count. */
  gpus?: GpuRequest;
  /** After this many interruptions the next attempt is on-demand (`--on-demand-after`). */
  onDemandAfter?: number;
  /** No spot capacity in any pool for this long: launch on-demand at once (`--on-demand-wait`). */
  onDemandWaitSeconds?: number;
  /** Exit codes that count as transient: a new attempt, against the same retries (`--retry-exit`). */
  retryExitCodes?: number[];
  /**
   * What AWS's rebalance recommendation does: `warn` (absent: the default) only tells the thread;
   * `replace` launches the next attempt at once, as the two-minute notice does.
   */
  onRebalance?: RebalanceAction;
}

/** `--gpus`: every GPU of the instance, or the first N. */
export type GpuRequest = 'all' | number;

export const REBALANCE_ACTIONS = ['replace', 'warn'] as const;
export type RebalanceAction = (typeof REBALANCE_ACTIONS)[number];

/**
 * A spec as read back from the store. Items written before the field was named for what it means
 * carry `maxRetries`; the meaning (interruptions tolerated) never changed.
 */
export function specFromStored(stored: JobSpec & { maxRetries?: number }): JobSpec {
  const { maxRetries, ...spec } = stored;
  if (spec.interruptionsTolerated === undefined && maxRetries !== undefined) return { ...spec, interruptionsTolerated: maxRetries };
  return spec;
}

/** Where a job was started: its updates are posted back there. */
export interface ChatOrigin {
  surface: 'slack' | 'terminal' | 'api';
  /** Slack channel id. */
  channel?: string;
  /** The job's own message in the channel, once posted (Slack `ts`). */
  messageTs?: string;
}

/** Who created a job; used for authorization and listing. */
export interface JobOwner {
  kind: 'api' | 'slack' | 'terminal';
  id: string;
}

export const CallbackState = {
  Pending: 'pending',
  Delivered: 'delivered',
  Failed: 'failed',
} as const;
export type CallbackState = (typeof CallbackState)[keyof typeof CallbackState];

export interface CallbackProgress {
  state: CallbackState;
  attempts: number;
  /** ISO time of the next try while pending. */
  nextAt?: string;
  lastStatusCode?: number;
  lastError?: string;
}

export type { Compute, EndReason, JobEvent, JobEventKind } from './job-event.js';

/**
 * An attempt replaced before its instance was gone. Its instance keeps working until AWS takes it
 * (at the latest `deadlineAt`, when it is terminated as a backstop), or until the replacement's
 * agent says `started`; the orphan sweep spares it meanwhile.
 */
export interface DrainingAttempt {
  attempt: number;
  instanceId?: string;
  spotRequestId?: string;
  instanceType?: string;
  zone?: string;
  /** Its price, USD per hour: the time it works on after the notice is paid too. */
  pricePerHour?: number;
  /** When the agent reported the notice (or the recommendation); its cost is counted up to here. */
  noticeAt: string;
  cause: DrainCause;
  /** When AWS takes the instance at the latest (the two-minute notice only). */
  deadlineAt?: string;
}

export interface Job {
  id: string;
  /** Optimistic-concurrency version; every stored change is conditional on it. */
  version: number;
  status: JobStatus;
  spec: JobSpec;
  owner: JobOwner;
  origin?: ChatOrigin;
  /** The cron schedule this job is a firing of. */
  scheduleId?: string;
  /**
   * Where its attempts run, set when the job is created from the fleet in use. Absent on jobs
   * stored before it was recorded: see `computeOf`.
   */
  compute?: Compute;
  /** ISO UTC time the job is due. */
  runAt: string;
  createdAt: string;
  updatedAt: string;

  /** 0 before the first spot request; each request (first or after an interruption) adds one. */
  attempt: number;
  interruptions: number;
  /** Index into `spec.instanceTypes` used by the current request. */
  instanceTypeIndex: number;

  spotRequestId?: string;
  /** Requests of the current attempt given up for another instance type; never adopted again. */
  abandonedRequestIds?: string[];
  instanceId?: string;
  instanceType?: string;
  /** The availability zone of the current attempt's instance, from the launch (or its description). */
  zone?: string;
  /**
   * The current attempt's market, set when its launch is issued. Once on-demand (a fallback, said
   * in the thread), later attempts stay on-demand. Absent before the first launch.
   */
  market?: Market;
  /** Pools the current attempt tries last: where the attempt before it was interrupted. */
  avoidPools?: LaunchPool[];
  spotState?: string;
  spotStatusCode?: string;
  spotStatusMessage?: string;
  /** When EC2 first refused the current instance type for capacity (the call itself failed). */
  capacityRefusedSince?: string;
  /** When the current attempt's request was issued / last changed instance type. */
  requestedAt?: string;
  launchedAt?: string;
  startedAt?: string;
  finishedAt?: string;
  /** When the agent gave the two-minute notice for the current attempt. */
  interruptionNoticeAt?: string;
  /**
   * The attempt before the current one, replaced on AWS's notice (or rebalance recommendation) but
   * still working until AWS takes its instance: its `finished` still ends the job.
   */
  draining?: DrainingAttempt;

  exitCode?: number;
  logTail?: string;
  /**
   * The output so far, from the agent's `output` reports while an attempt runs (its last one
   * stays after a cancel); the `finished` report's `logTail` supersedes it.
   */
  output?: JobOutput;
  /** Why the job failed or was cancelled. */
  endReason?: EndReason;
  /** The same, in words, on jobs stored before `endReason` was recorded. */
  reason?: string;
  /** Spot price per hour observed for the current instance, USD. */
  pricePerHour?: number;
  /** Instance-hours paid so far across attempts, priced, USD. */
  costUsd?: number;
  /** On-demand price per hour of the current attempt's instance type, USD, when known (from the fleet at launch). */
  onDemandPricePerHour?: number;
  /** Each ended attempt that had an instance, with its price and time: `costUsd` is their sum. */
  attemptCosts?: AttemptCost[];

  callback?: CallbackProgress;
  /** The instance of a terminal job has been seen gone (or never existed). */
  cleanedUp?: boolean;

  events: JobEvent[];
}

/** The tail of an attempt's output as the agent last reported it, and when (ISO UTC). */
export interface JobOutput {
  attempt: number;
  tail: string;
  at: string;
}

/**
 * Where a job runs. Jobs stored before `compute` was recorded tell by their ids: the local fleet
 * names its requests and instances `local-…`, and nothing else does.
 */
export function computeOf(job: Job): Compute {
  if (job.compute) return job.compute;
  return job.instanceId?.startsWith('local-') || job.spotRequestId?.startsWith('local-') ? 'local' : 'ec2';
}

/**
 * One attempt's instance, priced: `pricePerHour` is its pool's spot price at launch, or the
 * on-demand price when it ran on-demand; absent when unknown (then so is `costUsd`).
 * `onDemandPricePerHour` is what the same time would have cost on-demand, when known.
 */
export interface AttemptCost {
  attempt: number;
  market: Market;
  instanceType: string;
  zone?: string;
  pricePerHour?: number;
  seconds: number;
  costUsd?: number;
  onDemandPricePerHour?: number;
}

/** The job's cost when it is a real number; JSON has no NaN/Infinity, so anything else is unknown. */
export function knownCost(job: Job): number | null {
  return job.costUsd !== undefined && Number.isFinite(job.costUsd) ? job.costUsd : null;
}

/** Events kept on a job; older ones are dropped (the chat thread keeps the full history). */
export const MAX_EVENTS = 50;

/**
 * A job needs the reconcile loop while it is not terminal, or while a terminal job still has an
 * instance to see gone or a callback to deliver. The store's sparse index holds exactly these.
 */
export function needsReconcile(job: Job): boolean {
  if (!isTerminal(job.status)) return true;
  if (!job.cleanedUp) return true;
  return job.callback?.state === CallbackState.Pending;
}

/** What a surface (REST API, chat, a schedule's firing) asks for; validated before it gets here. */
export interface NewJob {
  spec: JobSpec;
  /** ISO UTC; a time in the past or now means "as soon as possible". */
  runAt: string;
  owner: JobOwner;
  /** Where the job was started from, so its updates go back there. */
  origin?: ChatOrigin;
  /** The cron schedule this job is a firing of. */
  scheduleId?: string;
}

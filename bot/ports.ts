/**
 * The interfaces the engine needs from the world. Core and engine depend on these only; adapters
 * implement them; `main.ts` wires one implementation of each. The data they carry are core types
 * (bot/core); this file declares only interfaces and the error a launch throws.
 */
import type { CallbackPayload } from './core/callback.js';
import type { ChatOrigin, GpuRequest, Job, JobOwner, JobSpec, NewJob } from './core/job.js';
import type { AgentStatus, FleetSnapshot, LaunchPool, Market } from './core/lifecycle/observation.js';
import type { PlanWhen, PoolQuote, RunPlan } from './core/plan.js';
import type { NewSchedule, Schedule } from './core/schedule.js';

/** Jobs, persisted. Every write is conditional on `version`; none is a transaction. */
export interface JobStore {
  /** Creates the table (and indexes) if it is missing. Called once at start outside AWS. */
  ensureTable(): Promise<void>;
  /** Stores a new job (its version must be 1). Throws `ConflictError` if the id exists. */
  create(job: Job): Promise<void>;
  get(id: string): Promise<Job | undefined>;
  /**
   * Replaces a job if the stored version is `job.version - 1`; throws `ConflictError` otherwise.
   * The caller bumps `version`.
   */
  update(job: Job): Promise<void>;
  /** Jobs for which `needsReconcile(job)` holds, through the sparse index (never a scan). */
  listActive(): Promise<Job[]>;
  /** Jobs created at or after `since` (ISO), newest first, through an index. */
  listCreatedSince(since: string, limit: number): Promise<Job[]>;
}

/** One launch for one job attempt: where it may run (the pools, best first) and what runs there. */
export interface LaunchPlan {
  jobId: string;
  attempt: number;
  market: Market;
  /**
   * Candidate pools in the job's order of preference; never empty. A pool without a subnet stands
   * for its type in every subnet the fleet is configured with.
   */
  pools: LaunchPool[];
  /** Pools to try only after every other (the pool an interrupted attempt ran in). */
  avoid?: LaunchPool[];
  /** Spot only: USD per hour as a decimal string; absent: the on-demand price caps it (EC2's default). */
  maxPrice?: string;
  /** The rendered agent script (plain text; the adapter encodes it). */
  userData: string;
  /** Makes a retried call idempotent on AWS. */
  clientToken: string;
  /** A GPU job: the instance boots the fleet's GPU image (the NVIDIA driver and runtime). */
  gpus?: GpuRequest;
}

/**
 * What a launch placed: its instance (absent only while a legacy spot request waits to be
 * fulfilled), the spot request AWS made for it when there is one (RunInstances on AWS: yes; moto:
 * no), the pool it landed in with that pool's spot price when known (spot only), the on-demand
 * price of its type when known (the price of an on-demand launch, the yardstick of a spot one),
 * and the pools tried first that had no capacity.
 */
export interface Launched {
  instanceId?: string;
  requestId?: string;
  pool: LaunchPool;
  pricePerHour?: number;
  onDemandPricePerHour?: number;
  refused: LaunchPool[];
}

/**
 * Why `Fleet.launch` failed, in the terms the lifecycle records: a stable `code` (the cloud's own
 * where there is one), whether repeating the launch can ever succeed, and whether the pools had
 * no capacity (so other pools may).
 */
export class LaunchError extends Error {
  override readonly name = 'LaunchError';
  readonly capacity: boolean;
  /** The pools that refused for capacity, in the order they were tried. */
  readonly refused: LaunchPool[];

  constructor(
    readonly code: string,
    message: string,
    readonly permanent: boolean,
    options?: { cause?: unknown; capacity?: boolean; refused?: LaunchPool[] },
  ) {
    super(message, options);
    this.capacity = options?.capacity ?? false;
    this.refused = options?.refused ?? [];
  }
}

/** Where containers run: EC2, or this machine in the embedded default. */
export interface Fleet {
  /** Launches one attempt's instance; throws `LaunchError`. Idempotent per `clientToken`. */
  launch(plan: LaunchPlan): Promise<Launched>;
  /** All spot requests and instances tagged for this deployment, in as few calls as possible. */
  observe(): Promise<FleetSnapshot>;
  /** Idempotent: an unknown or already cancelled request is not an error. */
  cancelRequest(requestId: string): Promise<void>;
  /** Idempotent: an unknown or already terminated instance is not an error. */
  terminateInstance(instanceId: string): Promise<void>;
  /**
   * Read-only: every pool a launch of these types would consider, with its current spot price and
   * the type's on-demand price when known (a dry run's plan). Launches nothing.
   */
  quote(instanceTypes: readonly string[]): Promise<PoolQuote[]>;
  /**
   * Read-only, where the fleet can see a run's output as it is written (local compute: the run's
   * folder): the last `maxChars` characters of what the attempt's container printed so far, also
   * after it ended. Undefined when there is none (yet), or the fleet cannot tell; EC2 cannot (its
   * agent reports `output` instead).
   */
  outputTail?(jobId: string, attempt: number, maxChars: number): Promise<OutputTail | undefined>;
}

/** The output of a run so far: its last characters, and when it was last written (ISO UTC). */
export interface OutputTail {
  text: string;
  at: string;
}

/**
 * A dry run: validates a job as a real run would and says what it would do (bot/core/plan.ts).
 * Stores nothing and launches nothing. Errors: `ValidationError`.
 */
export interface JobPlanner {
  plan(spec: JobSpec, when: PlanWhen): Promise<RunPlan>;
}

export type CallbackOutcome =
  | { ok: true; statusCode: number }
  /** `permanent`: retrying cannot help (refused target, 4xx other than 408/429). */
  | { ok: false; statusCode?: number; error: string; permanent: boolean };

export interface CallbackSender {
  send(url: string, payload: CallbackPayload, idempotencyKey: string): Promise<CallbackOutcome>;
  /**
   * Why `send` would refuse this URL for good (a loopback or private target), checked before any
   * job takes it; undefined when it would not, or cannot tell yet (DNS failing for now).
   */
  refusal?(url: string): Promise<string | undefined>;
}

/** Chat: tells people what happened to a job. */
export interface Notifier {
  jobChanged(job: Job, events: Job['events']): Promise<void>;
}

/** The time of day, injected: `systemClock` (bot/clock.ts) in the bot, a fake one in tests. */
export interface Clock {
  now(): Date;
}


/** A notification from the instance agent, already authenticated. */
export interface AgentReport {
  jobId: string;
  status: AgentStatus;
  attempt: number;
  exitCode?: number;
  logTail?: string;
  /** `finished`: the agent stopped the container at the job's timeout. */
  timedOut?: boolean;
  /** `started`/`finished`: how long the agent has run the job, by its own clock. */
  ranSeconds?: number;
}

export type AgentReportResult = 'ok' | 'not_found' | 'stale_attempt';

/** The agent's `output` notification, already authenticated: the tail of the container's output so far. */
export interface OutputReport {
  jobId: string;
  attempt: number;
  logTail: string;
}

/**
 * The engine's inbound port: what the REST API, the notification endpoint and the chat surfaces
 * call. Errors: `NotFoundError`, `ValidationError`, `ConflictError` (bot/core/errors.ts).
 */
export interface JobService {
  createJob(input: NewJob): Promise<Job>;
  getJob(id: string): Promise<Job | undefined>;
  /** Jobs created in the last 24 hours, newest first. */
  listRecentJobs(): Promise<Job[]>;
  /** Only while the job has not ended; otherwise `ValidationError`. */
  updateCallback(id: string, callbackUrl: string | undefined): Promise<Job>;
  cancelJob(id: string, by: string): Promise<Job>;
  /**
   * The job's current attempt, waiting on spot capacity, launches on-demand now (`by` is named in
   * its thread). Otherwise `ValidationError`.
   */
  runOnDemand(id: string, by: string): Promise<Job>;
  /** A new job with the same spec as `id` (which must have ended), owned by `owner`, due now. */
  retryJob(id: string, owner: JobOwner, origin?: ChatOrigin): Promise<Job>;
  /** Remembers the chat message that shows a job, so updates edit it (also after a restart). */
  recordChatMessage(jobId: string, channel: string, messageTs: string): Promise<void>;
  /** Every job that has not ended (or still needs reconciling), soonest due first. */
  listActiveJobs(): Promise<Job[]>;
  agentReport(report: AgentReport): Promise<AgentReportResult>;
  /**
   * Stores the output so far of a running attempt (the agent's `output`): one conditional write
   * that changes nothing else, no event, no chat update. Ignored (still `ok`) once the job ended,
   * or when it holds output of a later attempt.
   */
  recordOutput(report: OutputReport): Promise<AgentReportResult>;
  /** What the job's current attempt printed so far: the fleet's own view or the agent's last report, the newer. */
  outputSoFar(job: Job): Promise<OutputTail | undefined>;
}

/** Schedules, persisted beside the jobs; same conditional-write rules as `JobStore`. */
export interface ScheduleStore {
  createSchedule(schedule: Schedule): Promise<void>;
  getSchedule(id: string): Promise<Schedule | undefined>;
  /** Conditional on the stored version being `schedule.version - 1`. */
  updateSchedule(schedule: Schedule): Promise<void>;
  listActiveSchedules(): Promise<Schedule[]>;
}

/** Cron schedules. Errors as JobService. */
export interface ScheduleService {
  createSchedule(input: NewSchedule): Promise<Schedule>;
  getSchedule(id: string): Promise<Schedule | undefined>;
  /** Active schedules. */
  listSchedules(): Promise<Schedule[]>;
  cancelSchedule(id: string, by: string): Promise<Schedule>;
}

/**
 * A named, expiring lock shared by bot replicas: the poller and timers run only in the replica
 * that holds it. Expiry (by the injected clock) hands it over when a holder dies without releasing.
 */
export interface LeaseStore {
  /**
   * Takes the lease for `ttlMs` if it is free, expired, or already held by `holder` (a renewal,
   * which extends it). One conditional write; `false` when someone else holds it.
   */
  tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if `holder` holds it; otherwise does nothing. */
  release(name: string, holder: string): Promise<void>;
}

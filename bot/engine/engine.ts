/**
 * The engine: the job service the surfaces call (REST, notifications, chat), over the parts that
 * move jobs — the job driver (the one decide → write → effects path), the effect runner, the due
 * timers and the reconciler. Time and the world reach a job three ways (timers, the reconcile
 * pass, calls from the surfaces) and every one of them goes through the driver.
 */
import type { Logger } from 'pino';
import { coerceError, ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { isTerminal, type ChatOrigin, type Compute, type Job, type JobOwner, type NewJob } from '../core/job.js';
import type { GuardRailLowering } from '../core/request/guard-rails.js';
import { DEFAULT_TIMINGS, type LifecycleTimings } from '../core/lifecycle/lifecycle.js';
import { waitingOnSpotCapacity } from '../core/lifecycle/fallback.js';
import type { Observation } from '../core/lifecycle/observation.js';
import { newJob } from '../core/request/new-job.js';
import { checkAllowedInstanceTypes } from '../core/request/allowed-types.js';
import { checkGuardRails, lowerToGuardRails, withGuardRailDefaults, type GuardRails } from '../core/request/guard-rails.js';
import type { AgentReport, AgentReportResult, CallbackSender, Clock, Fleet, JobService, JobStore, LeaseStore, Notifier, OutputReport, OutputTail } from '../ports.js';
import { JOB_VIEW_LIMITS } from '../core/view/view-model.js';
import { DueTimers } from './due-timers.js';
import { EffectRunner } from './effect-runner.js';
import { newJobId, randomId } from './ids.js';
import { JobDriver } from './job-driver.js';
import { EngineMetrics } from './metrics.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { Reconciler, type PassResult } from './reconciler.js';
import { retryOnConflict } from './retry-on-conflict.js';

export interface EngineDeps {
  store: JobStore;
  fleet: Fleet;
  callbacks: CallbackSender;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  /** When given, only the lease holder runs the reconcile loop (several replicas may run). */
  lease?: LeaseStore;
  /** HMAC secret: instance notification tokens. */
  secret: string;
  /** Base URL instances use to reach the notification endpoint. */
  publicUrl: string;
  pollSeconds: number;
  timings?: LifecycleTimings;
  /** Where `fleet` runs jobs; recorded on each new job (default `ec2`). */
  compute?: Compute;
  /** The operator's allow-list, checked again when an ended job is retried; absent: not enforced. */
  allowedInstanceTypes?: readonly string[];
  /** The operator's price ceiling and run-time limits: refused above on creation and retry, lowered on a schedule's firing. */
  guardRails?: GuardRails;
  /** Identifies this process as a lease holder. */
  holderId?: string;
  /** Cron schedules to fire on each pass (under the same lease). */
  scheduler?: { fireDue(): Promise<number> };
  /** Where the engine counts (and the composition root's AWS and Slack clients too); default: its own. */
  metrics?: EngineMetrics;
}

export class Engine implements JobService {
  readonly metrics: EngineMetrics;
  private readonly driver: JobDriver;
  private readonly timers: DueTimers;
  private readonly reconciler: Reconciler;
  private readonly loop: ReconcileLoop;

  constructor(private readonly deps: EngineDeps) {
    const { store, fleet, clock, logger } = deps;
    const metrics = (this.metrics = deps.metrics ?? new EngineMetrics());
    const timings = deps.timings ?? DEFAULT_TIMINGS;
    this.timers = new DueTimers({
      clock,
      timings,
      fire: (jobId) => {
        this.apply(jobId, { kind: 'tick' }).catch((err) => logger.error({ err: coerceError(err), jobId }, 'a timer could not move its job; the poller retries'));
      },
    });
    const effects = new EffectRunner({ fleet, callbacks: deps.callbacks, logger, metrics, secret: deps.secret, publicUrl: deps.publicUrl });
    this.driver = new JobDriver({
      store,
      effects,
      notifier: deps.notifier,
      clock,
      logger,
      metrics,
      timings,
      onEnded: (jobId) => this.timers.cancel(jobId),
      onSettled: (job) => this.timers.arm(job),
    });
    this.reconciler = new Reconciler({
      store,
      fleet,
      driver: this.driver,
      logger,
      metrics,
      pollSeconds: deps.pollSeconds,
      lease: deps.lease,
      holderId: deps.holderId ?? `engine-${randomId()}`,
      scheduler: deps.scheduler,
    });
    this.loop = new ReconcileLoop({ intervalMs: deps.pollSeconds * 1000, logger, pass: () => this.reconcileOnce() });
  }

  /**
   * Arms the timers of the stored jobs (due, launch timeout, run deadline: a deadline passed while
   * the bot was down fires now, whoever holds the reconcile lease) and starts the reconcile loop.
   */
  async start(): Promise<void> {
    const active = await this.deps.store.listActive();
    for (const job of active) this.timers.arm(job);
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.timers.cancelAll();
    await this.reconciler.release();
  }

  /** One reconcile pass (the loop runs them; tests and benchmarks call it directly). */
  reconcileOnce(): Promise<PassResult> {
    return this.reconciler.pass();
  }

  /** Decides on one observation for one job, serialised with everything else for that job. */
  apply(jobId: string, observation: Observation): Promise<Job | undefined> {
    return this.driver.apply(jobId, observation);
  }

  /** Timers armed for jobs, not yet fired (for tests and metrics). */
  get armedTimers(): number {
    return this.timers.size;
  }

  // ---- JobService ----

  async createJob(input: NewJob, id: string = newJobId()): Promise<Job> {
    // A schedule's firing was checked when the schedule was made; a DNS change must not stop it.
    if (!input.scheduleId) await this.checkCallback(input.spec.callbackUrl);
    const limited = this.withinGuardRails(input);
    const now = this.deps.clock.now();
    const job = newJob(limited.input, id, now, this.deps.publicUrl, this.deps.compute ?? 'ec2', limited.lowered);
    await this.deps.store.create(job);
    this.metrics.jobsCreated++;
    await this.driver.notify(job, job.events);
    if (Date.parse(job.runAt) <= now.getTime()) {
      return (await this.apply(job.id, { kind: 'tick' })) ?? job;
    }
    this.timers.arm(job);
    return job;
  }

  /**
   * The operator's limits on a new job: a schedule's firing gets them (values above lowered, and
   * recorded), anything else above one is refused (the request validator refused it already; this
   * holds for every caller). What the job leaves out it gets from them.
   */
  private withinGuardRails(input: NewJob): { input: NewJob; lowered: GuardRailLowering[] } {
    const rails = this.deps.guardRails;
    if (input.scheduleId) {
      const { spec, lowered } = lowerToGuardRails(input.spec, rails);
      return { input: { ...input, spec }, lowered };
    }
    const problems: string[] = [];
    checkGuardRails(input.spec, rails, problems);
    if (problems.length > 0) throw new ValidationError(problems);
    return { input: { ...input, spec: withGuardRailDefaults(input.spec, rails) }, lowered: [] };
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.deps.store.get(id);
  }

  listRecentJobs(): Promise<Job[]> {
    const since = new Date(this.deps.clock.now().getTime() - 24 * 3600 * 1000).toISOString();
    return this.deps.store.listCreatedSince(since, 1000);
  }

  /**
   * Refuses, as a `ValidationError`, a callback URL the sender would refuse for good, so a job
   * never takes one it cannot call (loopback, private, the metadata service).
   */
  async checkCallback(url: string | undefined): Promise<void> {
    if (url === undefined || !this.deps.callbacks.refusal) return;
    const refusal = await this.deps.callbacks.refusal(url);
    if (refusal !== undefined) throw new ValidationError([`callback: ${refusal}`]);
  }

  async updateCallback(id: string, callbackUrl: string | undefined): Promise<Job> {
    await this.checkCallback(callbackUrl);
    return this.edit(id, (job) => {
      if (isTerminal(job.status)) throw new ValidationError([`job ${id} has already ended (${job.status}); its callback can no longer change`]);
      return { ...job, spec: { ...job.spec, callbackUrl } };
    });
  }

  async recordChatMessage(jobId: string, channel: string, messageTs: string): Promise<void> {
    await this.edit(jobId, (job) => ({ ...job, origin: { surface: 'slack', ...job.origin, channel, messageTs } }));
  }

  async cancelJob(id: string, by: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (isTerminal(job.status)) throw new ValidationError([`job ${id} has already ended (${job.status})`]);
    this.timers.cancel(id);
    const next = await this.apply(id, { kind: 'cancel', by });
    if (!next) throw new NotFoundError(`no job ${id}`);
    return next;
  }

  async runOnDemand(id: string, by: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (!waitingOnSpotCapacity(job)) throw new ValidationError([`job ${id} is not waiting for spot capacity (${job.status}${job.market === 'on-demand' ? ', on-demand already' : ''})`]);
    const next = await this.apply(id, { kind: 'runOnDemand', by });
    if (!next) throw new NotFoundError(`no job ${id}`);
    return next;
  }

  async retryJob(id: string, owner: JobOwner, origin?: ChatOrigin): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (!isTerminal(job.status)) throw new ValidationError([`job ${id} has not ended (${job.status}); cancel it first or wait`]);
    // A job created before the operator narrowed the list would only be refused by IAM at launch.
    const refused: string[] = [];
    checkAllowedInstanceTypes(job.spec.instanceTypes, this.deps.allowedInstanceTypes, refused);
    if (refused.length > 0) throw new ValidationError(refused.map((problem) => `job ${id} cannot be retried as it was: ${problem.replace(/^instance_types: /, '')}; run it again with --type`));
    // Likewise a price or a run time above the limits in force now.
    const above: string[] = [];
    checkGuardRails(job.spec, this.deps.guardRails, above);
    if (above.length > 0) throw new ValidationError(above.map((problem) => `job ${id} cannot be retried as it was: ${problem.replace(/^(max_price|timeout): /, '')}; run it again with ${problem.startsWith('timeout') ? '--timeout' : '--max-price'}`));
    return this.createJob({ spec: job.spec, runAt: this.deps.clock.now().toISOString(), owner, origin: origin ?? job.origin });
  }

  async listActiveJobs(): Promise<Job[]> {
    return (await this.deps.store.listActive()).filter((job) => !isTerminal(job.status));
  }

  async agentReport(report: AgentReport): Promise<AgentReportResult> {
    const job = await this.deps.store.get(report.jobId);
    if (!job) return 'not_found';
    // The attempt replaced on AWS's notice still reports: its `finished` may end the job.
    if (report.attempt !== job.attempt && report.attempt !== job.draining?.attempt) return 'stale_attempt';
    this.metrics.agentReports++;
    // The job just read is decided on: if it changed meanwhile, the conditional write fails and
    // the decision is taken again on fresh state, so one read serves the common case.
    const { timedOut, ranSeconds } = report;
    const observation: Observation = { kind: 'agent', status: report.status, attempt: report.attempt, exitCode: report.exitCode, logTail: report.logTail, ...(timedOut && { timedOut }), ...(ranSeconds !== undefined && { ranSeconds }) };
    await this.driver.apply(report.jobId, observation, job);
    return 'ok';
  }

  async recordOutput(report: OutputReport): Promise<AgentReportResult> {
    return this.driver.exclusive(report.jobId, () =>
      retryOnConflict(
        async (): Promise<AgentReportResult> => {
          const job = await this.deps.store.get(report.jobId);
          if (!job) return 'not_found';
          if (report.attempt !== job.attempt && report.attempt !== job.draining?.attempt) return 'stale_attempt';
          // A late report after `finished` (whose tail wins), an older attempt's after a newer one's, or nothing new.
          if (isTerminal(job.status) || (job.output && job.output.attempt > report.attempt)) return 'ok';
          if (job.output?.attempt === report.attempt && job.output.tail === report.logTail) return 'ok';
          const output = { attempt: report.attempt, tail: report.logTail, at: this.deps.clock.now().toISOString() };
          // Only the output changes: no event, no chat update, not even updatedAt.
          await this.deps.store.update({ ...job, output, version: job.version + 1 });
          return 'ok';
        },
        {
          exhausted: () => {
            throw new ConflictError(`job ${report.jobId} kept changing; try again`);
          },
        },
      ),
    );
  }

  async outputSoFar(job: Job): Promise<OutputTail | undefined> {
    // Another attempt's output is not this one's (a replaced attempt's, while it drains, is).
    const current = job.output && (job.output.attempt === job.attempt || job.output.attempt === job.draining?.attempt);
    const reported = current && job.output ? { text: job.output.tail, at: job.output.at } : undefined;
    let seen: OutputTail | undefined;
    if (this.deps.fleet.outputTail && job.attempt > 0) {
      seen = await this.deps.fleet.outputTail(job.id, job.attempt, JOB_VIEW_LIMITS.logTail).catch((err: unknown) => {
        this.deps.logger.warn({ err: coerceError(err), jobId: job.id }, 'reading the output of a run failed');
        return undefined;
      });
    }
    if (!seen) return reported;
    if (!reported) return seen;
    return Date.parse(seen.at) >= Date.parse(reported.at) ? seen : reported;
  }

  /** A change outside the lifecycle (user edits, chat bookkeeping): one conditional write. */
  private edit(id: string, change: (job: Job) => Job): Promise<Job> {
    return this.driver.exclusive(id, () =>
      retryOnConflict(
        async () => {
          const job = await this.deps.store.get(id);
          if (!job) throw new NotFoundError(`no job ${id}`);
          const next: Job = { ...change(job), version: job.version + 1, updatedAt: this.deps.clock.now().toISOString() };
          await this.deps.store.update(next);
          return next;
        },
        {
          exhausted: () => {
            throw new ConflictError(`job ${id} kept changing; try again`);
          },
        },
      ),
    );
  }
}

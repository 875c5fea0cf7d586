/**
 * The imperative shell around the lifecycle. It owns three ways time and the world reach a job —
 * timers for due jobs, the reconcile loop, and calls from the surfaces (REST, notifications,
 * chat) — and funnels all of them into one path: load, `decide`, conditional write, run effects,
 * feed the effects' outcomes back as observations.
 */
import schedule from 'node-schedule';
import type { Logger } from 'pino';
import { renderBootstrap } from '../core/bootstrap.js';
import { buildCallbackPayload } from '../core/callback.js';
import { findOrphans, indexSnapshot, observationsFor, stillOrphaned, type SnapshotIndex } from '../core/correlate.js';
import { coerceError, ConflictError, NotFoundError, ValidationError } from '../core/errors.js';
import { formatUtc } from '../core/job-request.js';
import { isTerminal, JobStatus, type ChatOrigin, type Job, type JobEvent, type JobOwner } from '../core/job.js';
import { decide, DEFAULT_TIMINGS, type LifecycleTimings } from '../core/lifecycle.js';
import type { Effect, Observation } from '../core/observation.js';
import { notificationToken } from '../security/hmac.js';
import type {
  AgentReport,
  AgentReportResult,
  CallbackOutcome,
  CallbackSender,
  Clock,
  Fleet,
  FleetSnapshot,
  JobService,
  JobStore,
  LeaseStore,
  NewJob,
  Notifier,
} from '../ports.js';
import { newJobId, randomId } from './ids.js';
import { KeyedMutex } from './keyed-mutex.js';
import { ReconcileLoop } from './reconcile-loop.js';
import { EngineMetrics } from './metrics.js';

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
  /** Identifies this process as a lease holder. */
  holderId?: string;
  /** Cron schedules to fire on each pass (under the same lease). */
  scheduler?: { fireDue(): Promise<number> };
}

/** How many jobs a reconcile pass works on at once. */
const RECONCILE_CONCURRENCY = 16;
/** A conditional write lost to another writer is retried on fresh state this many times. */
const MAX_WRITE_RETRIES = 5;

export class Engine implements JobService {
  private readonly mutex = new KeyedMutex();
  private readonly timers = new Map<string, schedule.Job>();
  private readonly loop: ReconcileLoop;
  private readonly timings: LifecycleTimings;
  private readonly holderId: string;
  readonly metrics = new EngineMetrics();

  constructor(private readonly deps: EngineDeps) {
    this.timings = deps.timings ?? DEFAULT_TIMINGS;
    this.holderId = deps.holderId ?? `engine-${randomId()}`;
    this.loop = new ReconcileLoop({
      intervalMs: deps.pollSeconds * 1000,
      logger: deps.logger,
      pass: () => this.reconcileOnce(),
    });
  }

  /** Arms timers for scheduled jobs and starts the reconcile loop (the first pass runs at once). */
  async start(): Promise<void> {
    const active = await this.deps.store.listActive();
    for (const job of active) if (job.status === JobStatus.Scheduled) this.armTimer(job);
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
    if (this.deps.lease) await this.deps.lease.release('reconciler', this.holderId).catch(() => undefined);
  }

  // ---- JobService ----

  async createJob(input: NewJob, id: string = newJobId()): Promise<Job> {
    const now = this.deps.clock.now();
    // Render once now so a job whose script cannot be built (too large) is refused up front.
    renderBootstrap({ jobId: id, attempt: 1, image: input.spec.image, command: input.spec.command, env: input.spec.env, notifyBaseUrl: this.deps.publicUrl, token: 'x'.repeat(43) });
    const job: Job = {
      id,
      version: 1,
      status: JobStatus.Scheduled,
      spec: input.spec,
      owner: input.owner,
      ...(input.origin && { origin: input.origin }),
      ...(input.scheduleId && { scheduleId: input.scheduleId }),
      runAt: input.runAt,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      attempt: 0,
      interruptions: 0,
      instanceTypeIndex: 0,
      events: [{ at: now.toISOString(), kind: 'created', text: Date.parse(input.runAt) > now.getTime() ? `scheduled for ${formatUtc(new Date(input.runAt))} UTC` : 'created; starting now' }],
    };
    await this.deps.store.create(job);
    this.metrics.jobsCreated++;
    await this.notify(job, job.events);
    if (Date.parse(job.runAt) <= now.getTime()) {
      return (await this.apply(job.id, { kind: 'tick' })) ?? job;
    }
    this.armTimer(job);
    return job;
  }

  getJob(id: string): Promise<Job | undefined> {
    return this.deps.store.get(id);
  }

  listRecentJobs(): Promise<Job[]> {
    const since = new Date(this.deps.clock.now().getTime() - 24 * 3600 * 1000).toISOString();
    return this.deps.store.listCreatedSince(since, 1000);
  }

  updateCallback(id: string, callbackUrl: string | undefined): Promise<Job> {
    return this.edit(id, (job) => {
      if (isTerminal(job.status)) throw new ValidationError([`job ${id} has already ended (${job.status}); its callback can no longer change`]);
      return { ...job, spec: { ...job.spec, callbackUrl } };
    });
  }

  async recordChatMessage(jobId: string, channel: string, messageTs: string): Promise<void> {
    await this.edit(jobId, (job) => ({ ...job, origin: { surface: 'slack', ...job.origin, channel, messageTs } }));
  }

  /** A change outside the lifecycle (user edits, chat bookkeeping): one conditional write. */
  private edit(id: string, change: (job: Job) => Job): Promise<Job> {
    return this.mutex.run(id, async () => {
      for (let tries = 0; tries < MAX_WRITE_RETRIES; tries++) {
        const job = await this.deps.store.get(id);
        if (!job) throw new NotFoundError(`no job ${id}`);
        const next: Job = { ...change(job), version: job.version + 1, updatedAt: this.deps.clock.now().toISOString() };
        try {
          await this.deps.store.update(next);
          return next;
        } catch (err) {
          if (!(err instanceof ConflictError)) throw err;
        }
      }
      throw new ConflictError(`job ${id} kept changing; try again`);
    });
  }

  async cancelJob(id: string, by: string): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (isTerminal(job.status)) throw new ValidationError([`job ${id} has already ended (${job.status})`]);
    this.timers.get(id)?.cancel();
    this.timers.delete(id);
    const next = await this.apply(id, { kind: 'cancel', by });
    if (!next) throw new NotFoundError(`no job ${id}`);
    return next;
  }

  async retryJob(id: string, owner: JobOwner, origin?: ChatOrigin): Promise<Job> {
    const job = await this.deps.store.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (!isTerminal(job.status)) throw new ValidationError([`job ${id} has not ended (${job.status}); cancel it first or wait`]);
    return this.createJob({ spec: job.spec, runAt: this.deps.clock.now().toISOString(), owner, origin: origin ?? job.origin });
  }

  async listActiveJobs(): Promise<Job[]> {
    return (await this.deps.store.listActive()).filter((job) => !isTerminal(job.status));
  }

  async agentReport(report: AgentReport): Promise<AgentReportResult> {
    const job = await this.deps.store.get(report.jobId);
    if (!job) return 'not_found';
    if (report.attempt !== job.attempt) return 'stale_attempt';
    this.metrics.agentReports++;
    const observation: Observation = { kind: 'agent', status: report.status, attempt: report.attempt, exitCode: report.exitCode, logTail: report.logTail };
    // The job just read is decided on: if it changed meanwhile, the conditional write fails and
    // the decision is taken again on fresh state, so one read serves the common case.
    await this.mutex.run(report.jobId, () => this.applyLocked(report.jobId, observation, job));
    return 'ok';
  }

  // ---- reconciling ----

  /**
   * One level-triggered pass: every job that needs reconciling is observed (in bulk) and decided
   * on; what the fleet runs for no job is swept. Returns what it did, for tests and benchmarks.
   */
  async reconcileOnce(): Promise<{ skipped: boolean; jobs: number; orphansTerminated: number; orphansCancelled: number }> {
    const { lease } = this.deps;
    if (lease && !(await lease.tryAcquire('reconciler', this.holderId, this.deps.pollSeconds * 3000))) {
      return { skipped: true, jobs: 0, orphansTerminated: 0, orphansCancelled: 0 };
    }
    const started = Date.now();
    if (this.deps.scheduler) {
      await this.deps.scheduler.fireDue().catch((err) => this.deps.logger.error({ err: coerceError(err) }, 'firing schedules failed'));
    }
    const jobs = await this.deps.store.listActive();
    let snapshot: FleetSnapshot | undefined;
    let index: SnapshotIndex | undefined;
    try {
      snapshot = await this.deps.fleet.observe();
      index = indexSnapshot(snapshot);
    } catch (err) {
      // Without a snapshot, only time-driven decisions run: nothing is presumed gone.
      this.metrics.observeErrors++;
      this.deps.logger.warn({ err: coerceError(err) }, 'fleet observation failed; this pass decides on time alone');
    }
    await forEachLimited(jobs, RECONCILE_CONCURRENCY, async (job) => {
      try {
        await this.mutex.run(job.id, async () => {
          let current: Job | undefined = job;
          for (const observation of observationsFor(job, index)) {
            current = await this.applyLocked(job.id, observation, current);
            if (!current) return;
          }
        });
      } catch (err) {
        this.deps.logger.error({ err: coerceError(err), jobId: job.id }, 'reconciling a job failed; the next pass tries again');
      }
    });
    const swept = snapshot ? await this.sweepOrphans(jobs, snapshot) : { terminated: 0, cancelled: 0 };
    this.metrics.recordPass(Date.now() - started, jobs.length);
    return { skipped: false, jobs: jobs.length, orphansTerminated: swept.terminated, orphansCancelled: swept.cancelled };
  }

  private async sweepOrphans(active: Job[], snapshot: FleetSnapshot): Promise<{ terminated: number; cancelled: number }> {
    const orphans = findOrphans(active, snapshot);
    // The pass's job list may be stale (a timer, a notification or another replica moved a job on
    // since): every candidate is judged again against its job as stored now, read consistently.
    const current = new Map<string, Job | undefined>();
    const jobIds = new Set([...orphans.instances, ...orphans.requests].flatMap((r) => (r.jobId ? [r.jobId] : [])));
    for (const jobId of jobIds) current.set(jobId, await this.deps.store.get(jobId));
    let terminated = 0;
    let cancelled = 0;
    for (const instance of orphans.instances) {
      if (!stillOrphaned(instance, current.get(instance.jobId ?? ''))) continue;
      this.deps.logger.warn({ instanceId: instance.instanceId, jobId: instance.jobId, attempt: instance.attempt }, 'terminating an orphaned instance');
      await this.deps.fleet.terminateInstance(instance.instanceId).then(() => terminated++, (err) => this.deps.logger.error({ err }, 'orphan terminate failed'));
    }
    for (const request of orphans.requests) {
      if (!stillOrphaned(request, current.get(request.jobId ?? ''))) continue;
      this.deps.logger.warn({ requestId: request.requestId, jobId: request.jobId, attempt: request.attempt }, 'cancelling an orphaned spot request');
      await this.deps.fleet.cancelRequest(request.requestId).then(() => cancelled++, (err) => this.deps.logger.error({ err }, 'orphan cancel failed'));
      if (request.instanceId && !snapshot.instances.some((i) => i.instanceId === request.instanceId)) {
        await this.deps.fleet.terminateInstance(request.instanceId).then(() => terminated++, () => undefined);
      }
    }
    this.metrics.orphansTerminated += terminated;
    this.metrics.orphansCancelled += cancelled;
    return { terminated, cancelled };
  }

  // ---- the one path every observation takes ----

  /** Decides on one observation for one job, serialised with everything else for that job. */
  apply(jobId: string, observation: Observation): Promise<Job | undefined> {
    return this.mutex.run(jobId, () => this.applyLocked(jobId, observation, undefined));
  }

  private async applyLocked(jobId: string, first: Observation, preloaded: Job | undefined): Promise<Job | undefined> {
    const queue: Observation[] = [first];
    let job = preloaded;
    const events: JobEvent[] = [];
    while (queue.length > 0) {
      const observation = queue.shift()!;
      const decided = await this.decideAndStore(jobId, observation, job);
      if (!decided) return undefined;
      job = decided.job;
      for (const effect of decided.effects) {
        if (effect.kind === 'notify') {
          events.push(effect.event);
          continue;
        }
        const followUp = await this.runEffect(job, effect);
        if (followUp) queue.push(followUp);
      }
    }
    if (job && events.length > 0) await this.notify(job, events);
    if (job && isTerminal(job.status)) {
      this.timers.get(jobId)?.cancel();
      this.timers.delete(jobId);
    }
    return job;
  }

  private async decideAndStore(jobId: string, observation: Observation, preloaded: Job | undefined): Promise<{ job: Job; effects: Effect[] } | undefined> {
    let job = preloaded;
    for (let tries = 0; tries < MAX_WRITE_RETRIES; tries++) {
      job ??= await this.deps.store.get(jobId);
      if (!job) return undefined;
      const decision = decide(job, observation, this.deps.clock.now(), this.timings);
      if (JSON.stringify(decision.job) === JSON.stringify(job)) return { job, effects: decision.effects };
      const next = { ...decision.job, version: job.version + 1 };
      try {
        await this.deps.store.update(next);
        if (next.status !== job.status) this.metrics.transition(next.status);
        return { job: next, effects: decision.effects };
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        this.metrics.writeConflicts++;
        job = undefined; // someone else moved it on: decide again on fresh state
      }
    }
    throw new ConflictError(`job ${jobId} kept changing under us`);
  }

  /** Runs one effect; returns what its outcome means for the job, if anything. */
  private async runEffect(job: Job, effect: Exclude<Effect, { kind: 'notify' }>): Promise<Observation | undefined> {
    const { fleet, logger } = this.deps;
    switch (effect.kind) {
      case 'requestSpot': {
        try {
          const userData = renderBootstrap({
            jobId: job.id,
            attempt: effect.attempt,
            image: job.spec.image,
            command: job.spec.command,
            env: job.spec.env,
            notifyBaseUrl: this.deps.publicUrl,
            token: notificationToken(this.deps.secret, job.id, effect.attempt),
          });
          const placed = await fleet.requestSpot({
            jobId: job.id,
            attempt: effect.attempt,
            instanceType: effect.instanceType,
            maxPrice: job.spec.maxPrice,
            userData,
            clientToken: effect.clientToken,
          });
          this.metrics.spotRequests++;
          return { kind: 'spotRequested', attempt: effect.attempt, requestId: placed.requestId, instanceId: placed.instanceId };
        } catch (thrown) {
          const err = coerceError(thrown) as Error & { code?: string; permanent?: boolean; capacity?: boolean };
          logger.warn({ err, jobId: job.id, attempt: effect.attempt }, 'spot request failed');
          const permanent = err instanceof ValidationError || err.permanent === true;
          return { kind: 'spotRequestFailed', attempt: effect.attempt, code: err.code ?? err.name, message: err.message, permanent, capacity: err.capacity === true };
        }
      }
      case 'cancelSpotRequest':
        await fleet.cancelRequest(effect.requestId).catch((err) => logger.warn({ err, jobId: job.id }, 'cancelling a spot request failed; the sweep retries'));
        return undefined;
      case 'terminateInstance':
        await fleet.terminateInstance(effect.instanceId).catch((err) => logger.warn({ err, jobId: job.id }, 'terminating an instance failed; the next pass retries'));
        return undefined;
      case 'sendCallback': {
        const outcome: CallbackOutcome = await this.deps.callbacks
          .send(effect.url, buildCallbackPayload(job), effect.idempotencyKey)
          .catch((err: unknown) => ({ ok: false, error: coerceError(err).message, permanent: false }));
        this.metrics.callbacks(outcome.ok);
        return outcome.ok
          ? { kind: 'callbackResult', tryNumber: effect.tryNumber, ok: true, statusCode: outcome.statusCode, permanent: false }
          : { kind: 'callbackResult', tryNumber: effect.tryNumber, ok: false, statusCode: outcome.statusCode, error: outcome.error, permanent: outcome.permanent };
      }
      default:
        return assertNever(effect);
    }
  }

  private async notify(job: Job, events: JobEvent[]): Promise<void> {
    try {
      await this.deps.notifier.jobChanged(job, events);
    } catch (err) {
      this.deps.logger.warn({ err: coerceError(err), jobId: job.id }, 'chat notification failed');
    }
  }

  private armTimer(job: Job): void {
    this.timers.get(job.id)?.cancel();
    this.timers.delete(job.id);
    const fire = () => {
      this.timers.delete(job.id);
      this.apply(job.id, { kind: 'tick' }).catch((err) => this.deps.logger.error({ err: coerceError(err), jobId: job.id }, 'due job could not start; the poller retries'));
    };
    // The injected clock decides when a job is due; node-schedule counts in wall-clock time.
    const delayMs = Date.parse(job.runAt) - this.deps.clock.now().getTime();
    if (delayMs <= 0) {
      setImmediate(fire);
      return;
    }
    const timer = schedule.scheduleJob(new Date(Date.now() + delayMs), fire);
    if (timer) this.timers.set(job.id, timer);
  }

  /** Timers armed for scheduled jobs (for tests and metrics). */
  get armedTimers(): number {
    return this.timers.size;
  }
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}

function assertNever(value: never): never {
  throw new Error(`unexpected effect: ${JSON.stringify(value)}`);
}

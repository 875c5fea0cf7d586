/**
 * The one path every observation takes, whoever brings it (a timer, the reconcile pass, an agent
 * report, a user): load the job, `decide`, store it with a conditional write, run the effects,
 * and decide again on what the effects report — all under the job's lock. A write lost to another
 * writer is decided again on fresh state.
 */
import type { Logger } from 'pino';
import { coerceError, ConflictError } from '../core/errors.js';
import { isTerminal, type Job, type JobEvent } from '../core/job.js';
import { decide, type LifecycleTimings } from '../core/lifecycle/lifecycle.js';
import type { Effect, Observation } from '../core/lifecycle/observation.js';
import type { Clock, JobStore, Notifier } from '../ports.js';
import type { EffectRunner } from './effect-runner.js';
import { KeyedMutex } from './keyed-mutex.js';
import { retryOnConflict } from './retry-on-conflict.js';
import type { EngineMetrics } from './metrics.js';

export interface JobDriverDeps {
  store: JobStore;
  effects: EffectRunner;
  notifier: Notifier;
  clock: Clock;
  logger: Logger;
  metrics: EngineMetrics;
  timings: LifecycleTimings;
  /** Called after a change leaves the job ended (its due timer is no longer wanted). */
  onEnded(jobId: string): void;
  /** The lifecycle asked to be ticked at `at` (a `wakeAt` effect). */
  wakeAt(jobId: string, at: string): void;
}

export class JobDriver {
  private readonly mutex = new KeyedMutex();

  constructor(private readonly deps: JobDriverDeps) {}

  /** Serialises `work` with everything else done to this job in this process. */
  exclusive<T>(jobId: string, work: () => Promise<T>): Promise<T> {
    return this.mutex.run(jobId, work);
  }

  /**
   * Decides on one observation for one job. `preloaded` is the job as just read, when the caller
   * has it: if it changed meanwhile, the conditional write fails and the decision is taken again.
   */
  apply(jobId: string, observation: Observation, preloaded?: Job): Promise<Job | undefined> {
    return this.mutex.run(jobId, () => this.applyLocked(jobId, observation, preloaded));
  }

  /** Decides on several observations in order, under one lock; stops if the job is gone. */
  applyAll(job: Job, observations: Observation[]): Promise<void> {
    return this.mutex.run(job.id, async () => {
      let current: Job | undefined = job;
      for (const observation of observations) {
        current = await this.applyLocked(job.id, observation, current);
        if (!current) return;
      }
    });
  }

  /** Tells chat about a job's new events; a chat failure never fails the job's change. */
  async notify(job: Job, events: JobEvent[]): Promise<void> {
    try {
      await this.deps.notifier.jobChanged(job, events);
    } catch (err) {
      this.deps.logger.warn({ err: coerceError(err), jobId: job.id }, 'chat notification failed');
    }
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
        if (effect.kind === 'wakeAt') {
          this.deps.wakeAt(effect.jobId, effect.at);
          continue;
        }
        const followUp = await this.deps.effects.run(job, effect);
        if (followUp) queue.push(followUp);
      }
    }
    if (job && events.length > 0) await this.notify(job, events);
    if (job && isTerminal(job.status)) this.deps.onEnded(jobId);
    return job;
  }

  private async decideAndStore(jobId: string, observation: Observation, preloaded: Job | undefined): Promise<{ job: Job; effects: Effect[] } | undefined> {
    const { store, metrics } = this.deps;
    let job = preloaded;
    return retryOnConflict(
      async () => {
        job ??= await store.get(jobId);
        if (!job) return undefined;
        const decision = decide(job, observation, this.deps.clock.now(), this.deps.timings);
        if (JSON.stringify(decision.job) === JSON.stringify(job)) return { job, effects: decision.effects };
        const next = { ...decision.job, version: job.version + 1 };
        await store.update(next);
        if (next.status !== job.status) metrics.transition(next.status);
        return { job: next, effects: decision.effects };
      },
      {
        onConflict: () => {
          metrics.writeConflicts++;
          job = undefined; // someone else moved it on: decide again on fresh state
        },
        exhausted: () => {
          throw new ConflictError(`job ${jobId} kept changing under us`);
        },
      },
    );
  }
}

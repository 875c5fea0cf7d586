/**
 * The accumulator one `decide` call works on: the job as it changes, the effects to run, and the
 * facts of the observation being decided on; plus the small helpers every part of the lifecycle
 * shares.
 */
import { MAX_EVENTS, type Job } from '../job.js';
import type { JobEventFacts, RecordedJobEvent } from '../job-event.js';
import type { LifecycleTimings } from './timings.js';
import type { Decision, Effect } from './observation.js';

/** A request in one of these states can launch nothing more. */
export const REQUEST_OVER_STATES: ReadonlySet<string> = new Set(['cancelled', 'closed', 'failed', 'missing']);

/** Accumulates one transition: the changed job and its effects. */
export class Transition {
  job: Job;
  effects: Effect[] = [];
  /** The observation being decided on shows the current instance already gone. */
  instanceGone = false;
  /** The observation being decided on shows the current request already over. */
  requestGone = false;
  private changed = false;

  constructor(
    original: Job,
    readonly now: Date,
    readonly timings: LifecycleTimings,
  ) {
    this.job = structuredClone(original);
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  secondsSince(iso: string | undefined): number {
    if (!iso) return Number.POSITIVE_INFINITY;
    return (this.now.getTime() - Date.parse(iso)) / 1000;
  }

  set(patch: Partial<Job>): void {
    for (const [key, value] of Object.entries(patch) as [keyof Job, unknown][]) {
      if (this.job[key] !== value) {
        (this.job as unknown as Record<string, unknown>)[key] = value;
        this.changed = true;
      }
    }
  }

  event(facts: JobEventFacts): void {
    const event: RecordedJobEvent = { ...facts, at: this.nowIso };
    this.job.events = [...this.job.events, event].slice(-MAX_EVENTS);
    this.changed = true;
    this.effects.push({ kind: 'notify', jobId: this.job.id, event });
  }

  /**
   * Asks for one effect. A cancel or terminate of something already asked for in this decision is
   * asked once: a request can be both the draining attempt's and the one a job ends with.
   */
  effect(effect: Effect): void {
    if ((effect.kind === 'cancelSpotRequest' || effect.kind === 'terminateInstance') && this.effects.some((asked) => JSON.stringify(asked) === JSON.stringify(effect))) return;
    this.effects.push(effect);
  }

  result(): Decision {
    if (this.changed) {
      this.job.updatedAt = this.nowIso;
    }
    return { job: this.job, effects: this.effects };
  }
}

export function currentType(job: Job): string {
  return job.spec.instanceTypes[job.instanceTypeIndex] ?? job.spec.instanceTypes[0] ?? 't3.micro';
}

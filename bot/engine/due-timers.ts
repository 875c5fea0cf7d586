/**
 * Timers that move jobs on time: a scheduled job at `runAt`, a launching one at its launch timeout,
 * a running one at its `--timeout` deadline (bot/core/lifecycle/deadlines.ts says when). Each job has
 * at most one, re-armed after every change of the job and, on start-up, from the stored jobs.
 *
 * A timer acts without the reconcile lease: every job write is conditional on the job's version,
 * so a timer here and a pass on another replica never both act on one state of a job. That is what
 * makes a deadline fire on time after a restart: the first pass may wait for the old lease to expire
 * (3 poll intervals when the old process died holding it), a timer does not. The reconcile pass
 * still catches any timer lost (another replica's job, a clock jump).
 */
import schedule from 'node-schedule';
import type { Job } from '../core/job.js';
import { nextTimedDecisionMs } from '../core/lifecycle/deadlines.js';
import type { LifecycleTimings } from '../core/lifecycle/lifecycle.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../ports.js';

export class DueTimers {
  /** `fired`: kept until the job changes, so a decision that changed nothing never re-fires at once. */
  private readonly timers = new Map<string, { timer?: schedule.Job; atMs: number; fired?: boolean }>();

  constructor(private readonly deps: { clock: Clock; timings: LifecycleTimings; fire: (jobId: string) => void }) {}

  /** Arms (or re-arms, or cancels) the job's timer for the next moment time alone moves it. */
  arm(job: Job): void {
    const atMs = nextTimedDecisionMs(job, this.deps.timings);
    const armed = this.timers.get(job.id);
    if (armed && armed.atMs === atMs) return;
    this.cancel(job.id);
    if (atMs === undefined || Number.isNaN(atMs)) return;
    const entry: { timer?: schedule.Job; atMs: number; fired?: boolean } = { atMs };
    const fire = () => {
      if (this.timers.get(job.id) !== entry) return; // cancelled or re-armed meanwhile
      entry.fired = true;
      this.deps.fire(job.id);
    };
    this.timers.set(job.id, entry);
    // The injected clock decides when a job is due; node-schedule reads the system clock itself,
    // so the delay is turned into a time on that clock, whatever clock is injected.
    const delayMs = atMs - this.deps.clock.now().getTime();
    if (delayMs <= 0) {
      setImmediate(fire);
      return;
    }
    const timer = schedule.scheduleJob(new Date(systemClock.now().getTime() + delayMs), fire);
    if (timer) entry.timer = timer;
    else entry.fired = true; // node-schedule refuses a time already past: the pass acts
  }

  cancel(jobId: string): void {
    this.timers.get(jobId)?.timer?.cancel();
    this.timers.delete(jobId);
  }

  cancelAll(): void {
    for (const entry of this.timers.values()) entry.timer?.cancel();
    this.timers.clear();
  }

  get size(): number {
    return [...this.timers.values()].filter((entry) => !entry.fired).length;
  }
}

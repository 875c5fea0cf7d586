/**
 * Timers that start scheduled jobs on time, and wake a job for a deadline its lifecycle named
 * (`wakeAt`). They are an optimisation only: the reconcile pass
 * starts any due job whose timer was lost (a restart, another replica's job).
 */
import schedule from 'node-schedule';
import type { Job } from '../core/job.js';
import { systemClock } from '../clock.js';
import type { Clock } from '../ports.js';

export class DueTimers {
  private readonly timers = new Map<string, schedule.Job>();

  constructor(private readonly deps: { clock: Clock; fire: (jobId: string) => void }) {}

  /** Arms (or re-arms) the timer of a scheduled job for its `runAt`. */
  arm(job: Job): void {
    this.armAt(job.id, job.runAt);
  }

  /** Arms (or re-arms) a job's timer for `at` (ISO): its `runAt`, or a deadline the lifecycle asked to be woken for. */
  armAt(jobId: string, at: string): void {
    this.cancel(jobId);
    const fire = () => {
      this.timers.delete(jobId);
      this.deps.fire(jobId);
    };
    // The injected clock decides when a job is due; node-schedule reads the system clock itself,
    // so the delay is turned into a time on that clock, whatever clock is injected.
    const delayMs = Date.parse(at) - this.deps.clock.now().getTime();
    if (delayMs <= 0) {
      setImmediate(fire);
      return;
    }
    const timer = schedule.scheduleJob(new Date(systemClock.now().getTime() + delayMs), fire);
    if (timer) this.timers.set(jobId, timer);
  }

  cancel(jobId: string): void {
    this.timers.get(jobId)?.cancel();
    this.timers.delete(jobId);
  }

  cancelAll(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  get size(): number {
    return this.timers.size;
  }
}

/**
 * Timers that start scheduled jobs on time. They are an optimisation only: the reconcile pass
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
    this.cancel(job.id);
    const fire = () => {
      this.timers.delete(job.id);
      this.deps.fire(job.id);
    };
    // The injected clock decides when a job is due; node-schedule reads the system clock itself,
    // so the delay is turned into a time on that clock, whatever clock is injected.
    const delayMs = Date.parse(job.runAt) - this.deps.clock.now().getTime();
    if (delayMs <= 0) {
      setImmediate(fire);
      return;
    }
    const timer = schedule.scheduleJob(new Date(systemClock.now().getTime() + delayMs), fire);
    if (timer) this.timers.set(job.id, timer);
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

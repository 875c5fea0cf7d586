/** A cron schedule and what creating one takes; the scheduler in bot/engine fires them. */
import type { ChatOrigin, Compute, JobOwner, JobSpec } from './job.js';

/** A cron schedule: each firing starts one job, whose id derives from (schedule, firing time). */
export interface Schedule {
  id: string;
  version: number;
  status: 'active' | 'cancelled';
  /** Five-field cron expression as the user wrote it. */
  expression: string;
  /** IANA zone the expression is read in. */
  timezone: string;
  spec: JobSpec;
  owner: JobOwner;
  origin?: ChatOrigin;
  createdAt: string;
  updatedAt: string;
  /** ISO UTC of the next firing while active. */
  nextRunAt?: string;
  lastFiredAt?: string;
  /** The latest firing that started nothing, and why (its owner was at `SCHED_MAX_ACTIVE_JOBS_PER_USER`). */
  lastSkipped?: { at: string; reason: string };
  cancelledBy?: string;
  /** Where its firings run, recorded at creation; absent on schedules stored before it was (shown as EC2's). */
  compute?: Compute;
}

export interface NewSchedule {
  expression: string;
  timezone: string;
  spec: JobSpec;
  owner: JobOwner;
  origin?: ChatOrigin;
}

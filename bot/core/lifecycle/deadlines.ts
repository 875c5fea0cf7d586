/**
 * When time alone moves a job next: the moment its due timer must fire. The lifecycle's `tick`
 * decides by the same rules, so a timer armed here acts on time, and the reconcile pass only
 * catches what a timer missed.
 *
 * - scheduled: at `runAt`;
 * - requested, waiting on spot capacity with `--on-demand-wait`: when the wait is over;
 * - launching: at `launchedAt` + the launch timeout (an agent that never said `started`);
 * - running with `--timeout`: at `startedAt` + the timeout, plus, where an agent enforces the
 *   timeout itself (EC2), a short grace for its `finished` report, which carries the output. On
 *   local compute the bot's timer is the enforcer, at the deadline itself;
 * - a replaced attempt still draining: at its notice's deadline (terminated as a backstop).
 */
import { computeOf, JobStatus, type Job } from '../job.js';
import { onDemandWaitEndsMs } from './fallback.js';
import type { LifecycleTimings } from './timings.js';

/** Seconds after `startedAt` at which the bot ends a running job for its timeout; undefined without one. */
export function runDeadlineSeconds(job: Job, timings: LifecycleTimings): number | undefined {
  if (job.spec.timeoutSeconds === undefined) return undefined;
  return job.spec.timeoutSeconds + (computeOf(job) === 'local' ? 0 : timings.timeoutGraceSeconds);
}

/** When time alone next changes this job, in ms since the epoch; undefined when only the world can. */
export function nextTimedDecisionMs(job: Job, timings: LifecycleTimings): number | undefined {
  const own = ownStatusDeadlineMs(job, timings);
  // A replaced attempt still at work is terminated at its notice's deadline, whatever the status.
  const drain = job.draining?.deadlineAt !== undefined ? Date.parse(job.draining.deadlineAt) : undefined;
  if (own === undefined || Number.isNaN(own)) return drain;
  return drain === undefined ? own : Math.min(own, drain);
}

function ownStatusDeadlineMs(job: Job, timings: LifecycleTimings): number | undefined {
  switch (job.status) {
    case JobStatus.Scheduled:
      return Date.parse(job.runAt);
    case JobStatus.Requested:
      return onDemandWaitEndsMs(job);
    case JobStatus.Launching:
      return job.launchedAt ? Date.parse(job.launchedAt) + timings.launchTimeoutSeconds * 1000 : undefined;
    case JobStatus.Running: {
      const seconds = runDeadlineSeconds(job, timings);
      return seconds !== undefined && job.startedAt ? Date.parse(job.startedAt) + seconds * 1000 : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The words that confirm a `run`: what was created and, for a later or recurring job, the
 * resolved time(s) in UTC and in the zone it was read in. Shared by every surface.
 */
import type { RunWhen } from '../core/parsing/grammar.js';
import { describeInstant, relativeTime } from '../core/parsing/when.js';
import { computeOf, type Job } from '../core/job.js';
import type { Schedule } from '../core/schedule.js';

export function confirmJob(job: Job, when: RunWhen | undefined, now: Date): string {
  if (job.status === 'scheduled') {
    const at = new Date(job.runAt);
    const zone = when?.kind === 'at' ? when.timezone : 'UTC';
    return `Job ${job.id} is scheduled for ${describeInstant(at, zone)}, ${relativeTime(at, now)}.`;
  }
  return `Job ${job.id} started: ${job.spec.name ?? job.spec.image}, ${whatItDoes(job)}.`;
}

/** What a job just started is doing, in words for where it runs (not its status name). */
function whatItDoes(job: Job): string {
  const local = computeOf(job) === 'local';
  switch (job.status) {
    case 'requested':
      if (local) return 'starting on this machine';
      return job.market === 'on-demand' ? 'launching an on-demand instance' : 'launching a spot instance';
    case 'launching':
      return local ? 'starting on this machine' : 'its instance is starting';
    case 'running':
      return local ? 'running on this machine' : 'running';
    default:
      return job.status;
  }
}

export function confirmSchedule(schedule: Schedule, when: RunWhen | undefined): string {
  const next = when?.kind === 'cron' ? when.next : schedule.nextRunAt ? [schedule.nextRunAt] : [];
  const firings = next.map((iso) => `• ${describeInstant(new Date(iso), schedule.timezone)}`).join('\n');
  return `Schedule ${schedule.id} created: \`${schedule.expression}\` in ${schedule.timezone}. Each firing starts one job. Next firings:\n${firings}\nStop it with \`/sched cancel ${schedule.id}\`.`;
}

/**
 * The words that confirm a `run`: what was created and, for a later or recurring job, the
 * resolved time(s) in UTC and in the zone it was read in. Shared by every surface.
 */
import type { RunWhen } from '../core/parsing/grammar.js';
import { describeInstant, relativeTime } from '../core/parsing/when.js';
import type { Job } from '../core/job.js';
import type { Schedule } from '../core/schedule.js';

export function confirmJob(job: Job, when: RunWhen | undefined, now: Date): string {
  if (job.status === 'scheduled') {
    const at = new Date(job.runAt);
    const zone = when?.kind === 'at' ? when.timezone : 'UTC';
    return `Job ${job.id} is scheduled for ${describeInstant(at, zone)}, ${relativeTime(at, now)}.`;
  }
  return `Job ${job.id} started: ${job.spec.name ?? job.spec.image} (${job.status}).`;
}

export function confirmSchedule(schedule: Schedule, when: RunWhen | undefined): string {
  const next = when?.kind === 'cron' ? when.next : schedule.nextRunAt ? [schedule.nextRunAt] : [];
  const firings = next.map((iso) => `• ${describeInstant(new Date(iso), schedule.timezone)}`).join('\n');
  return `Schedule ${schedule.id} created: \`${schedule.expression}\` in ${schedule.timezone}. Each firing starts one job. Next firings:\n${firings}\nStop it with \`/sched cancel ${schedule.id}\`.`;
}

/** Resolves a JOB argument: a job id, or a schedule id (`s-…` with no firing suffix). */
import { USAGE } from '../core/parsing/grammar.js';
import type { Job } from '../core/job.js';
import type { Schedule } from '../core/schedule.js';
import type { CommandDeps, CommandOutcome } from './types.js';

export type Target = { kind: 'job'; job: Job } | { kind: 'schedule'; schedule: Schedule } | { kind: 'missing'; outcome: CommandOutcome };

const SCHEDULE_ID = /^s-[a-z2-7]+$/;

export async function findTarget(id: string, deps: CommandDeps, usage: keyof typeof USAGE): Promise<Target> {
  if (SCHEDULE_ID.test(id)) {
    const schedule = await deps.schedules.getSchedule(id);
    if (schedule) return { kind: 'schedule', schedule };
  } else {
    const job = await deps.jobs.getJob(id);
    if (job) return { kind: 'job', job };
  }
  return {
    kind: 'missing',
    outcome: { kind: 'invalid', error: `no job or schedule "${id}" (\`/sched list\` shows yours)`, usage: USAGE[usage] },
  };
}

/**
 * Leaving the terminal prompt, in words. Sched's jobs outlive it, as instances outlive the bot:
 * a local run keeps running when Sched stops and the next start picks it up; a waiting job starts
 * when Sched runs again. So leaving says how many jobs stay behind, and `exit --stop-jobs` cancels
 * them first, after asking once. The words are pure (jobs in, words out); surface.ts asks and acts.
 */
import { unfinishedJobs } from '../commands/cancel-all.js';
import type { CommandDeps, CommandOutcome } from '../commands/types.js';
import { isTerminal, JobStatus, type Job } from '../core/job.js';

/** An `exit`/`quit` line, read; `undefined` for any other line. */
export type LeaveCommand = { kind: 'exit'; stopJobs: boolean } | { kind: 'invalid'; error: string; usage: string };

export const EXIT_USAGE = 'exit [--stop-jobs]';

/** Jobs that have not ended: running (their run or instance exists) or waiting to start. */
export interface JobsLeft {
  running: number;
  waiting: number;
  ids: string[];
}

/** Where a running job runs, as the leaving words say it. */
export type RunsOn = 'local' | 'ec2';

export function parseLeave(text: string): LeaveCommand | undefined {
  const [word = '', ...rest] = text.trim().split(/\s+/);
  if (!/^(exit|quit)$/i.test(word)) return undefined;
  if (rest.length === 0) return { kind: 'exit', stopJobs: false };
  if (rest.length === 1 && rest[0] === '--stop-jobs') return { kind: 'exit', stopJobs: true };
  const extra = rest.find((arg) => arg !== '--stop-jobs') ?? rest[0]!;
  return { kind: 'invalid', error: `${word.toLowerCase()} takes only --stop-jobs, not "${extra}"`, usage: EXIT_USAGE };
}

export function jobsLeft(jobs: readonly Job[]): JobsLeft {
  const left = jobs.filter((job) => !isTerminal(job.status));
  const running = left.filter((job) => job.status === JobStatus.Launching || job.status === JobStatus.Running).length;
  return { running, waiting: left.length - running, ids: left.map((job) => job.id) };
}

/** The jobs left, or `undefined` when the store does not say within `ms`: a stop is never held up by it. */
export async function jobsLeftWithin(deps: CommandDeps, ms = 3_000): Promise<JobsLeft | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    const jobs = await Promise.race([unfinishedJobs(deps), late]);
    return jobs && jobsLeft(jobs);
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** What stays behind when Sched stops; `undefined` when nothing does. */
export function keepRunningText(left: JobsLeft, runsOn: RunsOn, offerStop: boolean): string | undefined {
  const total = left.running + left.waiting;
  if (total === 0) return undefined;
  const where = runsOn === 'local' ? 'on this machine' : 'on their EC2 instances';
  const them = total === 1 ? 'it' : 'them';
  const stay =
    left.running === 0
      ? `${jobs(left.waiting, 'waiting job')} ${left.waiting === 1 ? 'starts' : 'start'} when Sched runs again (\`npm start\`).`
      : `${jobs(left.running, 'job')} ${left.running === 1 ? 'keeps' : 'keep'} running ${where}${left.waiting > 0 ? ` and ${left.waiting} ${left.waiting === 1 ? 'waits' : 'wait'}` : ''}; the next \`npm start\` picks ${them} up.`;
  return offerStop ? `${stay} \`exit --stop-jobs\` cancels ${them}.` : stay;
}

/** The one question `exit --stop-jobs` asks. */
export function stopJobsQuestion(left: JobsLeft): string {
  const parts = [left.running > 0 && `${left.running} running`, left.waiting > 0 && `${left.waiting} waiting`].filter(Boolean).join(' and ');
  return `Cancel ${parts} ${left.running + left.waiting === 1 ? 'job' : 'jobs'}? [y/N] `;
}

/** Why `cancel` refused one of the jobs (it ended meanwhile, say). */
export function notCancelledText(id: string, outcome: CommandOutcome): string {
  const why = outcome.kind === 'invalid' ? outcome.error : outcome.kind === 'denied' || outcome.kind === 'conflict' ? outcome.reason : outcome.kind;
  return `Job ${id} was not cancelled: ${why}`;
}

/** Only y or yes cancels; anything else, an empty line included, is no. */
export function isYes(answer: string): boolean {
  return /^(y|yes)$/i.test(answer.trim());
}

function jobs(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

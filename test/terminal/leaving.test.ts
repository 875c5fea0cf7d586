/** The words of leaving the prompt: what `exit` takes, what stays behind, the one question. */
import { describe, expect, test } from 'vitest';
import type { Job, JobStatus } from '../../bot/core/job.js';
import type { CommandDeps } from '../../bot/commands/types.js';
import { isYes, jobsLeft, jobsLeftWithin, keepRunningText, notCancelledText, parseLeave, stopJobsQuestion } from '../../bot/terminal/leaving.js';

const job = (id: string, status: JobStatus) => ({ id, status }) as Job;

describe('parseLeave', () => {
  test.each([
    ['exit', { kind: 'exit', stopJobs: false }],
    ['QUIT', { kind: 'exit', stopJobs: false }],
    ['  exit  ', { kind: 'exit', stopJobs: false }],
    ['exit --stop-jobs', { kind: 'exit', stopJobs: true }],
    ['quit   --stop-jobs', { kind: 'exit', stopJobs: true }],
    ['exit now', { kind: 'invalid', error: 'exit takes only --stop-jobs, not "now"', usage: 'exit [--stop-jobs]' }],
    ['exit --stop-jobs --force', { kind: 'invalid', error: 'exit takes only --stop-jobs, not "--force"', usage: 'exit [--stop-jobs]' }],
    ['Quit --stop', { kind: 'invalid', error: 'quit takes only --stop-jobs, not "--stop"', usage: 'exit [--stop-jobs]' }],
  ])('%j', (text, expected) => {
    expect(parseLeave(text)).toEqual(expected);
  });

  test.each(['list', 'exits', 'run alpine exit', '/sched exit', ''])('%j is not a way out', (text) => {
    expect(parseLeave(text)).toBeUndefined();
  });
});

describe('what stays behind', () => {
  const jobs = [job('j-a', 'running'), job('j-b', 'launching'), job('j-c', 'scheduled'), job('j-d', 'requested'), job('j-e', 'succeeded'), job('j-f', 'cancelled')];

  test('running (launching or running) and waiting (scheduled or requested); ended jobs are not left', () => {
    expect(jobsLeft(jobs)).toEqual({ running: 2, waiting: 2, ids: ['j-a', 'j-b', 'j-c', 'j-d'] });
  });

  test.each([
    [{ running: 1, waiting: 0 }, 'local', true, '1 job keeps running on this machine; the next `npm start` picks it up. `exit --stop-jobs` cancels it.'],
    [{ running: 2, waiting: 0 }, 'local', true, '2 jobs keep running on this machine; the next `npm start` picks them up. `exit --stop-jobs` cancels them.'],
    [{ running: 2, waiting: 1 }, 'local', false, '2 jobs keep running on this machine and 1 waits; the next `npm start` picks them up.'],
    [{ running: 1, waiting: 2 }, 'ec2', false, '1 job keeps running on their EC2 instances and 2 wait; the next `npm start` picks them up.'],
    [{ running: 0, waiting: 1 }, 'local', true, '1 waiting job starts when Sched runs again (`npm start`). `exit --stop-jobs` cancels it.'],
    [{ running: 0, waiting: 3 }, 'local', false, '3 waiting jobs start when Sched runs again (`npm start`).'],
  ] as const)('%j on %s, offering the stop: %s', (counts, runsOn, offer, text) => {
    expect(keepRunningText({ ...counts, ids: [] }, runsOn, offer)).toBe(text);
  });

  test('nothing left: nothing said', () => {
    expect(keepRunningText({ running: 0, waiting: 0, ids: [] }, 'local', true)).toBeUndefined();
  });
});

test('the question counts what it would cancel', () => {
  expect(stopJobsQuestion({ running: 1, waiting: 0, ids: ['j-a'] })).toBe('Cancel 1 running job? [y/N] ');
  expect(stopJobsQuestion({ running: 2, waiting: 0, ids: [] })).toBe('Cancel 2 running jobs? [y/N] ');
  expect(stopJobsQuestion({ running: 2, waiting: 1, ids: [] })).toBe('Cancel 2 running and 1 waiting jobs? [y/N] ');
  expect(stopJobsQuestion({ running: 0, waiting: 1, ids: [] })).toBe('Cancel 1 waiting job? [y/N] ');
});

test('only y or yes is yes', () => {
  for (const yes of ['y', 'Y', 'yes', ' YES ']) expect(isYes(yes), yes).toBe(true);
  for (const no of ['', 'n', 'no', 'yy', 'yes please', 'ok', 'y.']) expect(isYes(no), no).toBe(false);
});

test('a refusal names the job and why', () => {
  expect(notCancelledText('j-a', { kind: 'invalid', error: 'job j-a has already ended (succeeded)', usage: '' })).toBe('Job j-a was not cancelled: job j-a has already ended (succeeded)');
  expect(notCancelledText('j-b', { kind: 'conflict', reason: 'j-b changed while Sched was answering' })).toBe('Job j-b was not cancelled: j-b changed while Sched was answering');
});

test('a store that does not answer never holds a stop up: nothing is counted', async () => {
  const deps = { jobs: { listActiveJobs: () => new Promise<Job[]>(() => {}) } } as unknown as CommandDeps;
  const t0 = performance.now();
  expect(await jobsLeftWithin(deps, 50)).toBeUndefined();
  expect(performance.now() - t0).toBeLessThan(1_000);
  const failing = { jobs: { listActiveJobs: async () => Promise.reject(new Error('store down')) } } as unknown as CommandDeps;
  expect(await jobsLeftWithin(failing, 50)).toBeUndefined();
  const answering = { jobs: { listActiveJobs: async () => [job('j-a', 'running')] } } as unknown as CommandDeps;
  expect(await jobsLeftWithin(answering, 50)).toEqual({ running: 1, waiting: 0, ids: ['j-a'] });
});

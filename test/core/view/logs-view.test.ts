import { describe, expect, it } from 'vitest';
import { JobStatus } from '../../../bot/core/job.js';
import { jobLogsView } from '../../../bot/core/view/logs-view.js';
import { makeJob } from '../../harness/jobs.js';
import { NOW } from './job-view-fixtures.js';

const secondsAgo = (s: number) => new Date(NOW.getTime() - s * 1000).toISOString();

describe('jobLogsView (logs JOB)', () => {
  it('a running job: the output so far and its age', () => {
    const job = makeJob({ status: JobStatus.Running, attempt: 1, startedAt: secondsAgo(60) });
    const view = jobLogsView(job, { text: 'line one\n\u001b[31mred\u001b[0m\n', at: secondsAgo(12) }, NOW);
    expect(view.logTail).toBe('line one\nred');
    expect(view.outputNote).toBe('The job is running: output so far, 12s ago');
  });

  it('a running job that printed nothing yet, and one whose container has not started', () => {
    expect(jobLogsView(makeJob({ status: JobStatus.Running, attempt: 1 }), undefined, NOW)).toMatchObject({ outputNote: 'No output yet: the container runs and has printed nothing so far.' });
    expect(jobLogsView(makeJob({ status: JobStatus.Launching, attempt: 1 }), { text: '\n', at: secondsAgo(1) }, NOW).outputNote).toBe('No output yet: the container has not started.');
  });

  it('a cancelled or timed-out job: its last output, said to be the last seen', () => {
    const cancelled = makeJob({ status: JobStatus.Cancelled, attempt: 1, endReason: { reason: 'cancelled', by: 'terminal user' } });
    expect(jobLogsView(cancelled, { text: 'line one\n', at: secondsAgo(180) }, NOW)).toMatchObject({
      logTail: 'line one',
      outputNote: 'Last output, 3m ago (then it was cancelled; nothing more was reported)',
    });
    const timedOut = makeJob({ status: JobStatus.Failed, attempt: 1, endReason: { reason: 'timeout', seconds: 60 } });
    expect(jobLogsView(timedOut, { text: 'tick\n', at: secondsAgo(5) }, NOW).outputNote).toBe('Last output, 5s ago (then it timed out; nothing more was reported)');
    expect(jobLogsView(cancelled, undefined, NOW).outputNote).toBe('No output: the container printed nothing before the job was cancelled.');
  });

  it('the finished report\'s tail wins over any output so far', () => {
    const done = makeJob({ status: JobStatus.Succeeded, attempt: 1, exitCode: 0, logTail: 'final\n' });
    const view = jobLogsView(done, { text: 'older\n', at: secondsAgo(1) }, NOW);
    expect(view.logTail).toBe('final');
    expect(view.outputNote).toBeUndefined();
  });
});

import { describe, expect, test } from 'vitest';
import { JobStatus, type Job } from '../../bot/core/job.js';
import { TerminalNotifier } from '../../bot/terminal/notifier.js';
import { FakeClock } from '../harness/clock.js';
import { makeJob } from '../harness/jobs.js';

function notifier(tailLines?: number) {
  const printed: string[][] = [];
  const clock = new FakeClock(new Date('2026-01-15T10:30:00.000Z'));
  return { printed, notifier: new TerminalNotifier({ print: (lines) => printed.push([...lines]), clock, ...(tailLines !== undefined && { tailLines }) }) };
}

function succeeded(overrides: Partial<Job> = {}): Job {
  return makeJob({
    id: 'j-done',
    status: JobStatus.Succeeded,
    attempt: 1,
    exitCode: 0,
    startedAt: '2026-01-15T10:07:00.000Z',
    finishedAt: '2026-01-15T10:21:00.000Z',
    logTail: 'one\ntwo\nthree\n',
    origin: { surface: 'terminal' },
    spec: { name: 'etl' },
    ...overrides,
  });
}

const STARTED = { at: '2026-01-15T10:07:00.000Z', kind: 'started', text: 'container started (attempt 1)' } as const;
const SUCCEEDED = { at: '2026-01-15T10:21:00.000Z', kind: 'succeeded', text: 'succeeded (exit 0, 14m)' } as const;

describe('TerminalNotifier', () => {
  test('one line per event, in order, with the closing facts on the last; then the output of a job started here', async () => {
    const { printed, notifier: n } = notifier();
    await n.jobChanged(succeeded(), [STARTED, SUCCEEDED]);
    expect(printed).toEqual([
      [
        '10:07:00 UTC  j-done etl  ▶ container started (attempt 1)',
        '10:21:00 UTC  j-done etl  ✓ succeeded (exit 0, 14m)',
        'Output of etl  j-done',
        '  │ one',
        '  │ two',
        '  │ three',
      ],
    ]);
  });

  test('jobs started elsewhere (REST API, Slack): their events, not their output', async () => {
    const { printed, notifier: n } = notifier();
    await n.jobChanged(succeeded({ origin: { surface: 'api' } }), [SUCCEEDED]);
    await n.jobChanged(succeeded({ origin: undefined }), [SUCCEEDED]);
    expect(printed.flat().filter((line) => line.includes('│'))).toEqual([]);
    expect(printed.flat()).toHaveLength(2);
  });

  test('a long output shows its end and where the rest is', async () => {
    const { printed, notifier: n } = notifier(2);
    await n.jobChanged(succeeded(), [SUCCEEDED]);
    expect(printed[0]!.slice(1)).toEqual(['Output of etl  j-done', '  … 1 earlier line: /sched logs j-done', '  │ two', '  │ three']);
  });

  test('an event that does not end the job prints no output, even when the job has some', async () => {
    const { printed, notifier: n } = notifier();
    await n.jobChanged(succeeded(), [{ at: '2026-01-15T10:22:00.000Z', kind: 'callback', text: 'callback delivered (HTTP 200)' }]);
    expect(printed).toEqual([['10:22:00 UTC  j-done etl  ✓ callback delivered (HTTP 200)']]);
  });

  test('escape sequences in event text never reach the terminal', async () => {
    const { printed, notifier: n } = notifier();
    await n.jobChanged(makeJob({ id: 'j-x' }), [{ at: '2026-01-15T10:22:00.000Z', kind: 'waiting', text: 'evil \u001b]0;owned\u0007 text' }]);
    // eslint-disable-next-line no-control-regex -- what must never reach a terminal
    expect(printed.flat().join('\n')).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
  });
});

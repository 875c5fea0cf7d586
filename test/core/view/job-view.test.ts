import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ALL_STATUSES, CallbackState, JobStatus, type JobStatus as Status } from '../../../bot/core/job.js';
import { cleanOutput, closingFacts, formatUsd, JOB_VIEW_LIMITS, jobView, printable, scheduleView, type JobAction, type ViewField } from '../../../bot/core/view/job-view.js';
import { makeJob } from '../../harness/jobs.js';
import { anyStringUpTo } from '../../harness/arbitraries.js';
import { anyJob, anySchedule, jobInStatus, makeSchedule, NOW } from './job-view-fixtures.js';

/** Every string inside a value, however deep. */
function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

// eslint-disable-next-line no-control-regex -- what must not remain
const CONTROL_REGEX = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/;

function field(fields: ViewField[], label: string): string | undefined {
  return fields.find((entry) => entry.label === label)?.value;
}

describe('jobView', () => {
  it.each<[Status, string, JobAction[]]>([
    ['scheduled', 'Scheduled for 2026-01-15 13:00 UTC (in 2h 30m)', ['cancel']],
    ['requested', 'Waiting for a spot instance (t3.micro): capacity-not-available', ['on-demand', 'cancel']],
    ['launching', 'Starting on i-0abc123 (t3.micro), attempt 2', ['cancel']],
    ['running', 'Running on i-0abc123 (t3.micro), attempt 2', ['cancel']],
    ['succeeded', 'Succeeded in 14m', ['retry', 'logs']],
    ['failed', 'Failed: the container exited with code 2', ['retry', 'logs']],
    ['cancelled', 'Cancelled by U024BE7LH', ['retry']],
  ])('%s: "%s", actions %j', (status, label, actions) => {
    const view = jobView(jobInStatus(status), NOW);
    expect(view).toMatchObject({ kind: 'job', id: `j-${status}`, title: 'nightly-etl', status, statusLabel: label, actions });
    expect(view.summary).toBe(`nightly-etl (j-${status}): ${label}`);
  });

  it('a requested job on-demand waits for an on-demand instance, and says so', () => {
    const job = { ...jobInStatus(JobStatus.Requested), market: 'on-demand' as const, spotStatusCode: undefined };
    expect(jobView(job, NOW).statusLabel).toBe('Waiting for an on-demand instance (t3.micro)');
  });

  it('covers every status', () => {
    for (const status of ALL_STATUSES) expect(() => jobView(jobInStatus(status), NOW)).not.toThrow();
  });

  it('shows the facts of a running job', () => {
    const view = jobView(jobInStatus(JobStatus.Running), NOW);
    expect(view.fields).toEqual([
      { label: 'Image', value: 'ghcr.io/acme/etl:1.4', code: true },
      { label: 'Command', value: 'python run.py', code: true },
      { label: 'Environment', value: 'MODE, API_KEY (values hidden)' },
      { label: 'Instance', value: 'i-0abc123 (t3.micro)' },
      { label: 'Attempts', value: '2 (1 interruption, 3 tolerated)' },
      { label: 'Duration', value: '25m so far' },
      // 0.0021 paid for attempt 1, plus 28 minutes of the current instance at $0.0104/h.
      { label: 'Cost', value: '≈ $0.0070 so far' },
      { label: 'Callback', value: 'hooks.example.com, when the job ends' },
    ]);
    expect(view.events.map((event) => event.text)).toContain('container started (attempt 2)');
    expect(view.events[0]).toMatchObject({ at: '2026-01-15T10:00:00.000Z', time: '10:00:00 UTC', kind: 'created', tone: 'waiting' });
  });

  it('knows a run on this machine from the compute the job records, and from its ids when stored before that', () => {
    const running = jobInStatus(JobStatus.Running);
    const local = jobView({ ...running, compute: 'local' }, NOW);
    expect(local.statusLabel).toBe('Running on this machine, attempt 2');
    expect(field(local.fields, 'Runs on')).toBe('this machine');
    expect(jobView({ ...running, compute: 'ec2', instanceId: 'local-i-lookalike' }, NOW).statusLabel).toBe('Running on local-i-lookalike (t3.micro), attempt 2');
    expect(jobView({ ...running, compute: undefined, instanceId: 'local-i-j-running-2' }, NOW).statusLabel).toBe('Running on this machine, attempt 2');
  });

  it('shows the facts of an ended job', () => {
    const succeeded = jobView(jobInStatus(JobStatus.Succeeded), NOW);
    expect(field(succeeded.fields, 'Exit code')).toBe('0');
    expect(field(succeeded.fields, 'Duration')).toBe('14m');
    expect(field(succeeded.fields, 'Cost')).toBe('$0.03');
    expect(field(succeeded.fields, 'Callback')).toBe('delivered to hooks.example.com (HTTP 200)');
    const failed = jobView(jobInStatus(JobStatus.Failed), NOW);
    expect(field(failed.fields, 'Callback')).toBe('failed to reach hooks.example.com after 9 tries: connection refused');
  });

  it('shows when a scheduled job is due, and keeps showing it once it runs', () => {
    expect(field(jobView(jobInStatus(JobStatus.Scheduled), NOW).fields, 'When')).toBe('2026-01-15 13:00 UTC (in 2h 30m)');
    const ranLater = makeJob({ status: JobStatus.Running, createdAt: '2026-01-15T09:00:00.000Z', runAt: '2026-01-15T10:00:00.000Z', startedAt: '2026-01-15T10:02:00.000Z' });
    expect(field(jobView(ranLater, NOW).fields, 'When')).toBe('2026-01-15 10:00 UTC (30m ago)');
    expect(field(jobView(jobInStatus(JobStatus.Running), NOW).fields, 'When')).toBeUndefined();
  });

  it('says a scheduled job past its time is starting', () => {
    const due = makeJob({ status: JobStatus.Scheduled, runAt: '2026-01-15T10:29:00.000Z' });
    expect(jobView(due, NOW).statusLabel).toBe('Due since 2026-01-15 10:29 UTC, starting');
  });

  it('names the pending callback retry', () => {
    const job = jobInStatus(JobStatus.Succeeded);
    job.callback = { state: CallbackState.Pending, attempts: 2, nextAt: '2026-01-15T10:31:00.000Z', lastStatusCode: 503 };
    expect(field(jobView(job, NOW).fields, 'Callback')).toBe('retrying hooks.example.com (2 tries so far, next 2026-01-15 10:31 UTC)');
  });

  it('labels a failure without a reason by its exit code, and the image default command', () => {
    const job = makeJob({ status: JobStatus.Failed, exitCode: 137, spec: { command: [], name: undefined } });
    const view = jobView(job, NOW);
    expect(view.statusLabel).toBe('Failed with exit code 137');
    expect(view.title).toBe('ghcr.io/acme/etl:1.4');
    expect(field(view.fields, 'Command')).toBe("the image's default");
  });

  it('quotes the argv as a shell would read it back', () => {
    const view = jobView(makeJob({ spec: { command: ['sh', '-c', 'echo "$HOME" | wc'] } }), NOW);
    expect(field(view.fields, 'Command')).toBe(`sh -c 'echo "$HOME" | wc'`);
  });

  it('never shows env values or the callback URL beyond its host', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ALL_STATUSES), (status) => {
        const text = JSON.stringify(jobView(jobInStatus(status), NOW));
        expect(text).not.toContain('hunter2');
        expect(text).not.toContain('s3cret');
        expect(text).not.toContain('token=');
      }),
    );
  });

  it('keeps the last ten events, oldest first', () => {
    const events = Array.from({ length: 30 }, (_, index) => ({ at: `2026-01-15T10:${String(index).padStart(2, '0')}:00.000Z`, kind: 'waiting' as const, text: `event ${index}` }));
    const view = jobView(makeJob({ events }), NOW);
    expect(view.events.map((event) => event.text)).toEqual(Array.from({ length: 10 }, (_, index) => `event ${20 + index}`));
  });

  it('dates an event from another day', () => {
    const view = jobView(makeJob({ events: [{ at: '2026-01-14T23:59:00.000Z', kind: 'created', text: 'created' }] }), NOW);
    expect(view.events[0]?.time).toBe('2026-01-14 23:59 UTC');
  });

  it('makes names, argv and event texts printable', () => {
    const job = makeJob({
      spec: { name: 'evil\u001b]0;pwned\u0007\nname\u202E', command: ['a\nb', '\u0000'] },
      events: [{ at: '2026-01-15T10:00:00.000Z', kind: 'created', text: 'line\r\nforged' }],
    });
    const view = jobView(job, NOW);
    expect(view.title).toBe('evil\\u001b]0;pwned\\u0007\\nname\\u202e');
    expect(view.events[0]?.text).toBe('line\\r\\nforged');
    for (const text of allStrings(view)) expect(text).not.toMatch(CONTROL_REGEX);
  });
});

describe('printable and cleanOutput', () => {
  it('escapes control characters, line separators and bidi overrides, and replaces broken surrogates', () => {
    expect(printable('a\u0001b\u2028c\u202Ed\uD800e😀')).toBe('a\\u0001b\\u2028c\\u202ed\uFFFDe😀');
  });

  it('reduces container output to readable lines', () => {
    expect(cleanOutput('\u001b[1;32mgreen\u001b[0m\r\n10%\r50%\r100%\ndone\u0007\n\n')).toBe('green\n100%\ndone');
    expect(cleanOutput('\u001b]0;title\u0007text')).toBe('text');
  });

  it('keeps only the end of long output, never starting inside a surrogate pair', () => {
    const text = `${'😀'.repeat(6000)}`;
    const cleaned = cleanOutput(text);
    expect(cleaned.length).toBeLessThanOrEqual(8000);
    expect(cleaned.codePointAt(0)).toBe(0x1f600);
  });

  it('leaves no control character but tab and newline in any output', () => {
    fc.assert(
      // Past the tail it keeps (2 × 8,000), so the cut itself is seen too.
      fc.property(anyStringUpTo(3 * JOB_VIEW_LIMITS.logTail), (text) => {
        // eslint-disable-next-line no-control-regex -- the assertion is that none remain
        expect(cleanOutput(text)).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
    );
  });
});

describe('formatUsd and closingFacts', () => {
  it.each([
    [0, '$0.00'],
    [0.0042, '$0.0042'],
    [0.031, '$0.03'],
    [12.5, '$12.50'],
  ])('%d → %s', (amount, text) => {
    expect(formatUsd(amount)).toBe(text);
  });

  it('gives exit code, run time and cost for the event that ended the job, and nothing for others', () => {
    const view = jobView(jobInStatus(JobStatus.Succeeded), NOW);
    const ended = view.events.find((event) => event.kind === 'succeeded');
    if (!ended) throw new Error('fixture has no succeeded event');
    expect(closingFacts(view, { ...ended, text: 'succeeded' })).toEqual(['exit code 0', 'ran 14m', 'cost $0.03']);
    expect(closingFacts(view, { ...ended, kind: 'started' })).toEqual([]);
  });

  it('does not repeat what the event already says', () => {
    const view = jobView(jobInStatus(JobStatus.Succeeded), NOW);
    const ended = view.events.find((event) => event.kind === 'succeeded');
    if (!ended) throw new Error('fixture has no succeeded event');
    expect(closingFacts(view, { ...ended, text: 'succeeded (exit 0, 14m)' })).toEqual(['cost $0.03']);
    expect(closingFacts(view, { ...ended, kind: 'failed', text: 'failed: the container exited with code 0, 14m' })).toEqual(['cost $0.03']);
  });
});

describe('scheduleView', () => {
  it('shows an active schedule with its next three firings', () => {
    const view = scheduleView(makeSchedule({ lastFiredAt: '2026-01-15T08:00:00.000Z' }), NOW);
    expect(view).toMatchObject({
      kind: 'schedule',
      id: 's-weekday',
      title: 'weekday report',
      status: 'active',
      statusLabel: 'Every "0 9 * * 1-5" (Europe/Paris), next 2026-01-16 08:00 UTC (in 21h 30m)',
      tone: 'active',
      nextFirings: ['2026-01-16T08:00:00.000Z', '2026-01-19T08:00:00.000Z', '2026-01-20T08:00:00.000Z'],
      actions: ['cancel'],
    });
    expect(field(view.fields, 'Next firings')).toBe('2026-01-16 08:00 UTC; 2026-01-19 08:00 UTC; 2026-01-20 08:00 UTC');
    expect(field(view.fields, 'Last fired')).toBe('2026-01-15 08:00 UTC (2h 30m ago)');
  });

  it('a schedule on this machine says so instead of listing instance types; on EC2 (or not recorded) it lists them', () => {
    const local = scheduleView(makeSchedule({ compute: 'local' }), NOW);
    expect(field(local.fields, 'Runs on')).toBe('this machine');
    expect(field(local.fields, 'Instance types')).toBeUndefined();
    for (const compute of ['ec2', undefined] as const) {
      const view = scheduleView(makeSchedule(compute ? { compute } : {}), NOW);
      expect(field(view.fields, 'Instance types')).toBeDefined();
      expect(field(view.fields, 'Runs on')).toBeUndefined();
    }
  });

  it('shows a cancelled schedule without firings or actions', () => {
    const view = scheduleView(makeSchedule({ status: 'cancelled', cancelledBy: 'U024BE7LH' }), NOW);
    expect(view).toMatchObject({ statusLabel: 'Cancelled by U024BE7LH', tone: 'muted', nextFirings: [], actions: [] });
  });

  it('builds a view for any job or schedule without throwing', () => {
    fc.assert(
      fc.property(anyJob, (job) => {
        const view = jobView(job, NOW);
        expect(view.actions.includes('cancel')).toBe(!['succeeded', 'failed', 'cancelled'].includes(job.status));
        expect(view.actions.includes('retry')).toBe(['succeeded', 'failed', 'cancelled'].includes(job.status));
        expect(view.actions.includes('logs')).toBe(view.logTail !== undefined);
        for (const text of allStrings({ ...view, logTail: undefined })) expect(text).not.toMatch(CONTROL_REGEX);
      }),
      { numRuns: 200 },
    );
    fc.assert(fc.property(anySchedule, (schedule) => void scheduleView(schedule, NOW)), { numRuns: 100 });
  });
});

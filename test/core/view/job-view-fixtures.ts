/**
 * Jobs and schedules for the view and renderer tests: one readable job per status, and
 * fast-check arbitraries for any job at all (huge, hostile, half-filled).
 */
import fc from 'fast-check';
import { ALL_STATUSES, CallbackState, JobStatus, type Job, type JobEventKind, type JobStatus as Status } from '../../../bot/core/job.js';
import type { Schedule } from '../../../bot/core/schedule.js';
import { makeJob } from '../../harness/jobs.js';
import { arrayUpTo, textUpTo } from '../../harness/arbitraries.js';

export const NOW = new Date('2026-01-15T10:30:00.000Z');

/** A job as it typically looks in each status, with everything that status implies filled in. */
export function jobInStatus(status: Status): Job {
  const base = {
    id: `j-${status}`,
    status,
    owner: { kind: 'slack' as const, id: 'U024BE7LH' },
    spec: { name: 'nightly-etl', callbackUrl: 'https://hooks.example.com/sched?token=s3cret', env: { MODE: 'full', API_KEY: 'hunter2' } },
    createdAt: '2026-01-15T10:00:00.000Z',
    runAt: '2026-01-15T10:00:00.000Z',
  };
  const launched = {
    attempt: 2,
    interruptions: 1,
    spotRequestId: 'sir-abc',
    instanceId: 'i-0abc123',
    instanceType: 't3.micro',
    launchedAt: '2026-01-15T10:02:00.000Z',
    pricePerHour: 0.0104,
    costUsd: 0.0021,
  };
  switch (status) {
    case JobStatus.Scheduled:
      return makeJob({ ...base, runAt: '2026-01-15T13:00:00.000Z' });
    case JobStatus.Requested:
      return makeJob({ ...base, attempt: 1, spotRequestId: 'sir-abc', spotStatusCode: 'capacity-not-available', requestedAt: '2026-01-15T10:01:00.000Z' });
    case JobStatus.Launching:
      return makeJob({ ...base, ...launched });
    case JobStatus.Running:
      return makeJob({
        ...base,
        ...launched,
        startedAt: '2026-01-15T10:05:00.000Z',
        events: [
          { at: '2026-01-15T10:00:00.000Z', kind: 'created', text: 'created' },
          { at: '2026-01-15T10:01:00.000Z', kind: 'requested', text: 'spot request issued for t3.micro (attempt 1)' },
          { at: '2026-01-15T10:03:00.000Z', kind: 'interrupted', text: 'attempt 1 interrupted: instance-terminated-no-capacity; requesting a new instance (attempt 2)' },
          { at: '2026-01-15T10:05:00.000Z', kind: 'started', text: 'container started (attempt 2)' },
        ],
      });
    case JobStatus.Succeeded:
      return makeJob({
        ...base,
        ...launched,
        startedAt: '2026-01-15T10:05:00.000Z',
        finishedAt: '2026-01-15T10:19:00.000Z',
        exitCode: 0,
        costUsd: 0.0312,
        logTail: 'loading…\n\u001b[32mdone\u001b[0m: 1200 rows\n',
        callback: { state: CallbackState.Delivered, attempts: 1, lastStatusCode: 200 },
        events: [{ at: '2026-01-15T10:19:00.000Z', kind: 'succeeded', text: 'succeeded (exit 0, 14m)' }],
      });
    case JobStatus.Failed:
      return makeJob({
        ...base,
        ...launched,
        startedAt: '2026-01-15T10:05:00.000Z',
        finishedAt: '2026-01-15T10:06:00.000Z',
        exitCode: 2,
        reason: 'the container exited with code 2',
        logTail: 'Traceback (most recent call last):\nValueError: bad row',
        callback: { state: CallbackState.Failed, attempts: 9, lastError: 'connection refused' },
        events: [{ at: '2026-01-15T10:06:00.000Z', kind: 'failed', text: 'failed: the container exited with code 2, 1m' }],
      });
    case JobStatus.Cancelled:
      return makeJob({
        ...base,
        finishedAt: '2026-01-15T10:01:00.000Z',
        reason: 'cancelled by U024BE7LH',
        events: [{ at: '2026-01-15T10:01:00.000Z', kind: 'cancelled', text: 'cancelled by U024BE7LH' }],
      });
    default:
      throw new Error(`no fixture for ${String(status)}`);
  }
}

export function makeSchedule(overrides: Partial<Schedule> = {}): Schedule {
  return {
    id: 's-weekday',
    version: 1,
    status: 'active',
    expression: '0 9 * * 1-5',
    timezone: 'Europe/Paris',
    spec: { image: 'acme/report', command: ['--daily'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3, name: 'weekday report' },
    owner: { kind: 'slack', id: 'U024BE7LH' },
    createdAt: '2026-01-10T08:00:00.000Z',
    updatedAt: '2026-01-10T08:00:00.000Z',
    ...overrides,
  };
}

const EVENT_KINDS: JobEventKind[] = [
  'created', 'requested', 'waiting', 'instance-type-changed', 'launching', 'started',
  'interruption-notice', 'rebalance-recommended', 'interrupted', 'succeeded', 'failed', 'cancelled', 'callback',
];

/** Any text: every code point, lone surrogates, control and bidi characters, mrkdwn syntax. */
export function anyText(maxLength: number): fc.Arbitrary<string> {
  const unit = fc.oneof(
    { weight: 6, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
    { weight: 2, arbitrary: fc.constantFrom('<', '>', '&', '*', '_', '`', '```', '<!channel>', '&amp;', '\n', '\r', '\t', '\u001b[31m') },
    { weight: 1, arbitrary: fc.constantFrom('\uD800', '\uDC00', '\u202E', '\u2028', '😀', 'é') },
  );
  return textUpTo(unit, maxLength);
}

const isoDate = fc
  .date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());

/** Plain words: what most jobs hold, and what every surface must show unchanged. */
export function ordinaryText(maxLength: number): fc.Arbitrary<string> {
  return fc.stringMatching(new RegExp(`^[\\w.:/=-][\\w .:/=-]{0,${Math.max(0, Math.min(maxLength, 60) - 1)}}$`));
}

/** Any job the store could hand back, from tidy to absurd: huge names, argv, output, events. */
export const anyJob: fc.Arbitrary<Job> = jobWithText(anyText);

/** Jobs whose texts are all ordinary words, so that they show up verbatim everywhere. */
export const ordinaryJob: fc.Arbitrary<Job> = jobWithText(ordinaryText);

function jobWithText(text: (maxLength: number) => fc.Arbitrary<string>): fc.Arbitrary<Job> {
  return fc
    .record({
      id: fc.stringMatching(/^j-[a-z2-7]{1,40}$/),
      status: fc.constantFrom(...ALL_STATUSES),
      name: fc.option(text(400), { nil: undefined }),
      image: fc.oneof(fc.constant('ghcr.io/acme/etl:1.4'), text(300)),
      command: arrayUpTo(text(200), 30),
      envKeys: arrayUpTo(fc.stringMatching(/^[A-Z_]{1,30}$/), 20),
      instanceTypes: fc.array(fc.constantFrom('t3.micro', 't3a.micro', 'c7i.large'), { minLength: 1, maxLength: 3 }),
      callbackUrl: fc.option(fc.constantFrom('https://hooks.example.com/x?token=abc', 'http://[::1]:8080/', 'not a url'), { nil: undefined }),
      callbackState: fc.option(fc.constantFrom(...Object.values(CallbackState)), { nil: undefined }),
      callbackError: fc.option(text(500), { nil: undefined }),
      runAt: isoDate,
      createdAt: isoDate,
      startedAt: fc.option(isoDate, { nil: undefined }),
      finishedAt: fc.option(isoDate, { nil: undefined }),
      attempt: fc.nat(50),
      interruptions: fc.nat(50),
      instanceId: fc.option(fc.oneof(fc.stringMatching(/^i-[0-9a-f]{8,17}$/), text(100)), { nil: undefined }),
      exitCode: fc.option(fc.integer({ min: -1, max: 255 }), { nil: undefined }),
      reason: fc.option(text(2000), { nil: undefined }),
      logTail: fc.option(text(12000), { nil: undefined }),
      costUsd: fc.option(fc.double({ min: 0, max: 10_000, noNaN: true }), { nil: undefined }),
      spotStatusCode: fc.option(fc.constantFrom('pending-evaluation', 'capacity-not-available', 'price-too-low'), { nil: undefined }),
      events: arrayUpTo(fc.record({ at: isoDate, kind: fc.constantFrom(...EVENT_KINDS), text: text(600) }), 60),
      ownerKind: fc.constantFrom('slack' as const, 'terminal' as const, 'api' as const),
      ownerId: fc.oneof(fc.constant('U024BE7LH'), text(80)),
    })
    .map((r) => {
      const job = makeJob({
        id: r.id,
        status: r.status,
        spec: {
          image: r.image,
          command: r.command,
          env: Object.fromEntries(r.envKeys.map((key) => [key, 'secret-value'])),
          instanceTypes: r.instanceTypes,
          ...(r.name !== undefined ? { name: r.name } : {}),
          ...(r.callbackUrl !== undefined ? { callbackUrl: r.callbackUrl } : {}),
        },
        owner: { kind: r.ownerKind, id: r.ownerId },
        runAt: r.runAt,
        createdAt: r.createdAt,
        attempt: r.attempt,
        interruptions: r.interruptions,
        events: r.events,
      });
      if (r.startedAt) job.startedAt = r.startedAt;
      if (r.finishedAt) job.finishedAt = r.finishedAt;
      if (r.instanceId) {
        job.instanceId = r.instanceId;
        job.launchedAt = r.startedAt ?? r.createdAt;
        job.pricePerHour = 0.0104;
      }
      if (r.exitCode !== undefined) job.exitCode = r.exitCode;
      if (r.reason !== undefined) job.reason = r.reason;
      if (r.logTail !== undefined) job.logTail = r.logTail;
      if (r.costUsd !== undefined) job.costUsd = r.costUsd;
      if (r.spotStatusCode !== undefined) job.spotStatusCode = r.spotStatusCode;
      if (r.callbackState !== undefined) {
        job.callback = { state: r.callbackState, attempts: 3, ...(r.callbackError !== undefined ? { lastError: r.callbackError } : {}) };
      }
      return job;
    });
}

export const anySchedule: fc.Arbitrary<Schedule> = fc
  .record({
    id: fc.stringMatching(/^s-[a-z2-7]{1,40}$/),
    status: fc.constantFrom('active' as const, 'cancelled' as const),
    expression: fc.constantFrom('0 9 * * 1-5', '*/5 * * * *', '0 0 31 2 *', 'not cron'),
    timezone: fc.constantFrom('UTC', 'Europe/Paris', 'America/New_York'),
    name: fc.option(anyText(400), { nil: undefined }),
    command: arrayUpTo(anyText(200), 10),
    cancelledBy: fc.option(anyText(100), { nil: undefined }),
  })
  .map((r) =>
    makeSchedule({
      id: r.id,
      status: r.status,
      expression: r.expression,
      timezone: r.timezone,
      spec: { image: 'acme/report', command: r.command, env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3, ...(r.name !== undefined ? { name: r.name } : {}) },
      ...(r.cancelledBy !== undefined ? { cancelledBy: r.cancelledBy } : {}),
    }),
  );

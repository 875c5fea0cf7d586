/**
 * Builds valid `Job` objects for tests: fixed, readable defaults (a scheduled job due at
 * 2026-01-15T10:05Z, created five minutes earlier), overridden field by field.
 */
import { CallbackState, JobStatus, type Job, type JobSpec } from '../../bot/core/job.js';

export const BASE_TIME = '2026-01-15T10:00:00.000Z';

let sequence = 0;

/** A fresh job id on every call: `job-000001`, `job-000002`, … (ids never contain '#'). */
export function nextJobId(): string {
  sequence += 1;
  return `job-${String(sequence).padStart(6, '0')}`;
}

/** Overrides for {@link makeJob}; `spec` is merged into the default spec rather than replacing it. */
export type JobOverrides = Partial<Omit<Job, 'spec'>> & { spec?: Partial<JobSpec> };

/** A valid job; each call gets a new id unless one is given. */
export function makeJob(overrides: JobOverrides = {}): Job {
  const { spec, ...rest } = overrides;
  const createdAt = rest.createdAt ?? BASE_TIME;
  return {
    id: nextJobId(),
    version: 1,
    status: JobStatus.Scheduled,
    spec: {
      image: 'ghcr.io/acme/etl:1.4',
      command: ['python', 'run.py'],
      env: { MODE: 'full' },
      instanceTypes: ['t3.micro'],
      interruptionsTolerated: 3,
      ...spec,
    },
    owner: { kind: 'api', id: 'ci' },
    runAt: '2026-01-15T10:05:00.000Z',
    createdAt,
    updatedAt: createdAt,
    attempt: 0,
    interruptions: 0,
    instanceTypeIndex: 0,
    events: [{ at: createdAt, kind: 'created', text: 'created' }],
    ...rest,
  };
}

/**
 * A job that is over and fully reconciled (instance gone, no callback pending): it has left the
 * active index.
 */
export function makeFinishedJob(overrides: JobOverrides = {}): Job {
  return makeJob({
    status: JobStatus.Succeeded,
    attempt: 1,
    exitCode: 0,
    startedAt: '2026-01-15T10:07:00.000Z',
    finishedAt: '2026-01-15T10:21:00.000Z',
    updatedAt: '2026-01-15T10:21:00.000Z',
    cleanedUp: true,
    ...overrides,
  });
}

/** A terminal job whose callback is still to be delivered: it stays active. */
export function makeCallbackPendingJob(overrides: JobOverrides = {}): Job {
  return makeFinishedJob({
    spec: { callbackUrl: 'https://hooks.example.com/sched' },
    callback: { state: CallbackState.Pending, attempts: 1, nextAt: '2026-01-15T10:22:00.000Z', lastStatusCode: 503 },
    ...overrides,
  });
}

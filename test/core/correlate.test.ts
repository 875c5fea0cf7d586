import { describe, expect, test } from 'vitest';
import { findOrphans, stillOrphaned } from '../../bot/core/correlate.js';
import { decide } from '../../bot/core/lifecycle.js';
import { JobStatus } from '../../bot/core/job.js';
import { makeJob } from '../harness/jobs.js';

describe('orphans', () => {
  test('an instance launched by a request given up for another type is an orphan, and never adopted', () => {
    const job = makeJob({ status: JobStatus.Requested, attempt: 1, abandonedRequestIds: ['sir-a'], spotRequestId: 'sir-b' });
    const instance = { instanceId: 'i-a', jobId: job.id, attempt: 1, state: 'running' as const, spotRequestId: 'sir-a' };
    expect(findOrphans([job], { requests: [], instances: [instance] }).instances).toEqual([instance]);
    expect(decide(job, { kind: 'instance', instance }, new Date('2026-01-15T10:10:00Z')).job).toEqual(job);
    expect(stillOrphaned(instance, job)).toBe(true);
  });

  test('judged again on the stored job: a newer attempt, a new job or a live one is spared', () => {
    const stored = makeJob({ status: JobStatus.Requested, attempt: 2 });
    expect(stillOrphaned({ jobId: stored.id, attempt: 2, requestId: 'sir-2' }, stored)).toBe(false);
    expect(stillOrphaned({ jobId: stored.id, attempt: 1, requestId: 'sir-1' }, stored)).toBe(true);
    expect(stillOrphaned({ jobId: stored.id, attempt: 3 }, stored)).toBe(false);
    expect(stillOrphaned({ jobId: 'j-gone', attempt: 1 }, undefined)).toBe(true);
    expect(stillOrphaned({ jobId: stored.id, attempt: 2 }, { ...stored, status: JobStatus.Succeeded })).toBe(true);
    expect(stillOrphaned({ attempt: 1 }, undefined)).toBe(false);
  });
});

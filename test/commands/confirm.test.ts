import { describe, expect, it } from 'vitest';
import { confirmJob } from '../../bot/commands/confirm.js';
import { JobStatus } from '../../bot/core/job.js';
import { makeJob } from '../harness/jobs.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');

describe('the reply to a run says what the job is doing, in words for where it runs', () => {
  it.each([
    [{ status: JobStatus.Requested, compute: 'local' as const }, 'starting on this machine'],
    [{ status: JobStatus.Requested, compute: 'ec2' as const }, 'launching a spot instance'],
    [{ status: JobStatus.Requested, compute: 'ec2' as const, market: 'on-demand' as const }, 'launching an on-demand instance'],
    [{ status: JobStatus.Launching, compute: 'ec2' as const }, 'its instance is starting'],
    [{ status: JobStatus.Running, compute: 'local' as const }, 'running on this machine'],
  ])('%o → %s', (over, words) => {
    const job = makeJob({ ...over, spec: { image: 'alpine:3.20' } });
    const text = confirmJob(job, undefined, NOW);
    expect(text).toBe(`Job ${job.id} started: alpine:3.20, ${words}.`);
    expect(text).not.toMatch(/\((requested|launching|running)\)/);
  });
});

import { describe, expect, it } from 'vitest';
import { MAX_AGENT_SPEC_BYTES, NOTIFICATION_TOKEN_LENGTH } from '../../../bot/core/agent-script.js';
import { ValidationError } from '../../../bot/core/errors.js';
import type { NewJob } from '../../../bot/core/job.js';
import { newJob } from '../../../bot/core/request/new-job.js';
import { describeEvent } from '../../../bot/core/view/event-words.js';
import { notificationToken } from '../../../bot/security/hmac.js';

const NOW = new Date('2026-01-15T10:00:00.000Z');
const input = (over: Partial<NewJob> = {}): NewJob => ({
  spec: { image: 'alpine:3', command: ['echo', 'hi'], env: { A: '1' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
  runAt: NOW.toISOString(),
  owner: { kind: 'api', id: 'ci' },
  ...over,
});

describe('newJob', () => {
  it('is scheduled, version 1, no attempt yet, created now and starting now', () => {
    const job = newJob(input({ origin: { surface: 'api' }, scheduleId: 's-1' }), 'j-1', NOW, 'http://127.0.0.1:8080', 'ec2');
    expect(job).toEqual({
      id: 'j-1',
      version: 1,
      status: 'scheduled',
      spec: input().spec,
      owner: { kind: 'api', id: 'ci' },
      origin: { surface: 'api' },
      scheduleId: 's-1',
      compute: 'ec2',
      runAt: NOW.toISOString(),
      createdAt: NOW.toISOString(),
      updatedAt: NOW.toISOString(),
      attempt: 0,
      interruptions: 0,
      instanceTypeIndex: 0,
      events: [{ at: NOW.toISOString(), kind: 'created' }],
    });
    expect(describeEvent(job.events[0]!)).toBe('created; starting now');
  });

  it('says when a later job will run, in UTC', () => {
    const job = newJob(input({ runAt: '2026-01-16T09:30:00.000Z' }), 'j-1', NOW, 'http://127.0.0.1:8080', 'ec2');
    expect(job.events[0]).toEqual({ at: NOW.toISOString(), kind: 'created', scheduledFor: '2026-01-16T09:30:00.000Z' });
    expect(describeEvent(job.events[0]!)).toBe('scheduled for 2026-01-16 09:30:00 UTC');
  });

  it('refuses a job whose image, argv and env the agent could not be handed (over MAX_AGENT_SPEC_BYTES)', () => {
    const huge = input({ spec: { ...input().spec, env: { BIG: 'x'.repeat(MAX_AGENT_SPEC_BYTES) } } });
    expect(() => newJob(huge, 'j-1', NOW, 'http://127.0.0.1:8080', 'ec2')).toThrow(ValidationError);
  });

  it('checks the size with a token exactly as long as the real ones', () => {
    expect(notificationToken('any secret', 'j-1', 1)).toHaveLength(NOTIFICATION_TOKEN_LENGTH);
    expect(notificationToken('another', 'j-2', 99)).toHaveLength(NOTIFICATION_TOKEN_LENGTH);
  });
});

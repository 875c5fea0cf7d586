import { describe, expect, it } from 'vitest';
import {
  buildCallbackPayload,
  CALLBACK_RETRY_DELAYS_SECONDS,
  callbackRetryDelaySeconds,
  MAX_CALLBACK_ATTEMPTS,
  MAX_CALLBACK_URL_LENGTH,
  validateCallbackUrlSyntax,
} from '../../bot/core/callback.js';
import type { Job } from '../../bot/core/job.js';

function job(overrides: Partial<Job> = {}): Job {
  return {
    id: 'job-7',
    version: 9,
    status: 'succeeded',
    spec: { image: 'alpine:3', command: ['true'], env: { SECRET_ENV: 'do-not-leak' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 },
    owner: { kind: 'api', id: 'ci' },
    runAt: '2025-01-01T00:00:00.000Z',
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:20:00.000Z',
    attempt: 2,
    interruptions: 1,
    instanceTypeIndex: 0,
    events: [],
    ...overrides,
  };
}

describe('buildCallbackPayload', () => {
  it('maps a finished job onto exactly the fields of docs/rest-api.md "Callbacks"', () => {
    const payload = buildCallbackPayload(
      job({
        exitCode: 0,
        startedAt: '2025-01-01T00:05:00.000Z',
        finishedAt: '2025-01-01T00:19:00.000Z',
        costUsd: 0.0312,
        attemptCosts: [
          { attempt: 1, market: 'spot', instanceType: 'm5.large', pricePerHour: 0.04, seconds: 1800, costUsd: 0.02, onDemandPricePerHour: 0.096 },
          { attempt: 2, market: 'on-demand', instanceType: 'm5.large', pricePerHour: 0.096, seconds: 420, costUsd: 0.0112, onDemandPricePerHour: 0.096 },
        ],
        spec: { ...job().spec, name: 'nightly' },
      }),
    );
    expect(payload).toStrictEqual({
      job_id: 'job-7',
      status: 'succeeded',
      exit_code: 0,
      attempts: 2,
      interruptions: 1,
      started_at: '2025-01-01T00:05:00.000Z',
      finished_at: '2025-01-01T00:19:00.000Z',
      cost_usd: 0.0312,
      saved_usd: 0.028,
      name: 'nightly',
    });
  });

  it('uses null for every unknown value, so every key is always present', () => {
    const payload = buildCallbackPayload(job({ status: 'cancelled', attempt: 0, interruptions: 0 }));
    expect(payload).toStrictEqual({
      job_id: 'job-7',
      status: 'cancelled',
      exit_code: null,
      attempts: 0,
      interruptions: 0,
      started_at: null,
      finished_at: null,
      cost_usd: null,
      saved_usd: null,
      name: null,
    });
    expect(JSON.parse(JSON.stringify(payload))).toStrictEqual(payload);
  });

  it('keeps a non-zero exit code and turns a non-finite cost into null', () => {
    const payload = buildCallbackPayload(job({ status: 'failed', exitCode: 137, costUsd: Number.NaN }));
    expect(payload.exit_code).toBe(137);
    expect(payload.cost_usd).toBeNull();
  });

  it('carries nothing of the spec beyond the name (no env, no image)', () => {
    expect(JSON.stringify(buildCallbackPayload(job()))).not.toContain('do-not-leak');
  });
});

describe('callbackRetryDelaySeconds', () => {
  it('sends the first try at once, then backs off 5 s, 15 s, 45 s, 2, 5, 10, 20, 30 min, then gives up', () => {
    const schedule = Array.from({ length: MAX_CALLBACK_ATTEMPTS + 2 }, (_, n) => callbackRetryDelaySeconds(n));
    expect(schedule).toStrictEqual([0, 5, 15, 45, 120, 300, 600, 1200, 1800, undefined, undefined]);
  });

  it('allows MAX_CALLBACK_ATTEMPTS deliveries in total, about 68 minutes end to end', () => {
    expect(MAX_CALLBACK_ATTEMPTS).toBe(9);
    expect(callbackRetryDelaySeconds(MAX_CALLBACK_ATTEMPTS - 1)).toBe(1800);
    expect(callbackRetryDelaySeconds(MAX_CALLBACK_ATTEMPTS)).toBeUndefined();
    const total = CALLBACK_RETRY_DELAYS_SECONDS.reduce((a, b) => a + b, 0);
    expect(total).toBe(4085);
  });

  it('never shrinks', () => {
    for (let n = 1; n < MAX_CALLBACK_ATTEMPTS; n++) {
      expect(callbackRetryDelaySeconds(n + 1) ?? Infinity).toBeGreaterThan(callbackRetryDelaySeconds(n) ?? 0);
    }
  });

  it.each([-1, 1.5, Number.NaN])('refuses %s attempts', (n) => {
    expect(() => callbackRetryDelaySeconds(n)).toThrow(RangeError);
  });
});

describe('validateCallbackUrlSyntax', () => {
  it.each([
    'https://example.com/hooks/sched',
    'http://example.com:8080/x?token=abc#frag',
    'https://[2606:4700::1111]/cb',
    'http://127.0.0.1:9000/', // syntax only: the address is judged at send time
  ])('accepts %s', (url) => {
    expect(validateCallbackUrlSyntax(url)).toStrictEqual([]);
  });

  it.each([
    ['not a URL', 'not a url', /not a valid absolute URL/],
    ['a relative path', '/hooks/sched', /not a valid absolute URL/],
    ['empty', '', /not a valid absolute URL/],
    ['ftp', 'ftp://example.com/x', /http or https/],
    ['file', 'file:///etc/passwd', /http or https/],
    ['javascript', 'javascript:alert(1)', /http or https/],
    ['gopher', 'gopher://example.com:70/_x', /http or https/],
    ['user and password', 'https://user:pass@example.com/', /credentials/],
    ['user only', 'https://user@example.com/', /credentials/],
  ])('refuses %s', (_label, url, problem) => {
    const problems = validateCallbackUrlSyntax(url);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(problem);
  });

  it('refuses URLs over 2,048 characters and accepts exactly 2,048', () => {
    const base = 'https://example.com/';
    const exact = base + 'a'.repeat(MAX_CALLBACK_URL_LENGTH - base.length);
    expect(validateCallbackUrlSyntax(exact)).toStrictEqual([]);
    expect(validateCallbackUrlSyntax(`${exact}a`)[0]).toMatch(/2049 characters.*2048/);
  });

  it('lists every problem at once', () => {
    const url = `https://user:pw@example.com/${'a'.repeat(MAX_CALLBACK_URL_LENGTH)}`;
    expect(validateCallbackUrlSyntax(url)).toHaveLength(2);
  });

  it('never quotes the URL back (it may hold credentials or tokens)', () => {
    const problems = validateCallbackUrlSyntax('ftp://alice:hunter2@example.com/?token=t0k3n');
    expect(problems.join(' ')).not.toMatch(/hunter2|alice|t0k3n/);
  });
});

import { createHmac } from 'node:crypto';
import type { FastifyInstance, InjectOptions } from 'fastify';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../bot/core/errors.js';
import type { Job, NewJob } from '../../bot/core/job.js';
import { buildHttpServer, type HttpServerDeps } from '../../bot/http/server.js';
import { MASKED_ENV_VALUE } from '../../bot/http/public-job.js';
import { FakeClock } from '../harness/clock.js';
import type { AgentReport, AgentReportResult, JobService, OutputReport, OutputTail } from '../../bot/ports.js';

const NOW = new Date('2026-03-01T12:00:00.000Z');
const SECRET = 'notification-secret-for-tests';
const API_TOKEN = 'api-token-0123456789abcdef';
const JOB_ID = 'job-01HZX';

/**
 * The notification token, base64url(HMAC-SHA256(secret, "<job-id>.<attempt>")) as docs/rest-api.md
 * "Instance notifications" states, computed here independently of bot/security/hmac.ts.
 */
function notificationToken(jobId: string, attempt: number, secret = SECRET): string {
  return createHmac('sha256', secret).update(`${jobId}.${attempt}`).digest('base64url');
}

function makeJob(overrides: Partial<Job> = {}): Job {
  return {
    id: JOB_ID,
    version: 1,
    status: 'scheduled',
    spec: {
      image: 'ghcr.io/acme/etl:1.4',
      command: ['python', 'run.py'],
      env: { MODE: 'full', DB_PASSWORD: 'hunter2' },
      instanceTypes: ['t3.micro'],
      interruptionsTolerated: 3,
    },
    owner: { kind: 'api', id: 'api' },
    runAt: '2026-03-02T09:00:00.000Z',
    createdAt: NOW.toISOString(),
    updatedAt: NOW.toISOString(),
    attempt: 0,
    interruptions: 0,
    instanceTypeIndex: 0,
    events: [],
    ...overrides,
  };
}

/** A job that ran twice and failed: every optional field set, each to a value of its own. */
const FAILED_ID = 'job-01HZY';
const failedJob = makeJob({
  id: FAILED_ID,
  status: 'failed',
  spec: {
    image: 'ghcr.io/acme/etl:1.5',
    command: ['python', 'run.py', '--full'],
    env: { MODE: 'full', DB_PASSWORD: 'hunter2' },
    callbackUrl: 'https://hooks.example.com/sched',
    instanceTypes: ['t3.micro', 't3.small'],
    maxPrice: '0.0120',
    interruptionsTolerated: 2,
    timeoutSeconds: 3600,
    name: 'nightly',
    onDemandAfter: 1,
    onDemandWaitSeconds: 600,
    retryExitCodes: [137, 143],
  },
  runAt: '2026-02-28T22:00:00.000Z',
  createdAt: '2026-02-28T21:55:00.000Z',
  attempt: 2,
  interruptions: 1,
  instanceTypeIndex: 1,
  spotRequestId: 'sir-7f3k9q2m',
  instanceId: 'i-0abc123def4567890',
  instanceType: 't3.small',
  spotState: 'active',
  spotStatusCode: 'fulfilled',
  market: 'on-demand',
  startedAt: '2026-02-28T22:03:00.000Z',
  finishedAt: '2026-02-28T22:41:00.000Z',
  exitCode: 1,
  reason: 'the container exited with code 1',
  costUsd: 0.0104,
  // 38 minutes of t3.small at spot $0.0164/h (on-demand $0.0208/h): saved 0.0044 × 38/60.
  attemptCosts: [{ attempt: 2, market: 'spot', instanceType: 't3.small', pricePerHour: 0.0164, seconds: 2280, costUsd: 0.010387, onDemandPricePerHour: 0.0208 }],
  callback: { state: 'delivered', attempts: 1, lastStatusCode: 200 },
  logTail: 'Traceback (most recent call last):\n',
});

/**
 * The REST bodies written out field by field (not computed by the route's own mapper), so a
 * field that is dropped, renamed or mapped from the wrong source fails here.
 */
const SCHEDULED_BODY = {
  id: JOB_ID,
  status: 'scheduled',
  name: null,
  docker_image: 'ghcr.io/acme/etl:1.4',
  command: ['python', 'run.py'],
  env_vars: { MODE: '********', DB_PASSWORD: '********' },
  datetime: '2026-03-02 09:00:00',
  callback: null,
  instance_types: ['t3.micro'],
  max_price: null,
  retries: 3,
  timeout: null,
  gpus: null,
  on_demand_after: null,
  on_demand_wait: null,
  retry_exit_codes: [],
  market: null,
  on_rebalance: 'warn',
  attempts: 0,
  interruptions: 0,
  exit_code: null,
  spot_request_id: null,
  instance_id: null,
  instance_type: null,
  spot_state: null,
  spot_status_code: null,
  created_at: '2026-03-01T12:00:00.000Z',
  started_at: null,
  finished_at: null,
  cost_usd: null,
  saved_usd: null,
  reason: null,
  callback_state: null,
  callback_error: null,
  log_tail: null,
};
const FAILED_BODY = {
  id: FAILED_ID,
  status: 'failed',
  name: 'nightly',
  docker_image: 'ghcr.io/acme/etl:1.5',
  command: ['python', 'run.py', '--full'],
  env_vars: { MODE: '********', DB_PASSWORD: '********' },
  datetime: '2026-02-28 22:00:00',
  callback: 'https://hooks.example.com/sched',
  instance_types: ['t3.micro', 't3.small'],
  max_price: '0.0120',
  retries: 2,
  timeout: 3600,
  gpus: null,
  on_demand_after: 1,
  on_demand_wait: 600,
  retry_exit_codes: [137, 143],
  market: 'on-demand',
  on_rebalance: 'warn',
  attempts: 2,
  interruptions: 1,
  exit_code: 1,
  spot_request_id: 'sir-7f3k9q2m',
  instance_id: 'i-0abc123def4567890',
  instance_type: 't3.small',
  spot_state: 'active',
  spot_status_code: 'fulfilled',
  created_at: '2026-02-28T21:55:00.000Z',
  started_at: '2026-02-28T22:03:00.000Z',
  finished_at: '2026-02-28T22:41:00.000Z',
  cost_usd: 0.0104,
  saved_usd: 0.002787,
  reason: 'the container exited with code 1',
  callback_state: 'delivered',
  callback_error: null,
  log_tail: 'Traceback (most recent call last):\n',
};

type Call = { method: keyof JobService; args: unknown[] };
const MUTATING: ReadonlySet<keyof JobService> = new Set(['createJob', 'updateCallback', 'cancelJob', 'retryJob', 'runOnDemand', 'recordChatMessage', 'agentReport', 'recordOutput']);

class FakeJobService implements JobService {
  readonly calls: Call[] = [];
  readonly jobs = new Map<string, Job>([[JOB_ID, makeJob()]]);
  agentResult: AgentReportResult = 'ok';
  /** Thrown by the next call of the named method. */
  failures: Partial<Record<keyof JobService, Error>> = {};

  mutatingCalls(): Call[] {
    return this.calls.filter((call) => MUTATING.has(call.method));
  }

  private record(method: keyof JobService, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failures[method];
    if (failure) throw failure;
  }

  async createJob(input: NewJob): Promise<Job> {
    this.record('createJob', input);
    const job = makeJob({ id: 'job-new', spec: input.spec, runAt: input.runAt, owner: input.owner });
    this.jobs.set(job.id, job);
    return job;
  }
  async getJob(id: string): Promise<Job | undefined> {
    this.record('getJob', id);
    return this.jobs.get(id);
  }
  async listRecentJobs(): Promise<Job[]> {
    this.record('listRecentJobs');
    return [...this.jobs.values()];
  }
  async listActiveJobs(): Promise<Job[]> {
    this.record('listActiveJobs');
    return [...this.jobs.values()];
  }
  async recordChatMessage(jobId: string): Promise<void> {
    this.record('recordChatMessage', jobId);
  }
  async retryJob(id: string): Promise<Job> {
    this.record('retryJob', id);
    throw new NotFoundError(`no job ${id}`);
  }
  async runOnDemand(id: string): Promise<Job> {
    this.record('runOnDemand', id);
    throw new NotFoundError(`no job ${id}`);
  }
  async updateCallback(id: string, callbackUrl: string | undefined): Promise<Job> {
    this.record('updateCallback', id, callbackUrl);
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    if (job.status !== 'scheduled') throw new ValidationError(['the callback can only change while the job is scheduled']);
    const spec = { ...job.spec };
    if (callbackUrl === undefined) delete spec.callbackUrl;
    else spec.callbackUrl = callbackUrl;
    const updated = { ...job, spec, version: job.version + 1 };
    this.jobs.set(id, updated);
    return updated;
  }
  async cancelJob(id: string, by: string): Promise<Job> {
    this.record('cancelJob', id, by);
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError(`no job ${id}`);
    const cancelled: Job = { ...job, status: 'cancelled', reason: `cancelled by ${by}` };
    this.jobs.set(id, cancelled);
    return cancelled;
  }
  async agentReport(report: AgentReport): Promise<AgentReportResult> {
    this.record('agentReport', report);
    return this.agentResult;
  }
  async recordOutput(report: OutputReport): Promise<AgentReportResult> {
    this.record('recordOutput', report);
    return this.agentResult;
  }
  async outputSoFar(job: Job): Promise<OutputTail | undefined> {
    this.record('outputSoFar', job.id);
    return undefined;
  }
}

let jobs: FakeJobService;
let logLines: string[];
let app: FastifyInstance;

function build(overrides: Partial<HttpServerDeps> = {}): FastifyInstance {
  const logger = pino({ level: 'trace' }, { write: (line: string) => void logLines.push(line) });
  return buildHttpServer({
    jobs,
    secret: SECRET,
    apiToken: API_TOKEN,
    defaults: { instanceTypes: ['t3.micro', 't3.small'], interruptionsTolerated: 3 },
    clock: new FakeClock(NOW),
    logger,
    metrics: () => '# HELP sched_jobs_active Active jobs\n# TYPE sched_jobs_active gauge\nsched_jobs_active 2\n',
    ...overrides,
  });
}

beforeEach(() => {
  jobs = new FakeJobService();
  logLines = [];
  app = build();
});

afterEach(async () => {
  await app.close();
  // Whatever happened in the test, no secret reached the log.
  const log = logLines.join('');
  expect(log).not.toContain(API_TOKEN);
  expect(log).not.toContain(notificationToken(JOB_ID, 1));
  expect(log).not.toContain(SECRET);
});

const auth = { authorization: `Bearer ${API_TOKEN}` };

function api(options: InjectOptions) {
  return app.inject({ ...options, headers: { ...auth, ...options.headers } });
}

function expectErrorShape(body: string, code?: string): { code: string; message: string; problems?: string[] } {
  const parsed = JSON.parse(body) as { error: { code: string; message: string; problems?: string[] } };
  expect(parsed.error).toEqual(expect.objectContaining({ code: expect.any(String), message: expect.any(String) }));
  if (code !== undefined) expect(parsed.error.code).toBe(code);
  return parsed.error;
}

describe('REST API v1: happy paths', () => {
  it('POST /v1/jobs creates a job owned by the API and answers 201 with its public view', async () => {
    const res = await api({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        docker_image: 'ghcr.io/acme/etl:1.4',
        datetime: '2026-03-02 09:00:00',
        env_vars: { MODE: 'full', TOKEN: 's3cr3t' },
        command: ['python', 'run.py'],
        name: 'nightly',
      },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toBe('/v1/jobs/job-new');
    expect(jobs.mutatingCalls()).toEqual([
      {
        method: 'createJob',
        args: [
          {
            spec: {
              image: 'ghcr.io/acme/etl:1.4',
              command: ['python', 'run.py'],
              env: { MODE: 'full', TOKEN: 's3cr3t' },
              instanceTypes: ['t3.micro', 't3.small'],
              interruptionsTolerated: 3,
              name: 'nightly',
            },
            runAt: '2026-03-02T09:00:00.000Z',
            owner: { kind: 'api', id: 'api' },
          },
        ],
      },
    ]);
    const body = res.json();
    expect(body).toMatchObject({
      id: 'job-new',
      status: 'scheduled',
      docker_image: 'ghcr.io/acme/etl:1.4',
      datetime: '2026-03-02 09:00:00',
      env_vars: { MODE: MASKED_ENV_VALUE, TOKEN: MASKED_ENV_VALUE },
      name: 'nightly',
    });
    expect(res.body).not.toContain('s3cr3t');
  });

  it('GET /v1/jobs lists the recent jobs, every field of each', async () => {
    jobs.jobs.set(FAILED_ID, failedJob);
    const res = await api({ method: 'GET', url: '/v1/jobs' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ jobs: [SCHEDULED_BODY, FAILED_BODY] });
    expect(res.body).not.toContain('hunter2');
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('GET /v1/jobs/:id returns one job: a scheduled one, nothing known yet', async () => {
    const res = await api({ method: 'GET', url: `/v1/jobs/${JOB_ID}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(SCHEDULED_BODY);
    expect(res.body).not.toContain('hunter2');
  });

  it('GET /v1/jobs/:id returns one job: a finished one, with its spot request, times, timeout and outcome', async () => {
    jobs.jobs.set(FAILED_ID, failedJob);
    const res = await api({ method: 'GET', url: `/v1/jobs/${FAILED_ID}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(FAILED_BODY);
    expect(res.body).not.toContain('hunter2');
  });

  it('GET /v1/jobs/:id says why a callback was not delivered', async () => {
    jobs.jobs.set(FAILED_ID, { ...failedJob, callback: { state: 'failed', attempts: 7, lastStatusCode: 503 } });
    expect((await api({ method: 'GET', url: `/v1/jobs/${FAILED_ID}` })).json()).toMatchObject({ callback_state: 'failed', callback_error: 'HTTP 503' });
    jobs.jobs.set(FAILED_ID, { ...failedJob, callback: { state: 'pending', attempts: 1, lastError: 'callback request failed: ECONNREFUSED' } });
    expect((await api({ method: 'GET', url: `/v1/jobs/${FAILED_ID}` })).json()).toMatchObject({ callback_state: 'pending', callback_error: 'callback request failed: ECONNREFUSED' });
  });

  it('PUT /v1/jobs/:id changes the callback', async () => {
    const res = await api({ method: 'PUT', url: `/v1/jobs/${JOB_ID}`, payload: { callback: 'https://hooks.example.com/x' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: JOB_ID, callback: 'https://hooks.example.com/x' });
    expect(jobs.mutatingCalls()).toEqual([{ method: 'updateCallback', args: [JOB_ID, 'https://hooks.example.com/x'] }]);
  });

  it('PUT /v1/jobs/:id with a null callback removes it', async () => {
    const res = await api({ method: 'PUT', url: `/v1/jobs/${JOB_ID}`, payload: { callback: null } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ callback: null });
    expect(jobs.mutatingCalls()).toEqual([{ method: 'updateCallback', args: [JOB_ID, undefined] }]);
  });

  it('DELETE /v1/jobs/:id cancels and returns the cancelled job', async () => {
    const res = await api({ method: 'DELETE', url: `/v1/jobs/${JOB_ID}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: JOB_ID, status: 'cancelled' });
    expect(jobs.mutatingCalls()).toEqual([{ method: 'cancelJob', args: [JOB_ID, 'api'] }]);
  });
});

describe('REST API v1: authentication', () => {
  const routes: InjectOptions[] = [
    { method: 'POST', url: '/v1/jobs', payload: { docker_image: 'busybox' } },
    { method: 'GET', url: '/v1/jobs' },
    { method: 'GET', url: `/v1/jobs/${JOB_ID}` },
    { method: 'PUT', url: `/v1/jobs/${JOB_ID}`, payload: { callback: null } },
    { method: 'DELETE', url: `/v1/jobs/${JOB_ID}` },
  ];

  const refusedHeaders: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['an empty header', { authorization: '' }],
    ['"Bearer" alone', { authorization: 'Bearer' }],
    ['"Bearer " with an empty token', { authorization: 'Bearer ' }],
    ['a wrong token', { authorization: 'Bearer wrong-token' }],
    ['the token with a suffix', { authorization: `Bearer ${API_TOKEN}x` }],
    ['a prefix of the token', { authorization: `Bearer ${API_TOKEN.slice(0, -1)}` }],
    ['the token without a scheme', { authorization: API_TOKEN }],
    ['no space after Bearer', { authorization: `Bearer${API_TOKEN}` }],
    ['another scheme', { authorization: `Basic ${API_TOKEN}` }],
    ['Token scheme', { authorization: `Token ${API_TOKEN}` }],
    ['two tokens', { authorization: `Bearer ${API_TOKEN} ${API_TOKEN}` }],
  ];

  for (const route of routes) {
    it.each(refusedHeaders)(`${route.method} ${route.url} refuses %s with 401`, async (_label, headers) => {
      const res = await app.inject({ ...route, headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="sched"');
      expectErrorShape(res.body, 'unauthorized');
      expect(jobs.calls).toEqual([]);
    });
  }

  it.each([
    ['lowercase scheme', `bearer ${API_TOKEN}`],
    ['uppercase scheme', `BEARER ${API_TOKEN}`],
    ['two spaces', `Bearer  ${API_TOKEN}`],
    ['trailing space', `Bearer ${API_TOKEN} `],
  ])('accepts the token with a %s', async (_label, authorization) => {
    const res = await app.inject({ method: 'GET', url: '/v1/jobs', headers: { authorization } });
    expect(res.statusCode).toBe(200);
  });

  it('refuses every request, naming SCHED_API_TOKEN, when no API token is configured', async () => {
    await app.close();
    for (const apiToken of [undefined, '']) {
      app = build({ apiToken });
      for (const route of routes) {
        const res = await app.inject({ ...route, headers: { authorization: 'Bearer ' } });
        expect(res.statusCode).toBe(401);
        expect(expectErrorShape(res.body, 'api_disabled').message).toContain('SCHED_API_TOKEN');
        const withSomeToken = await app.inject({ ...route, headers: { authorization: 'Bearer undefined' } });
        expect(withSomeToken.statusCode).toBe(401);
      }
      await app.close();
    }
    app = build();
    expect(jobs.calls).toEqual([]);
  });

  it('checks the token before reading the body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: 'Bearer nope', 'content-type': 'application/json' },
      payload: '{not json',
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('REST API v1: refused input', () => {
  const badCreates: [string, InjectOptions['payload'], RegExp][] = [
    ['an empty object', {}, /^docker_image: required/],
    ['a mistyped image', { docker_image: ['busybox'] }, /^docker_image: must be a string/],
    ['a past datetime', { docker_image: 'busybox', datetime: '2026-02-28 12:00:00' }, /in the past/],
    ['an impossible date', { docker_image: 'busybox', datetime: '2026-02-30 12:00:00' }, /not a real date/],
    ['UPPER/case', { docker_image: 'UPPER/case' }, /^docker_image: "UPPER\/case" is not a valid/],
    ['a space in the image', { docker_image: 'a b' }, /^docker_image:/],
    ['a tag alone', { docker_image: ':tag' }, /^docker_image:/],
    ['a short digest', { docker_image: 'img@sha256:short' }, /^docker_image:/],
    ['a 300-character image', { docker_image: 'a'.repeat(300) }, /^docker_image: 300 characters/],
    ['an env key with a space', { docker_image: 'busybox', env_vars: { 'A B': 'x' } }, /^env_vars: name "A B"/],
    ['a numeric env value', { docker_image: 'busybox', env_vars: { A: 1 } }, /^env_vars.A: value must be a string/],
    ['retries as a string', { docker_image: 'busybox', retries: 'three' }, /^retries:/],
    ['an unknown field', { docker_image: 'busybox', dockerImage: 'x' }, /^"dockerImage": unknown field/],
    ['a callback that is not a URL', { docker_image: 'busybox', callback: 'localhost' }, /^callback URL/],
    ['an array body', [{ docker_image: 'busybox' }], /^the body must be a JSON object$/],
  ];

  it.each(badCreates)('POST /v1/jobs with %s → 400 listing the problem', async (_label, payload, problem) => {
    const res = await api({ method: 'POST', url: '/v1/jobs', payload });
    expect(res.statusCode).toBe(400);
    const error = expectErrorShape(res.body, 'invalid');
    expect(error.problems?.some((p) => problem.test(p)), JSON.stringify(error.problems)).toBe(true);
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('refuses an instance type outside the operator\u2019s allow-list, a dry run too, naming the allowed ones', async () => {
    await app.close();
    app = build({ defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3, allowedInstanceTypes: ['t3.micro', 't3.small'] } });
    for (const dryRun of [false, true]) {
      const res = await api({ method: 'POST', url: '/v1/jobs', payload: { docker_image: 'busybox', instance_types: ['t3.small', 'p5.48xlarge'], dry_run: dryRun } });
      expect(res.statusCode).toBe(400);
      expect(expectErrorShape(res.body, 'invalid').problems).toEqual([
        'instance_types: "p5.48xlarge" is not allowed here; allowed: t3.micro, t3.small (the operator\'s SCHED_ALLOWED_INSTANCE_TYPES)',
      ]);
    }
    expect(jobs.mutatingCalls()).toEqual([]);
    const allowed = await api({ method: 'POST', url: '/v1/jobs', payload: { docker_image: 'busybox', instance_types: ['t3.small'] } });
    expect(allowed.statusCode).toBe(201);
  });

  it('lists every problem of a body at once', async () => {
    const res = await api({
      method: 'POST',
      url: '/v1/jobs',
      payload: { docker_image: 'A B', datetime: 'tomorrow', env_vars: { 'X Y': 'z' }, retries: -1 },
    });
    expect(res.statusCode).toBe(400);
    expect(expectErrorShape(res.body).problems).toHaveLength(4);
  });

  it.each([
    { label: 'malformed JSON', payload: '{"docker_image": "busybox",', contentType: 'application/json', status: 400, code: 'bad_json' },
    { label: 'an empty JSON body', payload: '', contentType: 'application/json', status: 400, code: 'bad_json' },
    {
      label: 'a prototype-poisoning body',
      payload: '{"docker_image":"busybox","__proto__":{"x":1}}',
      contentType: 'application/json',
      status: 400,
      code: 'bad_json',
    },
    { label: 'an XML body', payload: '<job/>', contentType: 'application/xml', status: 415, code: 'unsupported_media_type' },
    {
      label: 'a body over 256 KB',
      payload: JSON.stringify({ docker_image: 'busybox', name: 'x'.repeat(300_000) }),
      contentType: 'application/json',
      status: 413,
      code: 'payload_too_large',
    },
  ])('POST /v1/jobs with $label → $status', async ({ payload, contentType, status, code }) => {
    const res = await api({ method: 'POST', url: '/v1/jobs', payload, headers: { 'content-type': contentType } });
    expect(res.statusCode).toBe(status);
    expectErrorShape(res.body, code);
    expect(res.body).not.toContain('Unexpected');
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it.each([
    ['no callback field', {}],
    ['a numeric callback', { callback: 42 }],
    ['an extra field', { callback: null, docker_image: 'x' }],
    ['a non-http callback', { callback: 'ftp://example.com/x' }],
    ['a callback with credentials', { callback: 'https://user:pw@example.com/x' }],
    ['an array', [{ callback: null }]],
  ])('PUT /v1/jobs/:id with %s → 400', async (_label, payload) => {
    const res = await api({ method: 'PUT', url: `/v1/jobs/${JOB_ID}`, payload });
    expect(res.statusCode).toBe(400);
    expectErrorShape(res.body, 'invalid');
    expect(res.body).not.toContain('pw@');
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('PUT /v1/jobs/:id on a job that is no longer scheduled → 400 with the service problem', async () => {
    jobs.jobs.set(JOB_ID, makeJob({ status: 'running' }));
    const res = await api({ method: 'PUT', url: `/v1/jobs/${JOB_ID}`, payload: { callback: null } });
    expect(res.statusCode).toBe(400);
    expect(expectErrorShape(res.body, 'invalid').problems).toEqual(['the callback can only change while the job is scheduled']);
  });

  it.each([
    ['GET', undefined],
    ['PUT', { callback: null }],
    ['DELETE', undefined],
  ] as const)('%s /v1/jobs/<unknown> → 404', async (method, payload) => {
    const res = await api({ method, url: '/v1/jobs/job-nope', ...(payload && { payload }) });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.body, 'not_found');
    // PUT and DELETE reach the service, which found nothing to change.
    expect(jobs.jobs.has('job-nope')).toBe(false);
  });

  it('an id longer than 128 characters is unknown without asking the service', async () => {
    const res = await api({ method: 'DELETE', url: `/v1/jobs/${'x'.repeat(129)}` });
    expect(res.statusCode).toBe(404);
    expect(jobs.calls).toEqual([]);
  });

  it('maps a ConflictError from the service to 409', async () => {
    jobs.failures.createJob = new ConflictError('job job-new already exists');
    const res = await api({ method: 'POST', url: '/v1/jobs', payload: { docker_image: 'busybox' } });
    expect(res.statusCode).toBe(409);
    expectErrorShape(res.body, 'conflict');
  });

  it('answers an unexpected failure with a generic 500 and logs the detail', async () => {
    jobs.failures.listRecentJobs = new Error('DynamoDB table sched-jobs: ProvisionedThroughputExceeded');
    const res = await api({ method: 'GET', url: '/v1/jobs' });
    expect(res.statusCode).toBe(500);
    expect(expectErrorShape(res.body, 'internal').message).not.toContain('DynamoDB');
    expect(res.body).not.toContain('sched-jobs');
    expect(logLines.join('')).toContain('ProvisionedThroughputExceeded');
  });

  it('answers unknown routes with 404 in the same shape', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/jobs?x=1' });
    expect(res.statusCode).toBe(404);
    expect(expectErrorShape(res.body, 'no_route').message).toBe('no route GET /v2/jobs');
  });

  it('answers a known path under a method it does not serve with 405 and Allow', async () => {
    const one = await app.inject({ method: 'PATCH', url: '/v1/jobs/j-abc?x=1' });
    expect(one.statusCode).toBe(405);
    expect(one.headers.allow).toBe('GET, HEAD, PUT, DELETE');
    expect(expectErrorShape(one.body, 'method_not_allowed').message).toBe('PATCH is not allowed on /v1/jobs/j-abc; use GET, HEAD, PUT, DELETE');
    const all = await app.inject({ method: 'DELETE', url: '/v1/jobs' });
    expect(all.statusCode).toBe(405);
    expect(all.headers.allow).toBe('POST, GET, HEAD');
    // Deeper than any route is still an unknown path.
    expect((await app.inject({ method: 'PATCH', url: '/v1/jobs/j-abc/x' })).statusCode).toBe(404);
  });
});

describe('PUT /v1/notifications/:jobId', () => {
  function notify(query: string, options: { token?: string | null; headers?: Record<string, string>; payload?: string } = {}) {
    const token = options.token === undefined ? notificationToken(JOB_ID, 1) : options.token;
    return app.inject({
      method: 'PUT',
      url: `/v1/notifications/${JOB_ID}?${query}`,
      headers: { ...(token !== null && { authorization: `Bearer ${token}` }), ...options.headers },
      ...(options.payload !== undefined && { payload: options.payload }),
    });
  }

  it('started → 200 and the report reaches the service', async () => {
    const res = await notify('status=started&attempt=1');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(jobs.mutatingCalls()).toEqual([{ method: 'agentReport', args: [{ jobId: JOB_ID, status: 'started', attempt: 1 }] }]);
  });

  it('interrupting → 200', async () => {
    const res = await notify('status=interrupting&attempt=1');
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()[0]?.args[0]).toEqual({ jobId: JOB_ID, status: 'interrupting', attempt: 1 });
  });

  it('rebalance → 200, an addition to the original statuses', async () => {
    const res = await notify('status=rebalance&attempt=1');
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()).toEqual([{ method: 'agentReport', args: [{ jobId: JOB_ID, status: 'rebalance', attempt: 1 }] }]);
  });

  it('rebalance is checked like the others: the token (401), an exit code (400), the attempt (409)', async () => {
    expect((await notify('status=rebalance&attempt=1', { token: notificationToken(JOB_ID, 2) })).statusCode).toBe(401);
    expect((await notify('status=rebalance&attempt=1&exit=0')).statusCode).toBe(400);
    expect((await notify('status=rebalance&attempt=1', { payload: '{"exitCode":0}' })).statusCode).toBe(400);
    expect(jobs.mutatingCalls()).toEqual([]);
    jobs.agentResult = 'stale_attempt';
    expect((await notify('status=rebalance&attempt=1')).statusCode).toBe(409);
  });

  it('output → 200: the tail of the output so far reaches recordOutput (not the lifecycle), bounded', async () => {
    const res = await notify('status=output&attempt=1', { headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ logTail: 'line one\n' }) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
    expect(jobs.mutatingCalls()).toEqual([{ method: 'recordOutput', args: [{ jobId: JOB_ID, attempt: 1, logTail: 'line one\n' }] }]);
    const long = `${'x'.repeat(20_000)}END`;
    expect((await notify('status=output&attempt=1', { payload: JSON.stringify({ logTail: long }) })).statusCode).toBe(200);
    const kept = (jobs.mutatingCalls()[1]!.args[0] as OutputReport).logTail;
    expect(Buffer.byteLength(kept)).toBe(8 * 1024);
    expect(kept.endsWith('END')).toBe(true);
  });

  it('output is checked like the others: the token (401), no logTail or an exit code (400), the attempt (409), the job (404)', async () => {
    const body = { payload: '{"logTail":"x"}' };
    expect((await notify('status=output&attempt=1', { ...body, token: notificationToken(JOB_ID, 2) })).statusCode).toBe(401);
    expect((await notify('status=output&attempt=1', { ...body, token: null })).statusCode).toBe(401);
    const missing = await notify('status=output&attempt=1');
    expect(missing.statusCode).toBe(400);
    expect(JSON.stringify(missing.json())).toMatch(/logTail: an output notification carries the output so far/);
    expect((await notify('status=output&attempt=1&exit=0', body)).statusCode).toBe(400);
    expect((await notify('status=output&attempt=1', { payload: '{"logTail":"x","exitCode":0}' })).statusCode).toBe(400);
    expect((await notify('status=output&attempt=1', { payload: '{"logTail":"x","ranSeconds":1}' })).statusCode).toBe(400);
    expect(jobs.mutatingCalls()).toEqual([]);
    jobs.agentResult = 'stale_attempt';
    expect((await notify('status=output&attempt=1', body)).statusCode).toBe(409);
    jobs.agentResult = 'not_found';
    expect((await notify('status=output&attempt=1', body)).statusCode).toBe(404);
  });

  it('finished with the exit code in the query', async () => {
    const res = await notify('status=finished&attempt=1&exit=3');
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()[0]?.args[0]).toEqual({ jobId: JOB_ID, status: 'finished', attempt: 1, exitCode: 3 });
  });

  it('finished with the exit code and the log tail in a JSON body', async () => {
    const res = await notify('status=finished&attempt=1', {
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ exitCode: 0, logTail: 'done\n' }),
    });
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()[0]?.args[0]).toEqual({
      jobId: JOB_ID,
      status: 'finished',
      attempt: 1,
      exitCode: 0,
      logTail: 'done\n',
    });
  });

  it('finished with timedOut and ranSeconds (additions to the body), and started with ranSeconds', async () => {
    const res = await notify('status=finished&attempt=1', { payload: JSON.stringify({ exitCode: 143, timedOut: true, ranSeconds: 600, logTail: 'bye\n' }) });
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()[0]?.args[0]).toEqual({ jobId: JOB_ID, status: 'finished', attempt: 1, exitCode: 143, logTail: 'bye\n', timedOut: true, ranSeconds: 600 });
    expect((await notify('status=started&attempt=1', { payload: '{"ranSeconds":0}' })).statusCode).toBe(200);
    expect((await notify('status=started&attempt=1', { payload: '{"ranSeconds":95}' })).statusCode).toBe(200);
    expect(jobs.mutatingCalls().slice(1).map((c) => (c.args[0] as AgentReport).ranSeconds)).toEqual([0, 95]);
    // timedOut false says nothing: the report carries no flag.
    expect((await notify('status=finished&attempt=1&exit=0', { payload: '{"timedOut":false}' })).statusCode).toBe(200);
    expect(jobs.mutatingCalls()[3]?.args[0]).toEqual({ jobId: JOB_ID, status: 'finished', attempt: 1, exitCode: 0 });
  });

  it.each([
    ['timedOut on started', 'status=started&attempt=1', '{"timedOut":true}', /timedOut: only a finished notification/],
    ['ranSeconds on interrupting', 'status=interrupting&attempt=1', '{"ranSeconds":3}', /ranSeconds: only started and finished/],
    ['a timedOut that is not a boolean', 'status=finished&attempt=1&exit=0', '{"timedOut":"yes"}', /the body must be a JSON object/],
    ['a negative ranSeconds', 'status=finished&attempt=1&exit=0', '{"ranSeconds":-1}', /the body must be a JSON object/],
    ['a fractional ranSeconds', 'status=finished&attempt=1&exit=0', '{"ranSeconds":1.5}', /the body must be a JSON object/],
    ['a ranSeconds over a year', 'status=finished&attempt=1&exit=0', '{"ranSeconds":99999999}', /the body must be a JSON object/],
  ])('%s → 400, and nothing changes', async (_label, query, payload, problem) => {
    const res = await notify(query, { payload });
    expect(res.statusCode).toBe(400);
    const error = expectErrorShape(res.body, 'invalid');
    expect(error.problems?.some((p) => problem.test(p)), JSON.stringify(error.problems)).toBe(true);
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('finished with the same exit code in both places', async () => {
    const res = await notify('status=finished&attempt=1&exit=137', { payload: '{"exitCode":137}' });
    expect(res.statusCode).toBe(200);
  });

  it('keeps the last 8 KB of a long log tail, cut on a character boundary', async () => {
    const logTail = 'é'.repeat(3000) + 'x'.repeat(3000) + 'END';
    const res = await notify('status=finished&attempt=1&exit=0', { payload: JSON.stringify({ logTail }) });
    expect(res.statusCode).toBe(200);
    const kept = (jobs.mutatingCalls()[0]?.args[0] as AgentReport).logTail ?? '';
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(8192);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(8190);
    expect(kept.endsWith('x'.repeat(3000) + 'END')).toBe(true);
    expect(kept).not.toContain('\uFFFD');
  });

  it.each([
    ['curl -X PUT with no data', { 'content-type': 'application/x-www-form-urlencoded' }, undefined],
    ['no content type and no body', {}, undefined],
    ['text/plain with JSON', { 'content-type': 'text/plain' }, '{"exitCode":0}'],
    ['a malformed content type with JSON', { 'content-type': 'this is not a media type' }, '{"exitCode":0}'],
    ['JSON content type and an empty body', { 'content-type': 'application/json' }, ''],
    ['whitespace only', { 'content-type': 'application/json' }, ' \n'],
  ])('accepts %s', async (_label, headers, payload) => {
    const res = await notify('status=finished&attempt=1&exit=0', { headers, ...(payload !== undefined && { payload }) });
    expect(res.statusCode).toBe(200);
    expect(jobs.mutatingCalls()).toHaveLength(1);
  });

  it('accepts a lowercase bearer scheme', async () => {
    const res = await notify('status=started&attempt=1', {
      token: null,
      headers: { authorization: `bearer ${notificationToken(JOB_ID, 1)}` },
    });
    expect(res.statusCode).toBe(200);
  });

  const badQueries: [string, string][] = [
    ['no status', 'attempt=1'],
    ['an unknown status', 'status=done&attempt=1'],
    ['an uppercase status', 'status=STARTED&attempt=1'],
    ['status given twice', 'status=started&status=finished&attempt=1'],
    ['no attempt', 'status=started'],
    ['an empty attempt', 'status=started&attempt='],
    ['a non-numeric attempt', 'status=started&attempt=one'],
    ['attempt 0', 'status=started&attempt=0'],
    ['a negative attempt', 'status=started&attempt=-1'],
    ['a zero-padded attempt', 'status=started&attempt=01'],
    ['a fractional attempt', 'status=started&attempt=1.5'],
    ['exit 256', 'status=finished&attempt=1&exit=256'],
    ['a negative exit', 'status=finished&attempt=1&exit=-1'],
    ['a non-numeric exit', 'status=finished&attempt=1&exit=ok'],
    ['an exit code on started', 'status=started&attempt=1&exit=0'],
  ];

  it.each(badQueries)('%s → 400, checked before the token', async (_label, query) => {
    for (const token of [notificationToken(JOB_ID, 1), null, 'forged']) {
      const res = await notify(query, { token });
      expect(res.statusCode).toBe(400);
      expectErrorShape(res.body, 'invalid');
    }
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('finished without an exit code in the query or the body → 400', async () => {
    for (const payload of [undefined, '{}', '{"logTail":"x"}']) {
      const res = await notify('status=finished&attempt=1', { ...(payload !== undefined && { payload }) });
      expect(res.statusCode).toBe(400);
      expect(expectErrorShape(res.body, 'invalid').problems).toEqual(['exit: a finished notification needs an exit code']);
    }
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('a job id that cannot be one → 400', async () => {
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/notifications/%0Abad%20id?status=started&attempt=1',
      headers: { authorization: `Bearer ${notificationToken('\nbad id', 1)}` },
    });
    expect(res.statusCode).toBe(400);
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it.each([
    ['no token', null, {}],
    ['an empty token', '', {}],
    ['a forged token', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', {}],
    ['the token of another attempt', notificationToken(JOB_ID, 2), {}],
    ['the token of another job', notificationToken('job-other', 1), {}],
    ['a token made with another secret', notificationToken(JOB_ID, 1, 'other-secret'), {}],
    ['the token with a suffix', `${notificationToken(JOB_ID, 1)}x`, {}],
    ['the API token', API_TOKEN, {}],
    ['another scheme', null, { authorization: `Basic ${notificationToken(JOB_ID, 1)}` }],
    ['no scheme', null, { authorization: notificationToken(JOB_ID, 1) }],
  ])('%s → 401', async (_label, token, headers) => {
    const res = await notify('status=started&attempt=1', { token, headers });
    expect(res.statusCode).toBe(401);
    expectErrorShape(res.body, 'unauthorized');
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('checks the token before reading the body', async () => {
    const res = await notify('status=finished&attempt=1&exit=0', { token: 'forged', payload: '{broken' });
    expect(res.statusCode).toBe(401);
  });

  it.each([
    ['malformed JSON', '{"exitCode": 0', 'the body is not valid JSON'],
    ['a JSON array', '[0]', 'JSON object'],
    ['a JSON null', 'null', 'JSON object'],
    ['a string exit code', '{"exitCode":"0"}', 'JSON object'],
    ['exit code 300', '{"exitCode":300}', 'JSON object'],
    ['a fractional exit code', '{"exitCode":1.5}', 'JSON object'],
    ['a numeric log tail', '{"exitCode":0,"logTail":5}', 'JSON object'],
    ['disagreeing exit codes', '{"exitCode":1}', 'disagree'],
  ])('a body with %s → 400', async (_label, payload, problem) => {
    const res = await notify('status=finished&attempt=1&exit=0', { payload, headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(expectErrorShape(res.body, 'invalid').problems?.join(' ')).toContain(problem);
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('an exit code in the body of a started notification → 400', async () => {
    const res = await notify('status=started&attempt=1', { payload: '{"exitCode":0}' });
    expect(res.statusCode).toBe(400);
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('a body over 64 KB → 413', async () => {
    const res = await notify('status=finished&attempt=1&exit=0', { payload: JSON.stringify({ logTail: 'x'.repeat(70_000) }) });
    expect(res.statusCode).toBe(413);
    expectErrorShape(res.body, 'payload_too_large');
    expect(jobs.mutatingCalls()).toEqual([]);
  });

  it('a stale attempt → 409', async () => {
    jobs.agentResult = 'stale_attempt';
    const res = await notify('status=started&attempt=1');
    expect(res.statusCode).toBe(409);
    expectErrorShape(res.body, 'stale_attempt');
  });

  it('an unknown job → 404', async () => {
    jobs.agentResult = 'not_found';
    const res = await notify('status=started&attempt=1');
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.body, 'not_found');
  });

  it('a concurrent write → 503 with Retry-After, so the agent retries instead of giving up', async () => {
    jobs.failures.agentReport = new ConflictError('version mismatch');
    const res = await notify('status=started&attempt=1');
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
  });

  it('needs no API token (the REST API hook does not apply)', async () => {
    await app.close();
    app = build({ apiToken: undefined });
    const res = await notify('status=started&attempt=1');
    expect(res.statusCode).toBe(200);
  });
});

describe('health and metrics', () => {
  it('GET /healthz → 200 { ok: true } without a token', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('GET /metrics → the Prometheus text', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(res.body).toContain('sched_jobs_active 2');
  });

  it('GET /metrics → 404 when no metrics are configured', async () => {
    await app.close();
    app = build({ metrics: undefined });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(404);
    expectErrorShape(res.body, 'no_metrics');
  });

  it('refuses to build with an empty notification secret', () => {
    expect(() => build({ secret: '' })).toThrow(/secret/);
  });
});

describe('logging', () => {
  it('never writes the Authorization header, even when a handler logs the request headers', async () => {
    app.addHook('onRequest', async (request) => {
      request.log.info({ headers: request.headers }, 'headers seen');
    });
    await api({ method: 'GET', url: '/v1/jobs' });
    const log = logLines.join('');
    expect(log).toContain('headers seen');
    expect(log).toContain('[redacted]');
  });
});

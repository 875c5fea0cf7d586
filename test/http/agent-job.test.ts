/**
 * `GET /v1/agent/<job-id>?attempt=<n>` (docs/rest-api.md, "The agent's job"): the real agent script
 * fetches its job from the real bot HTTP server (an engine on the in-memory twins, its launch's
 * user data as the fleet got it), and runs it byte for byte; the user data holds no job value; the
 * endpoint answers only the attempt's own token, for that job and attempt, and logs nothing of it.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../bot/clock.js';
import type { Job } from '../../bot/core/job.js';
import { buildHttpServer } from '../../bot/http/server.js';
import { notificationToken } from '../../bot/security/hmac.js';
import { makeStubBin, runAgentScript, type StubBin } from '../harness/agent.js';
import { memoryReplica } from '../harness/memory-engine.js';

const SECRET = 'memory-replica-secret-0123456789abcdefghij';
const OWNER = { kind: 'api', id: 'api' } as const;

let app: FastifyInstance;
let replica: ReturnType<typeof memoryReplica>;
let baseUrl: string;
let stubs: StubBin;
let scratch: string;
const logLines: string[] = [];

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  const port = await freeLoopbackPort();
  baseUrl = `http://127.0.0.1:${port}`;
  replica = memoryReplica({ clock: systemClock, publicUrl: baseUrl });
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) });
  app = buildHttpServer({ jobs: replica.engine, secret: SECRET, defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, clock: systemClock, logger });
  await app.listen({ port, host: '127.0.0.1' });
  stubs = await makeStubBin({ dockerOutput: 'ran\n' });
  scratch = await mkdtemp(join(tmpdir(), 'sched-agent-job-'));
});

afterAll(async () => {
  await app?.close();
  await stubs?.cleanup();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** A job created now through the engine: launched at once, attempt 1, on the in-memory fleet. */
async function launchedJob(spec: Partial<Job['spec']> = {}): Promise<{ job: Job; userData: string }> {
  const job = await replica.engine.createJob({
    spec: { image: 'alpine:3.20', command: ['echo', 'hi'], env: { MODE: 'full' }, instanceTypes: ['t3.micro'], interruptionsTolerated: 3, ...spec },
    runAt: new Date().toISOString(),
    owner: OWNER,
  });
  const request = [...replica.fleet.requests.values()].find((r) => r.jobId === job.id && r.attempt === 1);
  expect(request, 'the engine launched attempt 1').toBeDefined();
  return { job, userData: request!.userData };
}

function fetchJob(jobId: string, attempt: number | string, token?: string) {
  return app.inject({
    method: 'GET',
    url: `/v1/agent/${jobId}?attempt=${attempt}`,
    ...(token !== undefined && { headers: { authorization: `Bearer ${token}` } }),
  });
}

const HOSTILE = ['$(touch MARK)', '`touch MARK`', "'; touch MARK; '", '"; touch MARK; "', 'a\nb\n$(touch MARK)\n', '', ' spaced ', 'ünïcødé 🎉', '%s', '-e', '\\"x'];

describe('the agent fetches its job from the bot', () => {
  it('runs the real script against the real endpoint: hostile image, argv and env arrive byte for byte and none runs', { timeout: 30_000 }, async () => {
    const marker = join(scratch, 'pwned');
    const values = HOSTILE.map((v) => v.replaceAll('MARK', marker));
    const env = Object.fromEntries(values.map((v, i) => [`HOSTILE_${i}`, v]));
    const image = `img$(touch ${marker})\`x\`;y`;
    const { job, userData } = await launchedJob({ image, command: values, env, timeoutSeconds: 600, gpus: 2 });

    const run = await runAgentScript(userData, { stubBin: stubs.dir, env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off' }, timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(run.strays).toEqual([]);
    const runs = (await stubs.dockerRuns()).filter((r) => r.argv.includes(`sched-${job.id}-1`));
    expect(runs).toHaveLength(1);
    expect(runs[0]!.argv).toEqual([
      'run', '--rm', '--name', `sched-${job.id}-1`, '--gpus', '2',
      ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
      '-e', `SCHED_JOB_ID=${job.id}`, '-e', 'SCHED_ATTEMPT=1',
      image, ...values,
    ]);
    expect(existsSync(marker)).toBe(false);
    // It reported through the same bot: the job ended with the container.
    expect((await replica.engine.getJob(job.id))?.status).toBe('succeeded');
  });

  it('the user data holds the job id, attempt, URL and token, and no image, argv, env value or other secret', async () => {
    const env = { DB_PASSWORD: 'hunter2-secret-value', API_KEY: 'sk-live-0123456789' };
    const { job, userData } = await launchedJob({ image: 'registry.example.com/private/etl:9.9', command: ['--password', 'argv-secret-value'], env });
    const token = notificationToken(SECRET, job.id, 1);
    expect(userData).toContain(job.id);
    expect(userData).toContain(Buffer.from(token).toString('base64'));
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    for (const value of ['hunter2-secret-value', 'sk-live-0123456789', 'DB_PASSWORD', 'registry.example.com/private/etl:9.9', 'argv-secret-value', SECRET]) {
      expect(userData).not.toContain(value);
      expect(userData).not.toContain(b64(value));
    }
    for (const [key, value] of Object.entries(env)) expect(userData).not.toContain(b64(`${key}=${value}`));
  });

  it('answers the attempt its job as base64 JSON, no-store, and logs none of it', async () => {
    logLines.length = 0;
    const { job } = await launchedJob({ env: { DB_PASSWORD: 'hunter2-logged?' }, command: ['argv-logged?'], timeoutSeconds: 90 });
    const token = notificationToken(SECRET, job.id, 1);
    const answer = await fetchJob(job.id, 1, token);
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['cache-control']).toBe('no-store');
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    expect(answer.body).toBe(JSON.stringify({ image: b64('alpine:3.20'), argv: [b64('argv-logged?')], env: [b64('DB_PASSWORD=hunter2-logged?')], gpus: '', timeoutSeconds: 90 }));
    const log = logLines.join('');
    expect(log).toContain(`/v1/agent/${job.id}`);
    for (const secret of ['hunter2-logged?', b64('DB_PASSWORD=hunter2-logged?'), 'argv-logged?', token]) expect(log).not.toContain(secret);
  });

  it('refuses another job\u2019s or another attempt\u2019s token, no token, and a malformed query', async () => {
    const { job } = await launchedJob();
    const { job: other } = await launchedJob();
    const refusals = [
      { answer: await fetchJob(job.id, 1), status: 401 },
      { answer: await fetchJob(job.id, 1, notificationToken(SECRET, other.id, 1)), status: 401 },
      { answer: await fetchJob(job.id, 1, notificationToken(SECRET, job.id, 2)), status: 401 },
      { answer: await fetchJob(job.id, 1, notificationToken('another-secret', job.id, 1)), status: 401 },
      { answer: await fetchJob(job.id, 1, `${notificationToken(SECRET, job.id, 1)}x`), status: 401 },
      { answer: await fetchJob(job.id, '01', notificationToken(SECRET, job.id, 1)), status: 400 },
      { answer: await fetchJob(job.id, '1&attempt=1', notificationToken(SECRET, job.id, 1)), status: 400 },
      { answer: await fetchJob('bad$id', 1, notificationToken(SECRET, 'bad$id', 1)), status: 400 },
    ];
    for (const { answer, status } of refusals) {
      expect(answer.statusCode).toBe(status);
      expect(answer.headers['cache-control']).toBe('no-store');
      expect(answer.body).not.toContain('alpine');
      expect(answer.body).not.toContain('MODE');
    }
  });

  it('404 for an unknown job, 409 for an attempt that is not the job\u2019s, 410 once the job ended', async () => {
    expect((await fetchJob('j-nosuchjob', 1, notificationToken(SECRET, 'j-nosuchjob', 1))).statusCode).toBe(404);
    const { job } = await launchedJob();
    const stale = await fetchJob(job.id, 2, notificationToken(SECRET, job.id, 2));
    expect(stale.statusCode).toBe(409);
    expect(stale.json()).toMatchObject({ error: { code: 'stale_attempt' } });
    await replica.engine.cancelJob(job.id, 'test');
    const ended = await fetchJob(job.id, 1, notificationToken(SECRET, job.id, 1));
    expect(ended.statusCode).toBe(410);
    expect(ended.json()).toMatchObject({ error: { code: 'ended' } });
    expect(ended.body).not.toContain('MODE');
  });
});

/**
 * The agent's fetch of its job (`GET /v1/agent/<job-id>`, bot/core/agent-script.ts `fetch_job`),
 * with the real script, a stub docker and a loopback stand-in for the bot: it retries while the bot
 * does not answer and gives up after five minutes; a refusal or an answer it cannot read runs
 * nothing and reports nothing (the bot's launch timeout replaces the attempt); a value of the
 * answer never runs as shell code.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { renderAgentScript } from '../../bot/core/agent-script.js';
import { fakeClockEnv, makeStubBin, renderServedAgentScript, runAgentScript, startNotificationReceiver, type NotificationReceiver, type StubBin } from '../harness/agent.js';

const INPUT = { jobId: 'job-fetch', attempt: 3, token: 'dG9rZW4.c2lnbmF0dXJl_-', image: 'alpine:3.20', command: ['echo', 'hi'], env: { MODE: 'full' } };

let scratch: string;
beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-agent-fetch-'));
});
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function setUp(): Promise<{ bot: NotificationReceiver; stubs: StubBin }> {
  const [bot, stubs] = await Promise.all([startNotificationReceiver(), makeStubBin({ passThrough: ['curl'] })]);
  onTestFinished(async () => {
    await bot.close();
    await stubs.cleanup();
  });
  return { bot, stubs };
}

const ENV = { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off' };

describe('the agent fetches its job before anything else', () => {
  it('GETs /v1/agent/<job-id>?attempt=<n> with its token on curl stdin, retries a bot that is restarting, then runs the job', async () => {
    const { bot, stubs } = await setUp();
    bot.respondToJobFetchWith(503, 502, 200);
    const script = renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url });
    const run = await runAgentScript(script, { stubBin: stubs.dir, env: ENV, timeoutMs: 20_000 });
    expect(run.code, run.stderr).toBe(0);
    expect(bot.jobFetches).toHaveLength(3);
    for (const fetch of bot.jobFetches) {
      expect(fetch.path).toBe('/v1/agent/job-fetch');
      expect(fetch.query).toEqual({ attempt: '3' });
      expect(fetch.headers.authorization).toBe(`Bearer ${INPUT.token}`);
    }
    for (const argv of await stubs.calls('curl')) expect(argv.join(' ')).not.toContain(INPUT.token);
    expect(bot.requests.map((r) => r.query.status)).toEqual(['started', 'finished']);
    expect((await stubs.dockerRuns()).map((r) => r.argv.slice(-4))).toEqual([['SCHED_ATTEMPT=3', 'alpine:3.20', 'echo', 'hi']]);
  });

  it.each([401, 404, 409, 410, 400])('a refusal (%i) runs nothing and reports nothing', async (status) => {
    const { bot, stubs } = await setUp();
    bot.respondToJobFetchWith(status);
    const script = renderServedAgentScript(bot, { ...INPUT, notifyBaseUrl: bot.url });
    const run = await runAgentScript(script, { stubBin: stubs.dir, env: ENV, timeoutMs: 10_000 });
    expect(run.code).toBe(77);
    expect(run.stderr).toContain(`the bot refused to hand over the job (answer: ${status}): not running it`);
    expect(bot.jobFetches).toHaveLength(1);
    expect(bot.requests).toEqual([]);
    expect(await stubs.calls('docker')).toEqual([]);
  });

  it('a bot that never answers: retried with back-off for five minutes, then nothing runs and nothing is reported', async () => {
    const { bot, stubs } = await setUp();
    const sleeps = join(scratch, 'sleeps-down');
    await bot.close();
    const script = renderAgentScript({ jobId: INPUT.jobId, attempt: 1, token: INPUT.token, notifyBaseUrl: bot.url });
    const run = await runAgentScript(script, { stubBin: stubs.dir, env: { ...ENV, ...fakeClockEnv(sleeps) }, timeoutMs: 20_000 });
    expect(run.code).toBe(69);
    expect(run.stderr).toMatch(/the bot did not hand over the job after \d+ tries \(last answer: 000\): not running it/);
    const waited = (await readFile(sleeps, 'utf8')).trim().split('\n').map(Number);
    expect(waited.slice(0, 6)).toEqual([1, 2, 4, 8, 16, 30]);
    const total = waited.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(270);
    expect(total).toBeLessThanOrEqual(300);
    expect(await stubs.calls('docker')).toEqual([]);
  });

  it('an answer that is not base64 in the expected shape runs nothing, and none of it runs as code', async () => {
    const { bot, stubs } = await setUp();
    const marker = join(scratch, 'pwned-answer');
    const script = renderAgentScript({ jobId: INPUT.jobId, attempt: 1, token: INPUT.token, notifyBaseUrl: bot.url });
    const answers = [
      JSON.stringify({ image: `$(touch ${marker})`, argv: [], env: [], gpus: '', timeoutSeconds: 0 }),
      `{"image":"YQ==","argv":["$(touch ${marker})"],"env":[],"gpus":"","timeoutSeconds":0}`,
      `{"image":"YQ==","argv":[],"env":[],"gpus":"1; touch ${marker}","timeoutSeconds":0}`,
      `{"image":"YQ==","argv":[],"env":[],"gpus":"","timeoutSeconds":$(touch ${marker})}`,
      '{"image":"YQ==","argv":[],"env":[],"gpus":"","timeoutSeconds":0}\n{"x":1}',
      '{"argv":[],"image":"YQ==","env":[],"gpus":"","timeoutSeconds":0}',
      'not json',
      '',
    ];
    for (const answer of answers) {
      bot.serveAgentJob(INPUT.jobId, answer);
      const run = await runAgentScript(script, { stubBin: stubs.dir, env: ENV, timeoutMs: 10_000 });
      expect(run.code, answer).toBe(76);
      expect(run.stderr).toContain("the bot's answer is not a job this agent can read: not running it");
    }
    expect(bot.requests).toEqual([]);
    expect(await stubs.calls('docker')).toEqual([]);
    expect(existsSync(marker)).toBe(false);
  });
});

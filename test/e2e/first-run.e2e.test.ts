/**
 * The first run of someone trying Sched: started from another folder, with nothing configured
 * but a port and an API token to drive it. Everything defaults: local compute, the embedded store
 * under a relative `.sched`, no chat (stdin is not a terminal).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { PublicJob } from '../../bot/http/public-job.js';
import { makeStubBin, type StubBin } from '../harness/agent.js';
import { eventually, startBot, type BotProcess } from '../harness/bot-process.js';

const TOKEN = 'first-run-api-token-0123456789abcdefghij';
let scratch: string;
let stubs: StubBin;
let bot: BotProcess;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-first-run-'));
  stubs = await makeStubBin({ dockerOutput: 'first run\n' });
  bot = await startBot({ PATH: `${stubs.dir}:${process.env.PATH}`, SCHED_API_TOKEN: TOKEN }, { bareIn: scratch });
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  await stubs?.cleanup();
  await rm(scratch, { recursive: true, force: true });
});

test('with nothing configured, a job runs to success and the state lives in ./.sched', async () => {
  expect(bot.logs.find((l) => l.msg === 'sched is running')).toMatchObject({ compute: 'local', store: 'embedded', chat: 'none' });
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const created = await fetch(`${bot.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ docker_image: 'alpine:3.20', command: ['echo', 'hi'] }) });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as PublicJob;
  const job = await eventually(async () => {
    const current = (await (await fetch(`${bot.url}/v1/jobs/${id}`, { headers })).json()) as PublicJob;
    return current.status === 'succeeded' ? current : undefined;
  }, 'the job to succeed');
  expect(job).toMatchObject({ exit_code: 0, log_tail: 'first run\n', attempts: 1 });
  for (const path of ['.sched/db', '.sched/secret', `.sched/runs/${id}/1/agent.log`]) {
    expect((await stat(join(scratch, path))).isDirectory() || (await stat(join(scratch, path))).isFile(), path).toBe(true);
  }
});

test('a callback Sched would refuse is refused when the job is created, with the reason, and nothing is stored', async () => {
  const headers = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
  const before = ((await (await fetch(`${bot.url}/v1/jobs`, { headers })).json()) as { jobs: unknown[] }).jobs.length;
  const refused = await fetch(`${bot.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ docker_image: 'alpine:3.20', callback: 'http://127.0.0.1:9/hook' }) });
  expect(refused.status).toBe(400);
  const body = (await refused.json()) as { error: { problems: string[] } };
  expect(body.error.problems).toEqual(['callback: callback address 127.0.0.1 is loopback; private callback targets are refused unless SCHED_CALLBACK_ALLOW_PRIVATE is set']);
  const localhost = await fetch(`${bot.url}/v1/jobs`, { method: 'POST', headers, body: JSON.stringify({ docker_image: 'alpine:3.20', callback: 'http://localhost:9/hook' }) });
  expect(localhost.status).toBe(400);
  expect(((await (await fetch(`${bot.url}/v1/jobs`, { headers })).json()) as { jobs: unknown[] }).jobs).toHaveLength(before);
});

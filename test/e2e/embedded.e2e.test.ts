/**
 * End to end, the embedded default: the bot as its own process (`npm start`) with no AWS and no
 * Slack — dynalite on disk under a temporary SCHED_DATA_DIR, local compute running the real
 * agent script against the fake docker of test/harness/agent.ts (first on PATH), and a
 * loopback callback receiver. Then the bot is stopped, killed and started again on the same data.
 *
 * A container gate (test/harness/container-gate.ts) in front of the fake docker holds a run until
 * the test releases it, so one attempt can run past the bot's stop, or until the test has seen
 * what it needs, on any machine, and the next one finish at once.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { RunRecord } from '../../bot/adapters/local-runs.js';
import type { PublicJob } from '../../bot/http/public-job.js';
import { verifyCallbackSignature } from '../../bot/security/hmac.js';
import { HOST_COMMAND_STUBS, makeStubBin, startNotificationReceiver, type NotificationReceiver, type StubBin } from '../harness/agent.js';
import { eventually, freePort, reconcilePasses, startBot, type BotProcess } from '../harness/bot-process.js';
import { makeContainerGate, type ContainerGate } from '../harness/container-gate.js';
import { groupMembers } from '../harness/processes.js';

const API_TOKEN = 'embedded-api-token-0123456789abcdefghijklmnopqrstuvwxyz';

let scratch: string;
let dataDir: string;
let gate: ContainerGate;
let stubs: StubBin;
let receiver: NotificationReceiver;
let botEnv: Record<string, string>;
let bot: BotProcess | undefined;
const metrics: { metric: string; ms: number }[] = [];

function metric(name: string, ms: number): void {
  metrics.push({ metric: name, ms });
  console.log(JSON.stringify({ metric: name, ms }));
}

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'sched-embedded-e2e-'));
  dataDir = join(scratch, 'data');
  [stubs, receiver, gate] = await Promise.all([makeStubBin({ dockerOutput: 'hello from the container\n' }), startNotificationReceiver(), makeContainerGate()]);
  botEnv = {
    SCHED_COMPUTE: 'local',
    SCHED_STORE: 'embedded',
    SCHED_DATA_DIR: dataDir,
    SCHED_CHAT: 'none',
    SCHED_POLL_SECONDS: '1',
    SCHED_API_TOKEN: API_TOKEN,
    SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
    // Its containers' limits: the CPUs set, the memory left to the default.
    SCHED_LOCAL_CPUS: '1.5',
    // The guard rails on cost, far above what these jobs need.
    SCHED_MAX_PRICE_CEILING: '0.50',
    SCHED_MAX_TIMEOUT: '1d',
    // The same port across restarts: a run that outlives a bot calls the next one there.
    SCHED_PORT: String(await freePort()),
    PATH: `${gate.dir}:${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
  };
}, 60_000);

afterAll(async () => {
  await bot?.stop();
  // Whatever a failed test left running.
  for (const record of await runRecords().catch(() => [])) {
    try {
      if (record.pgid) process.kill(-record.pgid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  await Promise.all([receiver?.close(), stubs?.cleanup(), gate?.cleanup()]);
  await rm(scratch, { recursive: true, force: true });
  console.log(JSON.stringify({ metric: 'embedded_e2e_summary', values: metrics }));
});

async function start(what: string): Promise<BotProcess> {
  const t0 = Date.now();
  bot = await startBot(botEnv, { readyTimeoutMs: 60_000 });
  metric(what, Date.now() - t0);
  return bot;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
type ApiResponse = { status: number; json: any };

async function api(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await fetch(`${bot!.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const getJob = async (id: string): Promise<PublicJob> => (await api('GET', `/v1/jobs/${id}`)).json as PublicJob;

function waitForJob(id: string, predicate: (job: PublicJob) => boolean, what: string, timeoutMs = 30_000): Promise<PublicJob> {
  return eventually(async () => {
    const job = await getJob(id);
    return predicate(job) ? job : undefined;
  }, `job ${id} ${what}`, timeoutMs);
}

async function createJob(extra: Record<string, unknown> = {}): Promise<string> {
  const created = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', command: ['echo', 'hello'], callback: `${receiver.url}/hook`, ...extra });
  expect(created.status).toBe(201);
  return (created.json as PublicJob).id;
}

async function runRecords(): Promise<RunRecord[]> {
  const runs = join(dataDir, 'runs');
  const records: RunRecord[] = [];
  for (const job of await readdir(runs).catch(() => [] as string[])) {
    for (const attempt of await readdir(join(runs, job)).catch(() => [] as string[])) {
      const text = await readFile(join(runs, job, attempt, 'run.json'), 'utf8').catch(() => undefined);
      if (text) records.push(JSON.parse(text) as RunRecord);
    }
  }
  return records;
}

async function recordOf(id: string, attempt: number): Promise<RunRecord> {
  return JSON.parse(await readFile(join(dataDir, 'runs', id, String(attempt), 'run.json'), 'utf8')) as RunRecord;
}

async function containerRunsOf(id: string, attempt: number) {
  return (await stubs.dockerRuns()).filter((r) => r.argv.includes(`sched-${id}-${attempt}`));
}

/**
 * A running job whose fake container is up and held at the gate until the test releases it; runs
 * started after this one go straight through.
 */
async function runningJob(): Promise<string> {
  await gate.holdRuns();
  const id = await createJob();
  await waitForJob(id, (j) => j.status === 'running', 'running');
  await eventually(async () => ((await gate.arrived()).includes(`sched-${id}-1`) ? true : undefined), 'the container');
  await gate.passRuns();
  return id;
}

/** The pid of the bot's own node process (pino logs it), not of npm in front of it. */
function botPid(): number {
  const pid = bot!.logs.find((entry) => entry.msg === 'sched is running')?.pid;
  expect(typeof pid).toBe('number');
  return pid as number;
}

async function processGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/**
 * SIGTERM, as an operator (or Ctrl-C) would, and wait for the bot itself to be gone: npm in front
 * of it may exit first, and the next bot must not meet this one's database lock or port.
 */
async function stopBot(): Promise<Record<string, unknown>[]> {
  const pid = botPid();
  const { logs } = bot!;
  await bot!.stop();
  await eventually(async () => ((await processGone(pid)) ? true : undefined), 'the bot process to exit');
  await eventually(async () => (logs.some((entry) => entry.msg === 'stopping') ? true : undefined), 'the bot to log its stop', 5_000);
  bot = undefined;
  return logs;
}

/** SIGKILL of the whole `npm start` process group: the bot dies without a word. */
async function crashBot(): Promise<void> {
  const stat = await readFile(`/proc/${botPid()}/stat`, 'utf8');
  const pgid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  expect(pgid).toBeGreaterThan(1);
  expect(pgid).not.toBe(process.pid);
  process.kill(-pgid, 'SIGKILL');
  await eventually(async () => ((await groupMembers(pgid)).length === 0 ? true : undefined), 'the bot to die');
  bot = undefined;
}

describe('the embedded default (npm start without AWS or Slack)', () => {
  test('starts, and runs a job through the real script to succeeded with its output and a signed callback', async () => {
    await start('embedded_start_to_ready_ms');
    const health = await fetch(`${bot!.url}/healthz`);
    expect(health.status).toBe(200);

    const t0 = Date.now();
    const id = await createJob({ name: 'first' });
    // Polled tightly: this is the measured number.
    let job: PublicJob | undefined;
    while (Date.now() - t0 < 30_000) {
      job = await getJob(id);
      if (job.status === 'succeeded' || job.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    metric('embedded_post_to_succeeded_ms', Date.now() - t0);
    // Left out, the guard rails' values: the maximum run time (no default set) and the ceiling.
    expect(job).toMatchObject({ timeout: 86400, max_price: '0.50' });
    expect(job).toMatchObject({ status: 'succeeded', exit_code: 0, attempts: 1, interruptions: 0, log_tail: 'hello from the container\n', instance_id: `local-i-${id}-1` });

    const delivered = await waitForJob(id, (j) => j.callback_state === 'delivered', 'callback delivered');
    expect(delivered.status).toBe('succeeded');
    const callback = receiver.requests.find((r) => r.method === 'POST' && r.body.includes(id));
    expect(JSON.parse(callback!.body)).toMatchObject({ job_id: id, status: 'succeeded', exit_code: 0, attempts: 1, name: 'first' });
    const secret = (await readFile(join(dataDir, 'secret'), 'utf8')).trim();
    expect(verifyCallbackSignature(secret, Number(callback!.headers['x-sched-timestamp']), callback!.body, String(callback!.headers['x-sched-signature']))).toBe(true);

    // The real script ran, in the job's folder, with the container CLI and never a host action.
    const [run] = await containerRunsOf(id, 1);
    // With the local limits, and none of the host user's registry logins.
    expect(run!.argv).toEqual(['run', '--rm', '--name', `sched-${id}-1`, '--memory', '2g', '--cpus', '1.5', '--pids-limit', '512', '-e', `SCHED_JOB_ID=${id}`, '-e', 'SCHED_ATTEMPT=1', 'alpine:3.20', 'echo', 'hello']);
    expect(run!.env).toMatchObject({
      SCHED_HOST_ACTIONS: 'off',
      SCHED_IMDS_URL: 'off',
      SCHED_CONTAINER_CLI: 'docker',
      DOCKER_CONFIG: expect.stringMatching(new RegExp(`/runs/${id}/1/no-registry-logins$`)),
      REGISTRY_AUTH_FILE: expect.stringMatching(new RegExp(`/runs/${id}/1/no-registry-logins/auth\\.json$`)),
    });
    expect(await readFile(join(dataDir, 'runs', id, '1', 'user-data.sh'), 'utf8')).toContain(`readonly JOB_ID='${id}'`);
    expect(await readFile(join(dataDir, 'runs', id, '1', 'agent.log'), 'utf8')).toContain('hello from the container');
    await eventually(async () => ((await recordOf(id, 1)).state === 'ended' ? true : undefined), 'the run to end');
    for (const host of HOST_COMMAND_STUBS) expect(await stubs.calls(host), `${host} must never be called`).toEqual([]);

    // Above the guard rails: 400 naming them, and nothing created.
    const refused = await api('POST', '/v1/jobs', { docker_image: 'alpine:3.20', max_price: '5', timeout: '2d' });
    expect(refused.status).toBe(400);
    expect(refused.json.error.problems).toEqual([
      "max_price: 5 USD per hour is above this deployment's ceiling of 0.50 (the operator's SCHED_MAX_PRICE_CEILING)",
      "timeout: 48h is longer than this deployment's maximum of 24h (the operator's SCHED_MAX_TIMEOUT)",
    ]);
    expect((await api('GET', '/v1/jobs')).json.jobs).toHaveLength(1);

    // Persistence: stopped and started again on the same data, the job is still there.
    await stopBot();
    await start('embedded_restart_to_ready_ms');
    expect(await getJob(id)).toMatchObject({ id, status: 'succeeded', exit_code: 0, log_tail: 'hello from the container\n', callback_state: 'delivered' });
    expect((await api('GET', '/v1/jobs')).json.jobs.map((j: PublicJob) => j.id)).toContain(id);
  }, 120_000);

  test('a job running when the bot stops (SIGTERM) keeps running, and the restarted bot finishes it in attempt 1', async () => {
    bot ??= await start('embedded_restart_to_ready_ms');
    const id = await runningJob();
    const first = await recordOf(id, 1);
    expect(await groupMembers(first.pgid!)).not.toEqual([]);

    const logs = await stopBot();
    // A clean stop leaves the run alone, as it would leave an instance: nothing terminated, no container removed.
    expect(logs.some((l) => l.msg === 'local run terminated')).toBe(false);
    expect(await groupMembers(first.pgid!)).not.toEqual([]);
    expect(await stubs.calls('docker')).not.toContainEqual(['rm', '-f', `sched-${id}-1`]);
    expect(await recordOf(id, 1)).toMatchObject({ state: 'running' });

    await start('embedded_restart_to_ready_ms');
    await eventually(async () => ((await reconcilePasses(bot!.url)) >= 2 ? true : undefined), 'two reconcile passes of the restarted bot');
    expect(await getJob(id)).toMatchObject({ status: 'running', attempts: 1, interruptions: 0 });
    await gate.release(`sched-${id}-1`);
    const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded in attempt 1', 60_000);
    expect(job).toMatchObject({ attempts: 1, interruptions: 0, exit_code: 0, instance_id: `local-i-${id}-1`, log_tail: 'hello from the container\n' });
    expect(receiver.requests.filter((r) => r.method === 'POST' && r.body.includes(id))).toHaveLength(1);
    expect(await containerRunsOf(id, 2)).toEqual([]);
  }, 120_000);

  test('a crash of the bot leaves its run going: the restarted bot adopts it and the job completes in attempt 1', async () => {
    bot ??= await start('embedded_restart_to_ready_ms');
    const id = await runningJob();
    await crashBot();
    const run = await recordOf(id, 1);
    expect(run.state).toBe('running');
    expect(await groupMembers(run.pgid!)).not.toEqual([]);

    // The restarted bot looks at the run (its first reconcile pass runs at start) and keeps it.
    await start('embedded_restart_after_crash_to_ready_ms');
    await eventually(async () => ((await reconcilePasses(bot!.url)) >= 2 ? true : undefined), 'two reconcile passes of the restarted bot');
    expect(await getJob(id)).toMatchObject({ status: 'running', attempts: 1, interruptions: 0 });
    expect(await groupMembers(run.pgid!)).not.toEqual([]);

    // The container ends; its agent reports to the bot on the same port.
    await gate.release(`sched-${id}-1`);
    const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded in attempt 1', 60_000);
    expect(job).toMatchObject({ attempts: 1, interruptions: 0, exit_code: 0 });
    await eventually(async () => ((await groupMembers(run.pgid!)).length === 0 ? true : undefined), 'the run to end');
  }, 120_000);

  test('a crash that takes the run down too (a reboot) → the restarted bot finds it gone and retries it as attempt 2', async () => {
    bot ??= await start('embedded_restart_to_ready_ms');
    const id = await runningJob();
    const run = await recordOf(id, 1);
    await crashBot();
    process.kill(-run.pgid!, 'SIGKILL');
    await eventually(async () => ((await groupMembers(run.pgid!)).length === 0 ? true : undefined), 'the run to die');

    await start('embedded_restart_after_crash_to_ready_ms');
    const job = await waitForJob(id, (j) => j.status === 'succeeded' && j.callback_state === 'delivered', 'succeeded in attempt 2', 60_000);
    expect(job).toMatchObject({ attempts: 2, interruptions: 1, exit_code: 0, instance_id: `local-i-${id}-2` });
    expect(await recordOf(id, 1)).toMatchObject({ state: 'ended', endReason: 'lost' });
    expect(await stubs.calls('docker')).toContainEqual(['rm', '-f', `sched-${id}-1`]);
    for (const host of HOST_COMMAND_STUBS) expect(await stubs.calls(host), `${host} must never be called`).toEqual([]);
  }, 120_000);
});

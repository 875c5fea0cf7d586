/**
 * The local compute adapter runs the real rendered agent script with bash, against the fake
 * docker/podman of test/harness/agent.ts (first on PATH) and a loopback notification receiver
 * standing in for the bot. No container ever runs and nothing touches this machine: the script
 * gets SCHED_HOST_ACTIONS=off, and the shutdown/systemctl stubs prove it never reached for them.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { containerEnvFrom, detectContainerCli, findOnPath, NO_CONTAINER_CLI_MESSAGE } from '../../bot/adapters/container-engine.js';
import { LocalFleet, type LocalFleetOptions } from '../../bot/adapters/local-fleet.js';
import { localRunIds, type RunRecord } from '../../bot/adapters/local-runs.js';
import { LaunchError, type LaunchPlan } from '../../bot/ports.js';
import { HOST_COMMAND_STUBS, makeStubBin, renderServedAgentScript, startNotificationReceiver, type NotificationReceiver, type StubBin } from '../harness/agent.js';
import { groupMembers, processesIn } from '../harness/processes.js';
import { FakeClock } from '../harness/clock.js';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TOKEN = 'dG9rZW4.c2lnbmF0dXJl_-';

let receiver: NotificationReceiver;
/** The container exits at once with code 7 after printing a line. */
let quick: StubBin;
/** The container sleeps a minute: long enough to be terminated. */
let slow: StubBin;
let scratch: string;
/** Process groups a failed test might leave behind; killed in afterAll. */
const groups = new Set<number>();

beforeAll(async () => {
  [receiver, quick, slow] = await Promise.all([
    startNotificationReceiver(),
    makeStubBin({ dockerOutput: 'hello from the container\n', dockerExitCode: 7 }),
    makeStubBin({ dockerOutput: 'sleeping\n', dockerSleepMs: 60_000 }),
  ]);
  scratch = await mkdtemp(join(tmpdir(), 'sched-local-fleet-'));
});

afterAll(async () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  }
  await Promise.all([receiver?.close(), quick?.cleanup(), slow?.cleanup(), scratch && rm(scratch, { recursive: true, force: true })]);
});

const pathWith = (stubs: StubBin) => `${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;

let workDirs = 0;
async function newWorkDir(): Promise<string> {
  const dir = join(scratch, `runs-${++workDirs}`);
  await mkdir(dir);
  return dir;
}

function fleetOn(workDir: string, stubs: StubBin, extra: Partial<LocalFleetOptions> = {}): LocalFleet {
  return new LocalFleet({ workDir, pathEnv: pathWith(stubs), terminateGraceMs: 3_000, ...extra });
}

function launchOf(jobId: string, attempt = 1, command: string[] = ['echo', 'hi']): LaunchPlan {
  const userData = renderServedAgentScript(receiver, { jobId, attempt, image: 'alpine:3.20', command, env: { MODE: 'full' }, notifyBaseUrl: receiver.url, token: TOKEN });
  return { jobId, attempt, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData, clientToken: `${jobId}.${attempt}.0` };
}

const notificationOf = (jobId: string, status: string) => (r: { path: string; query: Record<string, string> }) =>
  r.path === `/v1/notifications/${jobId}` && r.query.status === status;

async function readRecordOf(workDir: string, jobId: string, attempt = 1): Promise<RunRecord> {
  return JSON.parse(await readFile(join(workDir, jobId, String(attempt), 'run.json'), 'utf8')) as RunRecord;
}

async function until<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Gone, or a zombie waiting for a parent that is not this test: either way no longer running. */
async function processGone(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat === '' || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
}

/** Pids of the fake CLI's `run` calls (the stub names each record `<ns>.<pid>.argv`). */
async function containerPids(stubs: StubBin, cli = 'docker'): Promise<number[]> {
  const dir = join(stubs.recordDir, cli);
  const files = await readdir(dir).catch(() => [] as string[]);
  const pids: number[] = [];
  for (const file of files.filter((f) => f.endsWith('.argv'))) {
    if ((await readFile(join(dir, file), 'utf8')).startsWith('run\0')) pids.push(Number(file.split('.')[1]));
  }
  return pids;
}

/** The `run` argvs of the quick CLI that belong to `jobId`, any attempt. */
async function stubsRunsOf(jobId: string): Promise<string[][]> {
  return (await quick.dockerRuns()).map((r) => r.argv).filter((argv) => (argv[3] ?? '').startsWith(`sched-${jobId}-`));
}

async function runsNamed(stubs: StubBin, jobId: string, attempt = 1) {
  return (await stubs.dockerRuns()).filter((r) => r.argv.includes(`sched-${jobId}-${attempt}`));
}

describe('detectContainerCli', () => {
  test('docker anywhere on PATH wins; podman otherwise; nothing without either', async () => {
    const only = async (names: string[], mode = 0o755) => {
      const dir = await mkdtemp(join(scratch, 'path-'));
      for (const name of names) {
        await writeFile(join(dir, name), '#!/bin/sh\nexit 0\n');
        await chmod(join(dir, name), mode);
      }
      return dir;
    };
    const [podmanOnly, dockerOnly, none, notExecutable] = await Promise.all([only(['podman']), only(['docker']), only([]), only(['docker'], 0o644)]);
    expect(detectContainerCli(podmanOnly)).toBe('podman');
    expect(detectContainerCli(`${podmanOnly}:${dockerOnly}`)).toBe('docker');
    expect(detectContainerCli(none)).toBeUndefined();
    expect(detectContainerCli(notExecutable)).toBeUndefined();
    expect(detectContainerCli(undefined)).toBeUndefined();
    // A relative entry would mean "wherever the bot was started from".
    expect(findOnPath('docker', `.:${none}`)).toBeUndefined();
    expect(findOnPath('docker', pathWith(quick))).toBe(join(quick.dir, 'docker'));
  });

  test('containerEnvFrom keeps what the CLI needs and nothing else; loopback bypasses proxies', () => {
    const picked = containerEnvFrom({ HOME: '/home/u', DOCKER_HOST: 'unix:///x.sock', AWS_SECRET_ACCESS_KEY: 'no', SCHED_SECRET: 'no', http_proxy: 'http://proxy:3128', NO_PROXY: 'corp.example' });
    expect(picked).toEqual({
      HOME: '/home/u',
      DOCKER_HOST: 'unix:///x.sock',
      http_proxy: 'http://proxy:3128',
      NO_PROXY: 'corp.example,127.0.0.1,localhost,::1',
      no_proxy: '127.0.0.1,localhost,::1',
    });
  });
});

describe('LocalFleet', () => {
  test('runs the real script: started, then finished with the exit code and output; observe shows the run', async () => {
    const workDir = await newWorkDir();
    const fleet = fleetOn(workDir, quick);
    const launch = launchOf('job-run');

    const placed = await fleet.launch(launch);
    expect(placed).toEqual({ requestId: 'local-r-job-run-1', instanceId: 'local-i-job-run-1', pool: { instanceType: launch.pools[0]!.instanceType }, refused: [] });
    expect(placed).toMatchObject(localRunIds('job-run', 1));
    const record = await readRecordOf(workDir, 'job-run');
    groups.add(record.pgid!);

    const started = await receiver.waitFor(notificationOf('job-run', 'started'), 10_000);
    expect(started.query).toMatchObject({ attempt: '1' });
    expect(started.headers.authorization).toBe(`Bearer ${TOKEN}`);
    const finished = await receiver.waitFor(notificationOf('job-run', 'finished'), 10_000);
    expect(finished.query).toMatchObject({ attempt: '1', exit: '7' });
    expect(JSON.parse(finished.body)).toEqual({ exitCode: 7, ranSeconds: expect.any(Number), logTail: 'hello from the container\n' });

    const live = await fleet.observe();
    expect(live.requests).toEqual([
      { requestId: placed.requestId, jobId: 'job-run', attempt: 1, state: 'active', statusCode: 'fulfilled', instanceId: placed.instanceId, instanceType: 't3.micro' },
    ]);
    expect(live.instances).toHaveLength(1);
    expect(live.instances[0]).toMatchObject({ instanceId: placed.instanceId, jobId: 'job-run', attempt: 1, instanceType: 't3.micro', spotRequestId: placed.requestId });

    // The script exits with the container's code once the bot has answered; the run then ends.
    const ended = await until(async () => {
      const { instances } = await fleet.observe();
      return instances[0]?.state === 'terminated' ? instances[0] : undefined;
    }, 'the run to end');
    expect(ended.instanceId).toBe(placed.instanceId);
    expect(await readRecordOf(workDir, 'job-run')).toMatchObject({ state: 'ended', endReason: 'exited', exitCode: 7, jobId: 'job-run', attempt: 1 });

    // The run's folder: the script exactly as rendered, and its log.
    const dir = join(workDir, 'job-run', '1');
    expect(await readFile(join(dir, 'user-data.sh'), 'utf8')).toBe(launch.userData);
    expect(await readFile(join(dir, 'agent.log'), 'utf8')).toContain('hello from the container');

    // The container CLI ran with host actions and metadata off, and a minimal environment.
    const [run] = await runsNamed(quick, 'job-run');
    expect(run!.argv).toEqual(['run', '--rm', '--name', 'sched-job-run-1', '-e', 'MODE=full', '-e', 'SCHED_JOB_ID=job-run', '-e', 'SCHED_ATTEMPT=1', 'alpine:3.20', 'echo', 'hi']);
    expect(run!.env).toMatchObject({ SCHED_HOST_ACTIONS: 'off', SCHED_IMDS_URL: 'off', SCHED_CONTAINER_CLI: 'docker', PATH: pathWith(quick), TMPDIR: join(dir, 'tmp') });
    expect(run!.env.AWS_ACCESS_KEY_ID).toBeUndefined();
    for (const host of HOST_COMMAND_STUBS) expect(await quick.calls(host), `${host} must never be called`).toEqual([]);
  });

  test('a relative work folder (the default `.sched/runs`) works: the run still reports', async () => {
    const workDir = await newWorkDir();
    const fleet = fleetOn(relative(process.cwd(), workDir), quick);
    await fleet.launch(launchOf('job-relative'));
    groups.add((await readRecordOf(workDir, 'job-relative')).pgid!);
    const finished = await receiver.waitFor(notificationOf('job-relative', 'finished'), 10_000);
    expect(finished.query).toMatchObject({ attempt: '1', exit: '7' });
  });

  test('host actions stay off even when spawnEnv tries to turn them on; podman when configured', async () => {
    const workDir = await newWorkDir();
    const fleet = fleetOn(workDir, quick, {
      containerCli: 'podman',
      spawnEnv: { HOME: scratch, SCHED_HOST_ACTIONS: 'on', SCHED_IMDS_URL: 'http://169.254.169.254', SCHED_CONTAINER_CLI: 'docker' },
    });
    await fleet.launch(launchOf('job-podman'));
    groups.add((await readRecordOf(workDir, 'job-podman')).pgid!);
    await receiver.waitFor(notificationOf('job-podman', 'finished'), 10_000);
    const [run] = await runsNamed(quick, 'job-podman');
    expect(await quick.calls('podman')).toContainEqual(run!.argv);
    expect(run!.env).toMatchObject({ SCHED_HOST_ACTIONS: 'off', SCHED_IMDS_URL: 'off', SCHED_CONTAINER_CLI: 'podman', HOME: scratch });
    for (const host of HOST_COMMAND_STUBS) expect(await quick.calls(host), `${host} must never be called`).toEqual([]);
  });

  test('the same launch twice (also at once) starts one process', async () => {
    const workDir = await newWorkDir();
    const fleet = fleetOn(workDir, quick);
    const launch = launchOf('job-twice');
    const [a, b] = await Promise.all([fleet.launch(launch), fleet.launch(launch)]);
    groups.add((await readRecordOf(workDir, 'job-twice')).pgid!);
    await receiver.waitFor(notificationOf('job-twice', 'finished'), 10_000);
    const ended = await until(async () => {
      const record = await readRecordOf(workDir, 'job-twice');
      return record.state === 'ended' ? record : undefined;
    }, 'the run to end');
    const c = await fleet.launch(launch);
    // A fleet that knows nothing in memory (a restart) finds the run on disk.
    const d = await fleetOn(workDir, quick).launch(launch);
    expect(new Set([a, b, c, d].map((ids) => JSON.stringify(ids))).size).toBe(1);
    // A start spawns before launch returns and rewrites the record first. None did: the record
    // is the first run's, ended; no process runs in the run's folder; and every process that ran
    // there (its reports arrive before it exits) started once.
    expect(await readRecordOf(workDir, 'job-twice')).toEqual(ended);
    expect(await processesIn(join(workDir, 'job-twice', '1'))).toEqual([]);
    expect(receiver.requests.filter(notificationOf('job-twice', 'started'))).toHaveLength(1);
    expect(await runsNamed(quick, 'job-twice')).toHaveLength(1);
  });

  test('terminateInstance kills the whole process group, then removes the container', async () => {
    const workDir = await newWorkDir();
    // A grace no slow machine comes near: a SIGKILL here would mean SIGTERM did not do it.
    const fleet = fleetOn(workDir, slow, { terminateGraceMs: 20_000 });
    const { instanceId } = await fleet.launch(launchOf('job-kill'));
    const record = await readRecordOf(workDir, 'job-kill');
    groups.add(record.pgid!);
    expect(record).toMatchObject({ state: 'running', pid: record.pgid, containerName: 'sched-job-kill-1' });
    expect(record.startMarker).toBeTruthy();

    // The fake container is up and sleeping.
    const [containerPid] = await until(async () => {
      const pids = await containerPids(slow);
      return (await runsNamed(slow, 'job-kill')).length > 0 && pids.length > 0 ? pids : undefined;
    }, 'the fake container to start');
    expect((await groupMembers(record.pgid!)).length).toBeGreaterThanOrEqual(3); // bash, docker, tee, sleep
    expect(await processesIn(join(workDir, 'job-kill', '1'))).toContain(record.pid);
    expect((await fleet.observe()).instances[0]).toMatchObject({ instanceId, state: 'running' });

    await fleet.terminateInstance(instanceId);
    // SIGTERM was enough: the script ended of it, not of the SIGKILL that follows the grace.
    expect(await readRecordOf(workDir, 'job-kill')).toMatchObject({ signal: 'SIGTERM' });
    expect(await processGone(record.pid!)).toBe(true);
    expect(await processGone(containerPid!)).toBe(true);
    expect(await groupMembers(record.pgid!)).toEqual([]);
    expect(await processesIn(join(workDir, 'job-kill', '1'))).toEqual([]);
    expect(await slow.calls('docker')).toContainEqual(['rm', '-f', 'sched-job-kill-1']);

    expect((await fleet.observe()).instances[0]).toMatchObject({ instanceId, state: 'terminated' });
    expect(await readRecordOf(workDir, 'job-kill')).toMatchObject({ state: 'ended', endReason: 'terminated', containerRemoved: true });
    expect(receiver.requests.filter(notificationOf('job-kill', 'finished'))).toEqual([]);

    // Idempotent, and unknown ids are not errors.
    await fleet.terminateInstance(instanceId);
    await fleet.terminateInstance('local-i-nope-1');
    await fleet.cancelRequest('local-r-nope-1');
    expect((await slow.calls('docker')).filter((argv) => argv[0] === 'rm')).toHaveLength(1);
    for (const host of HOST_COMMAND_STUBS) expect(await slow.calls(host), `${host} must never be called`).toEqual([]);
  });

  test('cancelRequest only marks the request; the run goes on', async () => {
    const workDir = await newWorkDir();
    const fleet = fleetOn(workDir, slow);
    const { requestId, instanceId } = await fleet.launch(launchOf('job-cancel'));
    groups.add((await readRecordOf(workDir, 'job-cancel')).pgid!);
    await fleet.cancelRequest(requestId);
    const snapshot = await fleet.observe();
    expect(snapshot.requests[0]).toMatchObject({ requestId, state: 'cancelled', statusCode: 'request-canceled-and-instance-running' });
    expect(snapshot.instances[0]).toMatchObject({ instanceId, state: 'running' });
    await fleet.terminateInstance(instanceId);
  });

  test('close() leaves every run going, as instances outlive Sched, and refuses new ones; the next fleet adopts them', async () => {
    const workDir = await newWorkDir();
    const said: { obj: object; msg: string }[] = [];
    const fleet = fleetOn(workDir, slow, { logger: { info: (obj, msg) => said.push({ obj, msg }), warn: () => {} } });
    await Promise.all([fleet.launch(launchOf('job-close-a')), fleet.launch(launchOf('job-close-b'))]);
    const records = await Promise.all(['job-close-a', 'job-close-b'].map((id) => readRecordOf(workDir, id)));
    for (const r of records) groups.add(r.pgid!);
    await fleet.close();
    for (const r of records) expect(await groupMembers(r.pgid!)).not.toEqual([]);
    const keep = said.find((line) => line.msg === '2 local run(s) keep running; the next start adopts them');
    expect([...((keep?.obj as { jobIds?: string[] } | undefined)?.jobIds ?? [])].sort()).toEqual(['job-close-a', 'job-close-b']);
    expect(await Promise.all(['job-close-a', 'job-close-b'].map((id) => readRecordOf(workDir, id)))).toMatchObject([{ state: 'running' }, { state: 'running' }]);
    expect(await slow.calls('docker')).not.toContainEqual(['rm', '-f', 'sched-job-close-a-1']);
    // The next start: a fleet on the same folder sees them running and can still end them.
    const next = fleetOn(workDir, slow);
    const seen = await next.observe();
    expect(seen.instances.map((i) => [i.instanceId, i.state]).sort()).toEqual([
      [localRunIds('job-close-a', 1).instanceId, 'running'],
      [localRunIds('job-close-b', 1).instanceId, 'running'],
    ]);
    await Promise.all(seen.instances.map((i) => next.terminateInstance(i.instanceId)));
    for (const r of records) expect(await groupMembers(r.pgid!)).toEqual([]);
    const refused = await fleet.launch(launchOf('job-close-c')).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(LaunchError);
    expect(refused).toMatchObject({ code: 'ShuttingDown', permanent: false });
  });

  test('after a bot restart: a run killed while the bot was down is terminated, a live one running, a reused pid is not ours', async () => {
    const workDir = await newWorkDir();
    // The "bot" is its own process, so that its death leaves the runs without a parent who saw them.
    const botScript = join(scratch, 'fleet-bot.mts');
    await writeFile(
      botScript,
      `import { LocalFleet } from ${JSON.stringify(join(REPO_ROOT, 'bot/adapters/local-fleet.ts'))};
const launches = JSON.parse(process.argv[2]);
const fleet = new LocalFleet({ workDir: ${JSON.stringify(workDir)}, pathEnv: ${JSON.stringify(pathWith(slow))} });
for (const launch of launches) await fleet.launch(launch);
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);
`,
    );
    const launches = [launchOf('job-lost'), launchOf('job-alive')];
    const bot = spawn(process.execPath, ['--import', 'tsx', botScript, JSON.stringify(launches)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bot.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      bot.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      bot.once('exit', (code) => reject(new Error(`fleet bot exited with ${code}: ${stderr}`)));
    });
    const [lost, alive] = await Promise.all([readRecordOf(workDir, 'job-lost'), readRecordOf(workDir, 'job-alive')]);
    groups.add(lost.pgid!).add(alive.pgid!);
    await until(async () => ((await runsNamed(slow, 'job-lost')).length > 0 && (await runsNamed(slow, 'job-alive')).length > 0 ? true : undefined), 'both containers');

    // The bot crashes; its runs carry on without it. Then one of them dies while it is down.
    bot.kill('SIGKILL');
    await new Promise((resolve) => bot.once('exit', resolve));
    expect(await groupMembers(alive.pgid!)).not.toEqual([]);
    process.kill(-lost.pgid!, 'SIGKILL');
    await until(async () => ((await groupMembers(lost.pgid!)).length === 0 ? true : undefined), 'the killed run to go');

    // A record whose pid now belongs to another process (this one) must not be taken for ours.
    const reused = launchOf('job-reused');
    const reusedDir = join(workDir, 'job-reused', '1');
    await mkdir(reusedDir, { recursive: true });
    const reusedRecord: RunRecord = {
      format: 1,
      jobId: 'job-reused',
      attempt: 1,
      ...localRunIds('job-reused', 1),
      clientToken: reused.clientToken,
      instanceType: 't3.micro',
      containerCli: 'docker',
      containerName: 'sched-job-reused-1',
      requestState: 'active',
      state: 'running',
      pid: process.pid,
      pgid: process.pid,
      startMarker: 'a-process-long-gone',
      startedAt: new Date().toISOString(),
    };
    await writeFile(join(reusedDir, 'run.json'), JSON.stringify(reusedRecord));

    const restarted = fleetOn(workDir, slow);
    const { instances, requests } = await restarted.observe();
    const state = (jobId: string) => instances.find((i) => i.jobId === jobId)?.state;
    expect(state('job-lost')).toBe('terminated');
    expect(state('job-alive')).toBe('running');
    expect(state('job-reused')).toBe('terminated');
    expect(requests.map((r) => r.requestId).sort()).toEqual(['local-r-job-alive-1', 'local-r-job-lost-1', 'local-r-job-reused-1']);
    expect(await readRecordOf(workDir, 'job-lost')).toMatchObject({ state: 'ended', endReason: 'lost' });
    expect(await readRecordOf(workDir, 'job-reused')).toMatchObject({ state: 'ended', endReason: 'lost' });
    // The lost run's container may outlive its script under a real engine: it is removed.
    expect(await slow.calls('docker')).toContainEqual(['rm', '-f', 'sched-job-lost-1']);
    expect(await processGone(process.pid)).toBe(false);

    // The live run is adopted: no second process for it, and terminate reaches it.
    expect(await restarted.launch(launchOf('job-alive'))).toMatchObject(localRunIds('job-alive', 1));
    expect(await runsNamed(slow, 'job-alive')).toHaveLength(1);
    await restarted.terminateInstance(localRunIds('job-alive', 1).instanceId);
    expect(await groupMembers(alive.pgid!)).toEqual([]);
    expect((await restarted.observe()).instances.find((i) => i.jobId === 'job-alive')?.state).toBe('terminated');
    expect(await slow.calls('docker')).toContainEqual(['rm', '-f', 'sched-job-alive-1']);
  });

  test('a crash between recording a run and its pid: the script never runs, so the replacement is the only copy', { timeout: 60_000 }, async () => {
    const workDir = await newWorkDir();
    // The bot is its own process, killed at the very point: bash spawned, its pid not yet on disk.
    const botScript = join(scratch, 'fleet-crash-bot.mts');
    await writeFile(
      botScript,
      `import { LocalFleet } from ${JSON.stringify(join(REPO_ROOT, 'bot/adapters/local-fleet.ts'))};
import { writeRecord } from ${JSON.stringify(join(REPO_ROOT, 'bot/adapters/local-runs.ts'))};
const recordWriter = async (dir, record) => {
  if (record.pid === undefined) return writeRecord(dir, record);
  process.stdout.write('pid ' + record.pid + '\\n');
  return new Promise(() => {});
};
const fleet = new LocalFleet({ workDir: ${JSON.stringify(workDir)}, pathEnv: ${JSON.stringify(pathWith(quick))}, recordWriter });
void fleet.launch(JSON.parse(process.argv[2]));
setInterval(() => {}, 1000);
`,
    );
    const bot = spawn(process.execPath, ['--import', 'tsx', botScript, JSON.stringify(launchOf('job-crash'))], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    bot.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const pid = await new Promise<number>((resolve, reject) => {
      bot.stdout.on('data', (chunk: Buffer) => {
        const match = /pid (\d+)/.exec(chunk.toString());
        if (match) resolve(Number(match[1]));
      });
      bot.once('exit', (code) => reject(new Error(`fleet bot exited with ${code}: ${stderr}`)));
    });
    groups.add(pid);
    expect(await readRecordOf(workDir, 'job-crash')).toMatchObject({ state: 'starting' });
    expect(await readRecordOf(workDir, 'job-crash')).not.toHaveProperty('pid');
    bot.kill('SIGKILL');
    await new Promise((resolve) => bot.once('exit', resolve));

    // Its bash goes with it, having run nothing: no agent request, no container.
    await until(async () => ((await groupMembers(pid)).length === 0 ? true : undefined), 'the unrecorded bash to go');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.jobFetches.filter((r) => r.path === '/v1/agent/job-crash')).toEqual([]);
    expect(receiver.requests.filter((r) => r.path === '/v1/notifications/job-crash')).toEqual([]);
    expect(await runsNamed(quick, 'job-crash')).toEqual([]);

    // The restart reads the attempt as lost (the engine then launches attempt 2): the only copy.
    const restarted = fleetOn(workDir, quick);
    expect((await restarted.observe()).instances.find((i) => i.jobId === 'job-crash')?.state).toBe('terminated');
    await restarted.launch(launchOf('job-crash', 2));
    groups.add((await readRecordOf(workDir, 'job-crash', 2)).pgid!);
    await receiver.waitFor((r) => notificationOf('job-crash', 'finished')(r) && r.query.attempt === '2', 10_000);
    expect((await stubsRunsOf('job-crash')).map((argv) => argv[3])).toEqual(['sched-job-crash-2']);
  });

  test('no docker or podman on PATH: a permanent error that says what to do, and nothing started', async () => {
    const workDir = await newWorkDir();
    const empty = await mkdtemp(join(scratch, 'empty-path-'));
    const fleet = new LocalFleet({ workDir, pathEnv: empty });
    const err = await fleet.launch(launchOf('job-nocli')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect(err).toMatchObject({ code: 'ContainerCliMissing', permanent: true, message: NO_CONTAINER_CLI_MESSAGE });
    expect(NO_CONTAINER_CLI_MESSAGE).toBe('neither docker nor podman is installed; install one to run jobs locally');
    expect(await readdir(workDir)).toEqual([]);
    expect(await fleet.observe()).toEqual({ requests: [], instances: [] });
  });

  test('a docker whose daemon does not answer: the job is refused saying why and how to start it, and nothing started', async () => {
    const down = await makeStubBin({ engineDown: true });
    try {
      const workDir = await newWorkDir();
      const fleet = fleetOn(workDir, down);
      const err = await fleet.launch(launchOf('job-down')).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LaunchError);
      expect(err).toMatchObject({
        code: 'ContainerEngineDown',
        permanent: true,
        message:
          'docker does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): start Docker (Docker Desktop, or `sudo systemctl start docker`), then retry the job',
      });
      expect(await readdir(workDir)).toEqual([]);
      expect((await down.calls('docker')).map((argv) => argv[0])).toEqual(['version']);
    } finally {
      await down.cleanup();
    }
  });

  test('an engine that answered is trusted for a minute; one that did not is asked again at the next job', async () => {
    const clock = new FakeClock();
    const answers: (string | undefined)[] = ['daemon stopped', undefined];
    let asked = 0;
    const fleet = fleetOn(await newWorkDir(), quick, { clock, checkEngine: async () => (asked++, answers.shift()) });
    await expect(fleet.launch(launchOf('job-a'))).rejects.toMatchObject({ code: 'ContainerEngineDown', message: 'docker does not answer (daemon stopped): start Docker (Docker Desktop, or `sudo systemctl start docker`), then retry the job' });
    await fleet.launch(launchOf('job-b'));
    await fleet.launch(launchOf('job-c'));
    expect(asked).toBe(2);
    clock.advance(60);
    await fleet.launch(launchOf('job-d'));
    expect(asked).toBe(3);
    await fleet.close();
  });

  test('job ids that could leave the work folder are refused', async () => {
    const fleet = new LocalFleet({ workDir: await newWorkDir(), pathEnv: pathWith(quick) });
    const launch = { ...launchOf('job-x'), jobId: '../escape' };
    await expect(fleet.launch(launch)).rejects.toMatchObject({ code: 'InvalidParameterValue', permanent: true });
  });
});

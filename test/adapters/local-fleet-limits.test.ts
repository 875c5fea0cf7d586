/**
 * Local compute stays local: each container runs with memory, CPU and process limits, and its
 * engine never sees the host user's registry logins (docker's `config.json` auths and credential
 * helpers, podman's auth file) — only what reaches the engine (the current docker context). The
 * real agent script runs against the stub docker/podman of test/harness/agent.ts, which records
 * the argv and the environment of each `run`. On EC2 (no `SCHED_CONTAINER_*`) the script passes
 * no limits.
 */
import { mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalFleet } from '../../bot/adapters/local-fleet.js';
import type { LaunchPlan } from '../../bot/ports.js';
import { makeStubBin, renderServedAgentScript, runAgentScript, startNotificationReceiver, type NotificationReceiver, type StubBin } from '../harness/agent.js';

const TOKEN = 'dG9rZW4.c2lnbmF0dXJl_-';
const LIMITS = { memory: '512m', cpus: '1.5', pids: 512 };

let receiver: NotificationReceiver;
let stubs: StubBin;
let scratch: string;
const groups = new Set<number>();

beforeAll(async () => {
  [receiver, stubs] = await Promise.all([startNotificationReceiver(), makeStubBin({ dockerOutput: 'ok\n' })]);
  scratch = await mkdtemp(join(tmpdir(), 'sched-local-limits-'));
});

afterAll(async () => {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await Promise.all([receiver?.close(), stubs?.cleanup(), scratch && rm(scratch, { recursive: true, force: true })]);
});

function launchOf(jobId: string): LaunchPlan {
  const userData = renderServedAgentScript(receiver, { jobId, attempt: 1, image: 'alpine:3.20', command: ['true'], env: {}, notifyBaseUrl: receiver.url, token: TOKEN });
  return { jobId, attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData, clientToken: `${jobId}.1.0` };
}

/** A host user who has logged in to registries with both CLIs and uses a docker context. */
async function loggedInHome(): Promise<{ home: string; runtime: string }> {
  const home = join(scratch, 'home');
  const runtime = join(scratch, 'runtime');
  await mkdir(join(home, '.docker', 'contexts', 'meta', 'abc'), { recursive: true });
  await writeFile(
    join(home, '.docker', 'config.json'),
    JSON.stringify({ auths: { 'ghcr.io': { auth: 'c2VjcmV0OnRva2Vu' } }, credsStore: 'desktop', credHelpers: { 'gcr.io': 'gcloud' }, currentContext: 'desktop-linux' }),
  );
  await mkdir(join(runtime, 'containers'), { recursive: true });
  await writeFile(join(runtime, 'containers', 'auth.json'), JSON.stringify({ auths: { 'quay.io': { auth: 'c2VjcmV0OnRva2Vu' } } }));
  return { home, runtime };
}

async function runOf(jobId: string) {
  return (await stubs.dockerRuns()).find((r) => r.argv.includes(`sched-${jobId}-1`));
}

async function launchAndWait(fleet: LocalFleet, workDir: string, jobId: string) {
  await fleet.launch(launchOf(jobId));
  const record = JSON.parse(await readFile(join(workDir, jobId, '1', 'run.json'), 'utf8')) as { pgid?: number };
  if (record.pgid) groups.add(record.pgid);
  await receiver.waitFor((r) => r.path === `/v1/notifications/${jobId}` && r.query.status === 'finished', 10_000);
  return (await runOf(jobId))!;
}

describe('local containers', () => {
  test('run with --memory, --cpus and --pids-limit (docker and podman)', async () => {
    for (const cli of ['docker', 'podman'] as const) {
      const workDir = join(scratch, `runs-${cli}`);
      const fleet = new LocalFleet({ workDir, containerCli: cli, pathEnv: `${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, limits: LIMITS, spawnEnv: { HOME: scratch } });
      const run = await launchAndWait(fleet, workDir, `job-limits-${cli}`);
      const flags = run.argv.slice(0, run.argv.indexOf('alpine:3.20'));
      expect(flags.join(' ')).toContain('--memory 512m --cpus 1.5 --pids-limit 512');
      await fleet.close();
    }
  });

  test("get none of the host user's registry logins: an empty auth file, a docker config with only the current context", async () => {
    const { home, runtime } = await loggedInHome();
    const workDir = join(scratch, 'runs-logins');
    // As main.ts passes the bot's environment on (containerEnvFrom): the user's own settings.
    const spawnEnv = { HOME: home, XDG_RUNTIME_DIR: runtime, DOCKER_CONFIG: join(home, '.docker'), REGISTRY_AUTH_FILE: join(runtime, 'containers', 'auth.json') };
    const fleet = new LocalFleet({ workDir, pathEnv: `${stubs.dir}:${process.env.PATH ?? '/usr/bin:/bin'}`, limits: LIMITS, spawnEnv });
    const run = await launchAndWait(fleet, workDir, 'job-logins');
    const runDir = join(workDir, 'job-logins', '1');
    expect(run.env.DOCKER_CONFIG).toBe(join(runDir, 'no-registry-logins'));
    expect(run.env.REGISTRY_AUTH_FILE).toBe(join(runDir, 'no-registry-logins', 'auth.json'));
    expect(JSON.parse(await readFile(run.env.REGISTRY_AUTH_FILE!, 'utf8'))).toEqual({});
    expect(JSON.parse(await readFile(join(run.env.DOCKER_CONFIG!, 'config.json'), 'utf8'))).toEqual({ currentContext: 'desktop-linux' });
    expect(await readlink(join(run.env.DOCKER_CONFIG!, 'contexts'))).toBe(join(home, '.docker', 'contexts'));
    expect((await readdir(run.env.DOCKER_CONFIG!)).sort()).toEqual(['auth.json', 'config.json', 'contexts']);
    // Nothing of the logins anywhere the engine is pointed at.
    for (const value of Object.values(run.env)) expect(value).not.toContain('c2VjcmV0OnRva2Vu');
    await fleet.close();
  });
});

describe('the agent script on EC2', () => {
  test('passes no resource limits (no SCHED_CONTAINER_* set)', async () => {
    const script = renderServedAgentScript(receiver, { jobId: 'job-ec2', attempt: 1, image: 'alpine:3.20', command: ['true'], env: {}, notifyBaseUrl: receiver.url, token: TOKEN });
    const run = await runAgentScript(script, { stubBin: stubs.dir, env: { SCHED_IMDS_URL: 'off', SCHED_HOST_ACTIONS: 'off' }, timeoutMs: 10_000 });
    expect(run.code).toBe(0);
    const container = await runOf('job-ec2');
    for (const flag of ['--memory', '--cpus', '--pids-limit']) expect(container!.argv).not.toContain(flag);
  });
});

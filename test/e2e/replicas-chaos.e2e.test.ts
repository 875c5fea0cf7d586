/**
 * Chaos with two replicas (issue 13, item 1): two bot processes (`npm start`) on one DynamoDB table
 * in moto, EC2 in moto, behind one front door (the address the agents report to), SIGKILLed at
 * random moments and restarted, while jobs are created through the REST API of either one. The
 * test plays AWS's part: every instance moto launches runs the real agent script from its user
 * data (stub docker, fake instance metadata). Afterwards: every job succeeded, one launch per
 * (job, attempt) by the instances' tags, no instance left running, every job's callback under one
 * Idempotency-Key. The figures are printed as one JSON line (SCHED_CHAOS_VERBOSE=1 tells the
 * kills and the jobs' progress as they happen).
 *
 * Each replica reaches moto through its own fault proxy, so a few kills can be aimed at the worst
 * moment: right after a replica's RunInstances, with its DynamoDB calls dropped, so the instance
 * runs and the job never recorded it. The other replica must adopt it, not launch the attempt again.
 */
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand, EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { buildBotBundle } from '../../infra/bot-bundle.js';
import type { PublicJob } from '../../bot/http/public-job.js';
import { makeStubBin, runAgentScript, startFakeImds, startNotificationReceiver, type FakeImds, type NotificationReceiver, type StubBin } from '../harness/agent.js';
import { eventually, freePort, startBot, type BotProcess } from '../harness/bot-process.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { startFrontDoor, type FrontDoor } from '../harness/front-door.js';
import { startMoto, type Moto } from '../harness/moto.js';

vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

const SECRET = 'chaos-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const API_TOKEN = 'chaos-api-token-0123456789abcdefghijklmnopqrstuvw';
const DEPLOYMENT = 'chaos';
const JOBS = 40;
const KILLS = 10;
/** Which kills (by number) are aimed at a launch not yet recorded. */
const AIMED_KILLS = new Set([1, 3, 5]);
const LIVE = new Set(['pending', 'running']);

let moto: Moto;
let ec2: EC2Client;
let imds: FakeImds;
let receiver: NotificationReceiver;
let door: FrontDoor;
let stubs: StubBin;
const ports: number[] = [];
const replicas: (BotProcess | undefined)[] = [undefined, undefined];
const agentRuns: Promise<unknown>[] = [];
const seen = new Set<string>();
let stopInstances = false;
const proxies: FaultProxy[] = [];
/** Set for a replica: its next RunInstances goes through, then its DynamoDB calls are dropped. */
const aimAt: ((() => void) | undefined)[] = [undefined, undefined];
let bundleDir: string | undefined;

function botEnv(i: number): Record<string, string> {
  return {
    SCHED_PORT: String(ports[i]!),
    SCHED_COMPUTE: 'ec2',
    SCHED_STORE: 'dynamodb',
    AWS_ENDPOINT_URL: proxies[i]!.endpoint,
    SCHED_AMI: 'ami-12c6146b',
    SCHED_SECRET: SECRET,
    SCHED_API_TOKEN: API_TOKEN,
    SCHED_DEPLOYMENT: DEPLOYMENT,
    SCHED_PUBLIC_URL: door.url,
    SCHED_POLL_SECONDS: '1',
    SCHED_CALLBACK_ALLOW_PRIVATE: 'true',
    SCHED_INSTANCE_TYPES: 't3.micro',
  };
}

let bundle: string;
const startReplica = async (i: number) => {
  replicas[i] = await startBot(botEnv(i), { readyTimeoutMs: 60_000, bundle });
};

beforeAll(async () => {
  [moto, imds, receiver, stubs] = await Promise.all([startMoto(), startFakeImds(), startNotificationReceiver(), makeStubBin({ dockerOutput: 'done\n', dockerSleepMs: 1500 })]);
  ec2 = new EC2Client(moto.clientConfig);
  // The bot as the bot host runs it (one file, `node sched.cjs`): restarts take seconds, not tsx's compile.
  bundleDir = await mkdtemp(join(tmpdir(), 'sched-chaos-'));
  bundle = buildBotBundle(join(bundleDir, 'sched.cjs')).path;
  ports.push(await freePort(), await freePort());
  proxies.push(await startFaultProxy(moto.endpoint), await startFaultProxy(moto.endpoint));
  armRunInstancesWatch(0);
  armRunInstancesWatch(1);
  door = await startFrontDoor(() => ports.map((p) => `http://127.0.0.1:${p}`));
  // The first start creates the table; the second finds it.
  await startReplica(0);
  await startReplica(1);
}, 120_000);

afterAll(async () => {
  stopInstances = true;
  await Promise.all(replicas.map((r) => r?.stop()));
  await Promise.allSettled(agentRuns);
  await Promise.all([...proxies.map((p) => p.close()), imds?.close(), receiver?.close(), door?.close(), stubs?.cleanup()]);
  await moto?.stop();
  ec2?.destroy();
  if (bundleDir) await rm(bundleDir, { recursive: true, force: true });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are checked field by field
async function api(base: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const tagsOf = (instance: Instance) => Object.fromEntries((instance.Tags ?? []).map((t) => [t.Key, t.Value]));

async function deploymentInstances(): Promise<Instance[]> {
  const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:sched-deployment`, Values: [DEPLOYMENT] }] }));
  return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
}

/** AWS's part: every instance that comes up runs its user data, once. */
async function runInstances(): Promise<void> {
  while (!stopInstances) {
    for (const instance of await deploymentInstances().catch(() => [])) {
      const id = instance.InstanceId!;
      if (seen.has(id) || instance.State?.Name !== 'running') continue;
      seen.add(id);
      const attr = await ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
      const script = Buffer.from(attr.UserData!.Value!, 'base64').toString('utf8');
      agentRuns.push(runAgentScript(script, { stubBin: stubs.dir, env: { SCHED_IMDS_URL: imds.url, SCHED_IMDS_POLL_SECONDS: '5' }, timeoutMs: 180_000 }));
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

const t0 = Date.now();
const note = (what: string) => process.env.SCHED_CHAOS_VERBOSE && console.log(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);
const tally = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.random() * (hi - lo);

/** A rule on replica `i`'s proxy that never answers in moto's place: it only notices the launches it lets through. */
function armRunInstancesWatch(i: number): void {
  const proxy = proxies[i]!;
  proxy.inject({
    service: 'ec2',
    action: 'RunInstances',
    fault: { kind: 'internal' },
    when: () => {
      const aimed = aimAt[i];
      if (aimed) {
        aimAt[i] = undefined;
        proxy.inject({ service: 'dynamodb', fault: { kind: 'drop' } });
        aimed();
      }
      return false;
    },
  });
}

/** Waits (at most 15 s) for replica `i` to launch, and drops its store calls from then on. */
function launchOn(i: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      aimAt[i] = undefined;
      resolve(false);
    }, 15_000);
    aimAt[i] = () => {
      clearTimeout(timer);
      resolve(true);
    };
  });
}

/** Creates a job on replica `i`, or on the other one when `i` does not answer. */
async function createJob(n: number): Promise<void> {
  const runAt = n % 4 === 3 ? new Date(Date.now() + 6_000).toISOString().replace('T', ' ').slice(0, 19) : undefined;
  const body = { docker_image: 'alpine:3.20', command: ['sh', '-c', `work ${n}`], callback: `${receiver.url}/hook`, name: `chaos ${n}`, ...(runAt && { datetime: runAt }) };
  for (let tries = 0; ; tries++) {
    const replica = replicas[(n + tries) % 2];
    try {
      if (!replica) throw new Error('restarting');
      const res = await api(replica.url, 'POST', '/v1/jobs', body);
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      return;
    } catch (err) {
      if (tries > 40) throw err;
      await pause(250);
    }
  }
}

describe('two replicas on one table, killed at random (moto, the real agent)', () => {
  test(`${JOBS} jobs, ${KILLS} SIGKILLs: every job succeeds, one launch per attempt, no instance left, one callback key per job`, async () => {
    const started = Date.now();
    const instancesLoop = runInstances();
    let kills = 0;
    let aimedKills = 0;
    const killsPerReplica = [0, 0];
    const killer = (async () => {
      while (kills < KILLS) {
        await pause(between(1_000, 3_500));
        const i = Math.random() < 0.5 ? 0 : 1;
        const victim = replicas[i];
        if (!victim) continue;
        const aimed = AIMED_KILLS.has(kills + 1) && (await launchOn(i));
        replicas[i] = undefined;
        await victim.crash();
        kills++;
        if (aimed) aimedKills++;
        note(`killed replica ${i} (${kills}${aimed ? ', just after a launch it could not record' : ''})`);
        // The next process starts with a clean line to the store.
        proxies[i]!.reset();
        armRunInstancesWatch(i);
        killsPerReplica[i]!++;
        await pause(between(0, 1_000));
        await startReplica(i);
        note(`restarted replica ${i}`);
      }
    })();
    const creator = (async () => {
      for (let n = 0; n < JOBS; n++) {
        await createJob(n);
        note(`created job ${n}`);
        await pause(between(100, 900));
      }
    })();
    await Promise.all([killer, creator]);
    const killsDoneAt = Date.now();
    note('kills and creations done');

    // Every job ends, its callback delivered.
    const jobs = await eventually(async () => {
      const list = (await api(replicas[0]!.url, 'GET', '/v1/jobs')).json.jobs as PublicJob[];
      note(JSON.stringify(tally(list.map((j) => `${j.status}/${j.callback_state}`))));
      return list.length >= JOBS && list.every((j) => j.status === 'succeeded' && j.callback_state === 'delivered') ? list : undefined;
    }, 'every job succeeded with its callback delivered', 120_000).catch(async (err) => {
      const list = (await api(replicas[0]!.url, 'GET', '/v1/jobs')).json.jobs as PublicJob[];
      console.log(JSON.stringify(list.filter((j) => j.status !== 'succeeded' || j.callback_state !== 'delivered').map((j) => ({ id: j.id, status: j.status, attempts: j.attempts, callback: j.callback_state }))));
      throw err;
    });
    // A create whose replica died before answering may have stored the job: the retry on the other
    // replica makes one more, as any client retrying a POST would. Every one of them must end.
    expect(jobs.length).toBeGreaterThanOrEqual(JOBS);

    // No instance of an ended job left running (the bot terminates it; moto keeps it otherwise).
    const instances = await eventually(async () => {
      const all = await deploymentInstances();
      return all.some((i) => LIVE.has(i.State?.Name ?? '')) ? undefined : all;
    }, 'no instance left running', 60_000);
    stopInstances = true;
    await instancesLoop;

    // One launch per (job, attempt), by the tags the launch put on the instance.
    const launches = new Map<string, number>();
    for (const instance of instances) {
      const tags = tagsOf(instance);
      const key = `${tags['sched-job-id']}#${tags['sched-attempt']}`;
      launches.set(key, (launches.get(key) ?? 0) + 1);
    }
    const duplicated = [...launches].filter(([, count]) => count > 1);
    expect(duplicated).toEqual([]);
    for (const job of jobs) {
      for (let attempt = 1; attempt <= job.attempts; attempt++) expect(launches.get(`${job.id}#${attempt}`), `${job.id} attempt ${attempt}`).toBe(1);
    }

    // Callbacks: every job's under one Idempotency-Key; how often each key came.
    const posts = receiver.requests.filter((r) => r.method === 'POST');
    const keysByJob = new Map<string, Set<string>>();
    const deliveriesByKey = new Map<string, number>();
    for (const post of posts) {
      const jobId = (JSON.parse(post.body) as { job_id: string }).job_id;
      const key = String(post.headers['idempotency-key']);
      keysByJob.set(jobId, (keysByJob.get(jobId) ?? new Set()).add(key));
      deliveriesByKey.set(key, (deliveriesByKey.get(key) ?? 0) + 1);
    }
    expect(new Set(keysByJob.keys())).toEqual(new Set(jobs.map((j) => j.id)));
    expect([...keysByJob].filter(([, keys]) => keys.size !== 1)).toEqual([]);
    // A key comes again only when a replica died (or lost the store) between the receiver's answer
    // and recording it: the next try carries the same key, which is what the key is for.
    const repeated = [...deliveriesByKey.values()].filter((n) => n > 1).length;
    expect(repeated).toBeLessThanOrEqual(kills);

    const attempts = jobs.reduce((sum, j) => sum + j.attempts, 0);
    console.log(
      JSON.stringify({
        metric: 'replicas_chaos',
        jobs: jobs.length,
        createsAnswered: JOBS,
        replicas: 2,
        kills,
        killsPerReplica,
        killsAfterUnrecordedLaunch: aimedKills,
        attempts,
        interruptions: jobs.reduce((sum, j) => sum + j.interruptions, 0),
        launchesPerAttempt: Math.max(...launches.values()),
        instances: instances.length,
        orphansLeftRunning: 0,
        callbacks: posts.length,
        callbackKeys: deliveriesByKey.size,
        keysRepeated: repeated,
        frontDoor: door.stats,
        seconds: { total: (Date.now() - started) / 1000, afterKills: (Date.now() - killsDoneAt) / 1000 },
      }),
    );
  });
});

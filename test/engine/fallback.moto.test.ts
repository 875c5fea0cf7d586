/**
 * On-demand on purpose and --retry-exit, end to end through the engine: the EC2 fleet talks to moto
 * through the fault proxy, which refuses spot launches for capacity as AWS does. What the tests
 * read is what EC2 was asked: the RunInstances parameters as the proxy saw them, and the
 * instances moto then lists.
 */
import { DescribeInstancesCommand, type EC2Client, type Instance, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { systemClock } from '../../bot/clock.js';
import { JobStatus, type Job, type JobSpec } from '../../bot/core/job.js';
import { Engine } from '../../bot/engine/engine.js';
import { motoBehindFaultProxy, type ProxiedRequest } from '../harness/fault-proxy.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const world = motoBehindFaultProxy();
const DEPLOYMENT = 'fallback';

interface SeenLaunch {
  at: number;
  market: string;
  params: Readonly<Record<string, string>>;
}

let client: EC2Client;
let engine: Engine;
let store: MemoryJobStore;
/** Every RunInstances the proxy saw, refused or not, with its market. */
let launches: SeenLaunch[];

beforeEach(() => {
  client = createEc2Client({ ...world.proxy.clientConfig, maxAttempts: 3 });
  store = new MemoryJobStore();
  launches = [];
  // A delay of 0 that matches nothing: it only records what each RunInstances asked for.
  world.proxy.delay({
    ms: 0,
    service: 'ec2',
    action: 'RunInstances',
    when: (request: ProxiedRequest) => {
      launches.push({ at: Date.now(), market: request.params['InstanceMarketOptions.MarketType'] ?? 'on-demand', params: request.params });
      return false;
    },
  });
  engine = new Engine({
    store,
    fleet: new Ec2Fleet({ client, deployment: DEPLOYMENT, amiId: 'ami-12c6146b', subnetIds: [], securityGroupIds: [] }),
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: { jobChanged: async () => undefined },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    secret: 'fallback-test-secret-0123456789abcdefghij',
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: 30,
    compute: 'ec2',
  });
});

afterEach(async () => {
  await engine.stop();
  client.destroy();
});

/** No spot capacity for `instanceType` in any zone; on-demand launches go through. */
function refuseSpot(instanceType: string): void {
  world.proxy.refuseCapacity({ instanceType, when: (request) => request.params['InstanceMarketOptions.MarketType'] === 'spot' });
}

function createJob(spec: Partial<JobSpec>): Promise<Job> {
  return engine.createJob({
    spec: { image: 'alpine:3.20', command: ['true'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3, ...spec },
    runAt: new Date().toISOString(),
    owner: { kind: 'api', id: 'api' },
  });
}

async function instance(instanceId: string): Promise<Instance> {
  const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [instanceId] }));
  return out.Reservations![0]!.Instances![0]!;
}

const marketOptionKeys = (launch: SeenLaunch) => Object.keys(launch.params).filter((key) => key.startsWith('InstanceMarketOptions'));

async function until<T>(read: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('on-demand on purpose, against moto behind the fault proxy', () => {
  test('--on-demand-after 1: after the spot instance is reclaimed, the next attempt launches with no market options', async () => {
    const job = await createJob({ onDemandAfter: 1 });
    expect(job.market).toBe('spot');
    const first = await instance(job.instanceId!);
    expect(first.InstanceLifecycle).toBe('spot');
    await engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });

    // AWS reclaims the spot instance; the next pass sees it terminated.
    await client.send(new TerminateInstancesCommand({ InstanceIds: [job.instanceId!] }));
    await engine.reconcileOnce();
    const next = (await store.get(job.id))!;
    expect(next).toMatchObject({ attempt: 2, interruptions: 1, market: 'on-demand' });
    expect(next.events.some((e) => e.kind === 'on-demand')).toBe(true);

    expect(launches.map((l) => l.market)).toEqual(['spot', 'on-demand']);
    expect(marketOptionKeys(launches[1]!)).toEqual([]);
    expect(launches[1]!.params.ClientToken).toMatch(new RegExp(`^${job.id}\\.2\\.0\\.od`));
    const second = await instance(next.instanceId!);
    expect(second.InstanceLifecycle).toBeUndefined();
    expect(second.MetadataOptions?.HttpTokens).toBe('required');
  });

  test('--on-demand-wait 2s: no spot capacity anywhere, so on-demand is launched when the wait is over, not at the next pass', async () => {
    refuseSpot('t3.micro');
    const job = await createJob({ onDemandWaitSeconds: 2 });
    expect(job.status).toBe(JobStatus.Requested);
    expect(job.capacityRefusedSince).toBeDefined();

    const onDemand = await until(async () => launches.find((l) => l.market === 'on-demand'), 'the on-demand RunInstances');
    const firstRefusal = world.proxy.requests.find((r) => r.action === 'RunInstances' && r.outcome === 'refused')!;
    const seconds = (onDemand.at - firstRefusal.at) / 1000;
    console.log(JSON.stringify({ metric: 'no_spot_capacity_to_on_demand_launch', wait_seconds: 2, seconds }));
    expect(seconds).toBeGreaterThanOrEqual(1.9);
    expect(seconds).toBeLessThan(5);
    expect(marketOptionKeys(onDemand)).toEqual([]);

    const launched = await until(async () => ((await store.get(job.id))?.instanceId ? store.get(job.id) : undefined), 'the on-demand instance recorded');
    expect(launched).toMatchObject({ attempt: 1, market: 'on-demand', interruptions: 0 });
    expect((await instance(launched!.instanceId!)).InstanceLifecycle).toBeUndefined();
  });

  test('--retry-exit 137: the exit code starts attempt 2 (the old instance terminated); a later exit 0 succeeds', async () => {
    const job = await createJob({ retryExitCodes: [137, 143] });
    await engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    await engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 137, logTail: 'Killed\n' });

    const retried = (await store.get(job.id))!;
    expect(retried).toMatchObject({ status: JobStatus.Requested, attempt: 2, interruptions: 1 });
    expect(retried.instanceId).toBeDefined();
    expect(retried.instanceId).not.toBe(job.instanceId);
    expect(['shutting-down', 'terminated']).toContain((await instance(job.instanceId!)).State?.Name);
    expect(launches).toHaveLength(2);

    await engine.agentReport({ jobId: job.id, status: 'started', attempt: 2 });
    await engine.agentReport({ jobId: job.id, status: 'finished', attempt: 2, exitCode: 0 });
    expect((await store.get(job.id))!).toMatchObject({ status: JobStatus.Succeeded, exitCode: 0, attempt: 2 });
  });
});

/**
 * Dry runs (`POST /v1/jobs` with `"dry_run": true`, `/sched run --dry-run`): the plan comes back,
 * nothing is stored and nothing launched. Against the in-memory engine and twin fleet, and against
 * moto behind the fault proxy, where the proxy counts that no RunInstances was sent.
 */
import { CreateSubnetCommand, CreateVpcCommand } from '@aws-sdk/client-ec2';
import pino from 'pino';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { createEc2Client } from '../../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { executeCommand } from '../../bot/commands/execute.js';
import type { CommandDeps } from '../../bot/commands/types.js';
import { onDemandPriceTable } from '../../bot/core/on-demand-prices.js';
import { parseCommand } from '../../bot/core/parsing/grammar.js';
import { RunPlanner } from '../../bot/engine/run-planner.js';
import { buildHttpServer } from '../../bot/http/server.js';
import type { Fleet } from '../../bot/ports.js';
import { renderOutcome } from '../../bot/slack/reply.js';
import { renderOutcomeLines } from '../../bot/terminal/reply.js';
import { FakeClock } from '../harness/clock.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';
import { memoryReplica } from '../harness/memory-engine.js';

vi.setConfig({ testTimeout: 30_000, hookTimeout: 60_000 });

const NOW = new Date('2026-03-01T12:00:00.000Z');
const API_TOKEN = 'api-token-0123456789abcdef-dry-run';
const PUBLIC_URL = 'http://127.0.0.1:9';
const DEFAULTS = { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

function world(planFleet?: Fleet) {
  const clock = new FakeClock(NOW);
  const replica = memoryReplica({ clock });
  replica.fleet.pricePerHour = 0.0031;
  replica.fleet.onDemandPricePerHour = 0.0104;
  const planner = new RunPlanner({ fleet: planFleet ?? replica.fleet, publicUrl: PUBLIC_URL });
  const app = buildHttpServer({
    jobs: replica.engine,
    secret: 'dry-run-secret-0123456789abcdefghijkl',
    apiToken: API_TOKEN,
    defaults: DEFAULTS,
    clock,
    logger: pino({ level: 'silent' }),
    planner,
  });
  return { ...replica, app, planner, clock };
}

const post = (app: ReturnType<typeof world>['app'], body: unknown) =>
  app.inject({ method: 'POST', url: '/v1/jobs', headers: { authorization: `Bearer ${API_TOKEN}` }, payload: body as object });

let opened: ReturnType<typeof world>[] = [];
afterEach(async () => {
  for (const w of opened) await w.app.close();
  opened = [];
});
function open(planFleet?: Fleet) {
  const w = world(planFleet);
  opened.push(w);
  return w;
}

describe('REST dry run', () => {
  test('answers 200 with the plan; no job stored, nothing launched', async () => {
    const w = open();
    const res = await post(w.app, { docker_image: 'alpine', dry_run: true, instance_types: 't3.micro,t3.small', datetime: '2026-03-01 13:00:00' });
    expect(res.statusCode).toBe(200);
    expect(res.headers.location).toBeUndefined();
    expect(res.json()).toEqual({
      dry_run: true,
      datetime: '2026-03-01 13:00:00',
      docker_image: 'alpine',
      instance_types: ['t3.micro', 't3.small'],
      pools: [
        { instance_type: 't3.micro', zone: 'memory-1a', spot_price_usd_per_hour: 0.0031, on_demand_price_usd_per_hour: 0.0104 },
        { instance_type: 't3.small', zone: 'memory-1a', spot_price_usd_per_hour: 0.0031, on_demand_price_usd_per_hour: 0.0104 },
      ],
      estimated_usd_per_hour: 0.0031,
      estimated_usd_per_hour_max: 0.0031,
      on_demand_usd_per_hour: 0.0104,
    });
    expect(await w.store.listCreatedSince('2000-01-01T00:00:00.000Z', 100)).toEqual([]);
    expect(await w.store.listActive()).toEqual([]);
    expect(w.fleet.calls.map((c) => c.op)).toEqual(['quote']);
  });

  test('validates as a real run: a bad request is 400 and the fleet is not asked', async () => {
    const w = open();
    const res = await post(w.app, { docker_image: 'NOT VALID', dry_run: true });
    expect(res.statusCode).toBe(400);
    expect(w.fleet.calls).toEqual([]);
  });

  test.each([['yes'], [1], [{}]])('dry_run %j is refused', async (value) => {
    const w = open();
    const res = await post(w.app, { docker_image: 'alpine', dry_run: value });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { error: { problems: string[] } }).error.problems.join('\n')).toMatch(/^dry_run: must be true or false/m);
    expect(await w.store.listActive()).toEqual([]);
  });

  test('dry_run false or null is a real run (201)', async () => {
    for (const value of [false, null]) {
      const w = open();
      const res = await post(w.app, { docker_image: 'alpine', dry_run: value });
      expect(res.statusCode).toBe(201);
    }
  });
});

describe('chat dry run', () => {
  test('run --dry-run replies with the pools and their prices on Slack and in the terminal, and creates nothing', async () => {
    const w = open();
    const deps: CommandDeps = { jobs: w.engine, schedules: w.scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [] }, clock: w.clock, planner: w.planner, limits: { activeJobsPerUser: 1, schedulesPerUser: 1 } };
    const parsed = parseCommand('run --dry-run --cron "0 9 * * 1-5" --type t3.micro,t3.small alpine echo hi', { now: NOW, defaults: DEFAULTS });
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const outcome = await executeCommand(parsed.command, { surface: 'slack', userId: 'U123', channelId: 'C123' }, deps);
    expect(outcome.kind).toBe('run-plan');
    const slack = JSON.stringify(renderOutcome(outcome, { now: NOW }).blocks);
    expect(slack).toContain('t3.micro in memory-1a: spot $0.0031/h, on-demand $0.0104/h');
    expect(slack).toContain('t3.small in memory-1a');
    expect(slack).toContain('2026-03-02 09:00 UTC');
    expect(slack).toContain('nothing was started');
    const lines = renderOutcomeLines(outcome, { now: NOW }).join('\n');
    expect(lines).toContain('t3.micro in memory-1a: spot $0.0031/h, on-demand $0.0104/h');
    expect(lines).toMatch(/Estimated cost\s+≈ \$0.0031 per hour/);
    expect(await w.scheduler.listSchedules()).toEqual([]);
    expect(await w.store.listActive()).toEqual([]);
  });
});

describe('the --dry-run flag', () => {
  test('is a flag: no value, anywhere among the options; absent, a run is real', () => {
    const flagged = parseCommand('run --in 10m --dry-run -e A=1 alpine', { now: NOW, defaults: DEFAULTS });
    expect(flagged.ok && flagged.command).toMatchObject({ kind: 'run', dryRun: true, when: { kind: 'at' } });
    const plain = parseCommand('run alpine --dry-run', { now: NOW, defaults: DEFAULTS });
    expect(plain.ok && plain.command).toMatchObject({ kind: 'run', spec: { command: ['--dry-run'] } });
    expect(plain.ok && 'dryRun' in plain.command).toBe(false);
  });

  test.each(['--dry-run=yes', '--dry-run=true', '--dry-run='])('%s is refused', (flag) => {
    const parsed = parseCommand(`run ${flag} alpine`, { now: NOW, defaults: DEFAULTS });
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toBe('--dry-run takes no value; write --dry-run alone');
  });

  test('given twice is refused', () => {
    const parsed = parseCommand('run --dry-run --dry-run alpine', { now: NOW, defaults: DEFAULTS });
    expect(!parsed.ok && parsed.error).toMatch(/given twice/);
  });
});

describe('dry run against moto', () => {
  const aws = motoBehindFaultProxy();

  test('every pool (type × subnet zone) with its spot price and the operator\'s on-demand price; zero RunInstances', async () => {
    const client = createEc2Client({ ...aws.proxy.clientConfig, ec2RateLimit: false });
    const vpc = await client.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    const subnetIds: string[] = [];
    for (const [cidr, az] of [['10.0.0.0/20', 'us-west-2a'], ['10.0.16.0/20', 'us-west-2b']] as const) {
      const subnet = await client.send(new CreateSubnetCommand({ VpcId: vpc.Vpc!.VpcId!, CidrBlock: cidr, AvailabilityZone: az }));
      subnetIds.push(subnet.Subnet!.SubnetId!);
    }
    const fleet = new Ec2Fleet({ client, deployment: 'dryrun', amiId: 'ami-12c6146b', subnetIds, securityGroupIds: [], onDemandPrices: onDemandPriceTable({ 't3.small': 0.0199 }) });
    aws.proxy.resetCounts();
    const w = open(fleet);
    const res = await post(w.app, { docker_image: 'alpine', dry_run: true, instance_types: ['t3.micro', 't3.small'] });
    expect(res.statusCode).toBe(200);
    const plan = res.json() as { pools: { instance_type: string; zone: string; spot_price_usd_per_hour: number | null; on_demand_price_usd_per_hour: number | null }[]; estimated_usd_per_hour: number };
    expect(plan.pools.map((p) => `${p.instance_type}/${p.zone}`).sort()).toEqual(['t3.micro/us-west-2a', 't3.micro/us-west-2b', 't3.small/us-west-2a', 't3.small/us-west-2b']);
    for (const pool of plan.pools) expect(pool.spot_price_usd_per_hour).toBeGreaterThan(0);
    // The default table for t3.micro, the operator's price for t3.small.
    expect(plan.pools.find((p) => p.instance_type === 't3.micro')!.on_demand_price_usd_per_hour).toBe(0.0104);
    expect(plan.pools.find((p) => p.instance_type === 't3.small')!.on_demand_price_usd_per_hour).toBe(0.0199);
    expect(plan.estimated_usd_per_hour).toBe(Math.min(...plan.pools.map((p) => p.spot_price_usd_per_hour!)));
    expect(aws.proxy.count({ action: 'RunInstances' })).toBe(0);
    expect(aws.proxy.count({ action: 'DescribeSpotPriceHistory' })).toBe(1);
    expect(await w.store.listActive()).toEqual([]);
    client.destroy();
  });
});

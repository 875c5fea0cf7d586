/**
 * The start-up launch permission check (bot/adapters/ec2-launch-check.ts): a DryRun RunInstances
 * against moto (which answers DryRunOperation, HTTP 412, as EC2 does, and launches nothing), a
 * refusal and a network failure from the fault proxy (moto does not evaluate IAM), the retries, and
 * what /healthz says of each.
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import Fastify from 'fastify';
import { describe, expect, test } from 'vitest';
import { checkLaunchPermission, launchCheckInput, LaunchPermissionCheck, type LaunchPermission } from '../../bot/adapters/ec2-launch-check.js';
import { registerHealthRoutes } from '../../bot/http/health.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';

const SETTINGS = { deployment: 'sched-check', amiId: 'ami-12c6146b', securityGroupIds: [] };
const POOL = { instanceType: 't3.micro' };
const ENCODED = 'Encoded authorization failure message: 4FwXz9SecretlyEncodedReason';
const silent = { info: () => {}, warn: () => {}, error: () => {} };

describe('checkLaunchPermission', () => {
  const aws = motoBehindFaultProxy();

  test('moto answers DryRunOperation: ok, one RunInstances with DryRun, nothing launched', async () => {
    const client = new EC2Client(aws.proxy.clientConfig);
    const result = await checkLaunchPermission(client, SETTINGS, POOL, () => new Date('2026-11-29T10:00:00Z'));
    expect(result).toEqual({ state: 'ok', detail: 'a spot launch of t3.micro is allowed (RunInstances DryRun)', checkedAt: '2026-11-29T10:00:00.000Z' });
    expect(aws.proxy.requests.filter((r) => r.action === 'RunInstances').map((r) => r.status)).toEqual([412]);
    const instances = await new EC2Client(aws.moto.clientConfig).send(new DescribeInstancesCommand({}));
    expect(instances.Reservations ?? []).toEqual([]);
  });

  test('the dry run is a job\u2019s real spot launch, tags at launch and IMDSv2 included, without a ClientToken', () => {
    const input = launchCheckInput({ ...SETTINGS, securityGroupIds: ['sg-1'], instanceProfile: 'arn:aws:iam::1:instance-profile/w' }, { instanceType: 't3.micro', subnetId: 'subnet-1' });
    expect(input).toMatchObject({
      DryRun: true,
      ImageId: 'ami-12c6146b',
      InstanceType: 't3.micro',
      SubnetId: 'subnet-1',
      SecurityGroupIds: ['sg-1'],
      IamInstanceProfile: { Arn: 'arn:aws:iam::1:instance-profile/w' },
      InstanceMarketOptions: { MarketType: 'spot' },
      MetadataOptions: { HttpTokens: 'required' },
    });
    expect(input.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume', 'spot-instances-request']);
    expect(input).not.toHaveProperty('ClientToken');
  });

  test('UnauthorizedOperation: refused; the detail names no account, the log message keeps EC2\u2019s', async () => {
    aws.proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'error', status: 403, code: 'UnauthorizedOperation', message: `You are not authorized to perform this operation. User: arn:aws:sts::123456789012:assumed-role/bot is not authorized. ${ENCODED}` } });
    const result = await checkLaunchPermission(new EC2Client(aws.proxy.clientConfig), SETTINGS, { instanceType: 't3.micro', subnetId: 'subnet-0aaa' });
    expect(result.state).toBe('refused');
    expect(result.detail).toBe("RunInstances of t3.micro in subnet-0aaa is refused (UnauthorizedOperation): the bot's IAM policy does not allow this launch; the log has EC2's message");
    expect(result.message).toContain(ENCODED);
  });

  test('a dropped connection or throttling: unknown, with the code', async () => {
    aws.proxy.inject({ service: 'ec2', action: 'RunInstances', times: 1, fault: { kind: 'throttle' } });
    const throttled = await checkLaunchPermission(new EC2Client(aws.proxy.clientConfig), SETTINGS, POOL);
    expect(throttled).toMatchObject({ state: 'unknown', detail: 'RunInstances DryRun of t3.micro answered RequestLimitExceeded' });
    aws.proxy.inject({ service: 'ec2', action: 'RunInstances', times: 1, fault: { kind: 'drop' } });
    const dropped = await checkLaunchPermission(new EC2Client(aws.proxy.clientConfig), SETTINGS, POOL);
    expect(dropped.state).toBe('unknown');
  });
});

describe('LaunchPermissionCheck', () => {
  const answers = (...states: LaunchPermission['state'][]) => {
    let calls = 0;
    const probe = async (): Promise<LaunchPermission> => ({ state: states[Math.min(calls++, states.length - 1)]!, detail: `answer ${calls}`, checkedAt: 'now' });
    return { probe, calls: () => calls };
  };
  const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  test('says "not checked yet" before the first answer, retries an unknown one, stops at ok', async () => {
    const { probe, calls } = answers('unknown', 'unknown', 'ok');
    const check = new LaunchPermissionCheck({ probe, logger: silent, retryUnknownMs: 5, recheckRefusedMs: 10_000 });
    expect(check.current()).toEqual({ state: 'unknown', detail: 'not checked yet' });
    expect((await check.start()).state).toBe('unknown');
    await settle(100);
    expect(check.current().state).toBe('ok');
    expect(calls()).toBe(3);
    check.stop();
  });

  test('checks a refusal again later (a policy fixed in IAM needs no restart), and logs it as an error', async () => {
    const { probe, calls } = answers('refused', 'ok');
    const errors: string[] = [];
    const check = new LaunchPermissionCheck({ probe, logger: { ...silent, error: (_o, msg) => errors.push(msg) }, retryUnknownMs: 10_000, recheckRefusedMs: 5 });
    await check.start();
    expect(errors).toEqual(['launch permission: refused, every job will fail to launch until the IAM policy allows it']);
    await settle(100);
    expect(check.current().state).toBe('ok');
    expect(calls()).toBe(2);
  });

  test('a probe that throws is unknown, and stop() ends the retries', async () => {
    let calls = 0;
    const check = new LaunchPermissionCheck({ probe: async () => { calls++; throw new Error('boom'); }, logger: silent, retryUnknownMs: 5 });
    expect(await check.start()).toMatchObject({ state: 'unknown', detail: 'the check failed: Error: boom' });
    check.stop();
    await settle(50);
    expect(calls).toBe(1);
  });
});

describe('/healthz with the launch permission', () => {
  async function healthz(launch?: LaunchPermission) {
    const app = Fastify();
    registerHealthRoutes(app, launch ? { launchPermission: () => launch } : {});
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    await app.close();
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  }

  test('local compute: 200 { ok: true } as before', async () => {
    expect(await healthz()).toEqual({ status: 200, body: { ok: true } });
  });

  test('ok and unknown: 200, ok: true, with checks.launch_permission', async () => {
    expect(await healthz({ state: 'ok', detail: 'allowed', checkedAt: '2026-11-29T10:00:00.000Z' })).toEqual({
      status: 200,
      body: { ok: true, checks: { launch_permission: { state: 'ok', detail: 'allowed', checked_at: '2026-11-29T10:00:00.000Z' } } },
    });
    expect(await healthz({ state: 'unknown', detail: 'not checked yet' })).toEqual({
      status: 200,
      body: { ok: true, checks: { launch_permission: { state: 'unknown', detail: 'not checked yet', checked_at: null } } },
    });
  });

  test('refused: 503, ok: false; EC2\u2019s message is not shown', async () => {
    const res = await healthz({ state: 'refused', detail: 'refused (UnauthorizedOperation)', message: ENCODED, checkedAt: 't' });
    expect(res).toEqual({ status: 503, body: { ok: false, checks: { launch_permission: { state: 'refused', detail: 'refused (UnauthorizedOperation)', checked_at: 't' } } } });
  });
});

/**
 * The bot's EC2 client through the fault proxy in front of moto: throttling and server faults are
 * retried by the SDK's adaptive strategy (a capacity refusal is not: see ec2-fleet.test.ts).
 */
import { RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { createEc2Client, DEFAULT_MAX_ATTEMPTS } from '../../bot/adapters/aws-clients.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';

const world = motoBehindFaultProxy();

function botClient() {
  const { endpoint, region, credentials } = world.proxy.clientConfig;
  return createEc2Client({ endpoint, region, credentials, ec2RateLimit: false });
}

const runOne = (instanceType: string) =>
  botClient().send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: instanceType as _InstanceType, InstanceMarketOptions: { MarketType: 'spot' } }));

describe('the EC2 client', () => {
  test('throttling and server faults are still retried by the SDK', async () => {
    expect(DEFAULT_MAX_ATTEMPTS).toBeGreaterThan(2);
    world.proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'throttle' }, times: 1 });
    world.proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'unavailable' }, times: 1 });
    const out = await runOne('m6g.medium');
    expect(out.Instances).toHaveLength(1);
    expect(world.proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(2);
    expect(world.proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
  }, 30_000);
});

/**
 * The bot's EC2 client through the fault proxy in front of moto: what its retries do with a pool
 * that has no capacity (nothing: the launch tries the next pool) and with everything else (the
 * SDK's adaptive retries, unchanged).
 */
import { RunInstancesCommand, type _InstanceType } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { createEc2Client, DEFAULT_MAX_ATTEMPTS } from '../../bot/adapters/aws-clients.js';
import { isCapacityError } from '../../bot/adapters/aws-errors.js';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.js';
import { startMoto, type Moto } from '../harness/moto.js';

let moto: Moto;
let proxy: FaultProxy;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startFaultProxy(moto.endpoint);
});
afterAll(async () => {
  await proxy?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.clearRules();
  proxy.resetCounts();
});

function botClient() {
  const { endpoint, region, credentials } = proxy.clientConfig;
  return createEc2Client({ endpoint, region, credentials, ec2RateLimit: false });
}

const runOne = (instanceType: string) =>
  botClient().send(new RunInstancesCommand({ ImageId: 'ami-12c6146b', MinCount: 1, MaxCount: 1, InstanceType: instanceType as _InstanceType, InstanceMarketOptions: { MarketType: 'spot' } }));

describe('the EC2 client', () => {
  test('a pool without capacity is refused once: no retry spends more RunInstances tokens on it', async () => {
    proxy.refuseCapacity({ instanceType: 'm7g.medium' });
    const err = await runOne('m7g.medium').then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isCapacityError(err)).toBe(true);
    expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(1);
    // The launch's next pool goes out at once.
    await runOne('m6g.medium');
    expect(proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
  });

  test('throttling and server faults are still retried by the SDK', async () => {
    expect(DEFAULT_MAX_ATTEMPTS).toBeGreaterThan(2);
    proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'throttle' }, times: 1 });
    proxy.inject({ service: 'ec2', action: 'RunInstances', fault: { kind: 'unavailable' }, times: 1 });
    const out = await runOne('m6g.medium');
    expect(out.Instances).toHaveLength(1);
    expect(proxy.count({ action: 'RunInstances', outcome: 'refused' })).toBe(2);
    expect(proxy.count({ action: 'RunInstances', outcome: 'forwarded' })).toBe(1);
  }, 30_000);
});

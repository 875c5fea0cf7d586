/**
 * A cancel right after launch, before any tick has observed (or tagged) anything: the instance is
 * terminated, on moto, and IAM allows it, because the instance carries this deployment's tag from
 * the launch itself (TagSpecifications), which is what the policy's aws:ResourceTag condition on
 * TerminateInstances reads. (Before tags at launch, the bot tagged instances on its next tick, and a
 * cancel in between was refused.)
 */
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { botPolicy } from '../../infra/policies.js';
import { isAllowed, resourceTagContext } from '../infra/iam-simulator.js';
import { INPUT } from '../infra/policy-fixture.js';
import { motoBehindFaultProxy } from '../harness/fault-proxy.js';

describe('cancel right after launch', () => {
  const aws = motoBehindFaultProxy();

  test('terminates the instance, tagged at launch, and the policy allows that terminate', async () => {
    const client = new EC2Client(aws.proxy.clientConfig);
    // moto refuses an instance profile it does not hold: the profile is the policy fixture's, below.
    const fleet = new Ec2Fleet({ client, deployment: INPUT.deployment, amiId: 'ami-12c6146b', subnetIds: [], securityGroupIds: [] });
    const launched = await fleet.launch({ jobId: 'job-cancel', attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData: '#!/bin/sh\n', clientToken: 'job-cancel-1' });
    await fleet.terminateInstance(launched.instanceId!);

    const calls = aws.proxy.requests.map((r) => r.action).filter((a) => a === 'RunInstances' || a === 'TerminateInstances' || a === 'CreateTags');
    expect(calls).toEqual(['RunInstances', 'TerminateInstances']);
    const [instance] = (await new EC2Client(aws.moto.clientConfig).send(new DescribeInstancesCommand({ InstanceIds: [launched.instanceId!] }))).Reservations?.[0]?.Instances ?? [];
    expect(['shutting-down', 'terminated']).toContain(instance?.State?.Name);

    const tags = Object.fromEntries((instance?.Tags ?? []).map((t) => [t.Key!, t.Value!]));
    expect(tags['sched-deployment']).toBe(INPUT.deployment);
    const terminate = {
      action: 'ec2:TerminateInstances',
      resource: `arn:aws:ec2:${INPUT.region}:${INPUT.accountId}:instance/${launched.instanceId}`,
      context: { ...resourceTagContext(tags), 'ec2:InstanceProfile': INPUT.workerInstanceProfileArn },
    };
    expect(isAllowed(botPolicy(INPUT), terminate)).toBe(true);
    // Without the tags at launch, the same terminate is refused.
    expect(isAllowed(botPolicy(INPUT), { ...terminate, context: { 'ec2:InstanceProfile': INPUT.workerInstanceProfileArn } })).toBe(false);
  });
});

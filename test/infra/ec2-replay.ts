/**
 * The EC2 calls bot/adapters/ec2-fleet.ts really makes, recorded from a fake client: a launch (its
 * Describe calls and RunInstances), the start-up DryRun launch check, one observe (which tags a
 * legacy spot request's instance), a terminate, a cancel, and a terminate of the instance just
 * launched (a cancel before any tick). The policy tests replay them against the IAM policy and
 * against the Service Authorization Reference (infra/iam-reference.ts).
 */
import {
  DescribeInstancesCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  RunInstancesCommand,
  type Tag,
} from '@aws-sdk/client-ec2';
import { vi } from 'vitest';
import { Ec2Fleet } from '../../bot/adapters/ec2-fleet.js';
import { SCHED_TAG_KEYS } from '../../bot/core/facts.js';
import type { Market } from '../../bot/core/lifecycle/observation.js';
import type { BotPolicyInput } from '../../infra/policies.js';

export interface SentCall {
  /** The SDK command's class name, `RunInstancesCommand`. */
  command: string;
  input: Record<string, unknown>;
}

/** The instance the replayed launch gets, which is then terminated at once. */
export const LAUNCHED_INSTANCE_ID = 'i-0123456789abcdef1';
/** A legacy spot request's instance, tagged by observe. */
export const LEGACY_INSTANCE_ID = 'i-0123456789abcdef0';
export const LEGACY_REQUEST_ID = 'sir-12345678';

/** `ec2:RunInstances` for `RunInstancesCommand`. */
export function actionOf(call: SentCall): string {
  return `ec2:${call.command.replace(/Command$/, '')}`;
}

function fakeEc2(input: BotPolicyInput, region: string): { client: EC2Client; sent: SentCall[] } {
  const sent: SentCall[] = [];
  const client = new EC2Client({ region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const legacyTags: Tag[] = [
    { Key: SCHED_TAG_KEYS.jobId, Value: 'j-0' },
    { Key: SCHED_TAG_KEYS.attempt, Value: '1' },
    { Key: SCHED_TAG_KEYS.deployment, Value: input.deployment },
  ];
  vi.spyOn(client, 'send').mockImplementation((async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
    sent.push({ command: command.constructor.name, input: command.input });
    if (command instanceof DescribeSubnetsCommand) {
      return { Subnets: input.subnetIds.map((id, i) => ({ SubnetId: id, AvailabilityZone: `${region}${'ab'[i]}` })) };
    }
    if (command instanceof RunInstancesCommand) {
      if (command.input.DryRun) throw Object.assign(new Error('Request would have succeeded, but DryRun flag is set.'), { name: 'DryRunOperation', $fault: 'client', $metadata: { httpStatusCode: 412 } });
      return { Instances: [{ InstanceId: LAUNCHED_INSTANCE_ID, SpotInstanceRequestId: 'sir-87654321', Placement: { AvailabilityZone: `${region}a` } }] };
    }
    if (command instanceof DescribeSpotInstanceRequestsCommand) {
      // A legacy request (RequestSpotInstances, before RunInstances) whose instance is not tagged yet.
      return {
        SpotInstanceRequests: [
          { SpotInstanceRequestId: LEGACY_REQUEST_ID, State: 'active', InstanceId: LEGACY_INSTANCE_ID, Tags: legacyTags, LaunchSpecification: { InstanceType: 'm7g.medium' }, LaunchedAvailabilityZone: `${region}a` },
        ],
      };
    }
    if (command instanceof DescribeInstancesCommand) return { Reservations: [] };
    return {};
  }) as never);
  return { client, sent };
}

/** Drives an Ec2Fleet configured from the policy's input through every kind of call it makes. */
export async function driveFleet(input: BotPolicyInput, region: string, market: Market = 'spot'): Promise<SentCall[]> {
  const { client, sent } = fakeEc2(input, region);
  const fleet = new Ec2Fleet({
    client,
    deployment: input.deployment,
    amiId: input.workerImageId,
    subnetIds: [...input.subnetIds],
    securityGroupIds: [input.workerSecurityGroupId],
    instanceProfile: input.workerInstanceProfileArn,
  });
  await fleet.checkLaunchPermission(input.allowedInstanceTypes[0]!);
  const launched = await fleet.launch({ jobId: 'j-1', attempt: 2, market, pools: [{ instanceType: 'm7g.medium' }], userData: '#!/bin/bash\n', clientToken: 'j-1.2', maxPrice: '0.05' });
  // Cancelled right after launch, before any tick.
  await fleet.terminateInstance(launched.instanceId!);
  await fleet.observe();
  await fleet.terminateInstance(LEGACY_INSTANCE_ID);
  await fleet.cancelRequest(LEGACY_REQUEST_ID);
  return sent;
}

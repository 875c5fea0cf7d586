/**
 * One launch of one job attempt in one pool: the RunInstances call, built from the plan and the
 * fleet's fixed settings. One-time spot (or on-demand), IMDSv2 only with a hop limit of 1, the
 * instance, its volumes and (spot) the request AWS makes for it tagged at launch, and a
 * ClientToken per attempt and pool. A capacity refusal comes back as `CapacityRefusal`, never
 * retried by the SDK: the caller tries the next pool instead.
 */
import { RunInstancesCommand, type EC2Client, type Instance, type RunInstancesCommandInput, type Tag, type _InstanceType } from '@aws-sdk/client-ec2';
import { NAME_TAG_KEY, SCHED_TAG_KEYS } from '../core/facts.js';
import type { LaunchPool } from '../core/lifecycle/observation.js';
import { LaunchError, type LaunchPlan } from '../ports.js';
import { isCapacityError } from './aws-errors.js';
import { poolClientToken } from './ec2-pools.js';

/** What every launch of a fleet shares. */
export interface WorkerLaunchSettings {
  deployment: string;
  amiId: string;
  /** The image of GPU jobs (NVIDIA driver and container runtime); absent: GPU jobs cannot launch. */
  gpuAmiId?: string;
  securityGroupIds: readonly string[];
  /** Worker instance profile, by name or by ARN (`arn:…`). */
  instanceProfile?: string;
}

/** A capacity refusal of one pool, raised inside the SDK's retry loop so that it is not retried. */
export class CapacityRefusal extends Error {
  override readonly name = 'CapacityRefusal';
  // Not `cause`: the SDK's retry strategy looks through `cause` and would retry the HTTP 500.
  constructor(readonly refusal: unknown) {
    super(refusal instanceof Error ? refusal.message : String(refusal));
  }
}

/** The tags of everything launched for one job attempt. */
export function jobTags(deployment: string, jobId: string, attempt: number): Tag[] {
  return [
    { Key: SCHED_TAG_KEYS.jobId, Value: jobId },
    { Key: SCHED_TAG_KEYS.attempt, Value: String(attempt) },
    { Key: SCHED_TAG_KEYS.deployment, Value: deployment },
    { Key: NAME_TAG_KEY, Value: `sched ${jobId} #${attempt}` },
  ];
}

/** The RunInstances input for `plan` in `pool`. Pure. */
export function runInstancesInput(settings: WorkerLaunchSettings, plan: LaunchPlan, pool: LaunchPool): RunInstancesCommandInput {
  const tags = jobTags(settings.deployment, plan.jobId, plan.attempt);
  const spot = plan.market === 'spot';
  const profile = settings.instanceProfile;
  return {
    MinCount: 1,
    MaxCount: 1,
    ImageId: workerImage(settings, plan),
    // The SDK's union lags behind new instance types; EC2 itself validates the name.
    InstanceType: pool.instanceType as _InstanceType,
    UserData: Buffer.from(plan.userData, 'utf8').toString('base64'),
    ...(pool.subnetId !== undefined && { SubnetId: pool.subnetId }),
    ...(pool.subnetId === undefined && pool.zone !== undefined && { Placement: { AvailabilityZone: pool.zone } }),
    ...(settings.securityGroupIds.length > 0 && { SecurityGroupIds: [...settings.securityGroupIds] }),
    ...(profile !== undefined && { IamInstanceProfile: profile.startsWith('arn:') ? { Arn: profile } : { Name: profile } }),
    ...(spot && {
      InstanceMarketOptions: {
        MarketType: 'spot',
        SpotOptions: {
          SpotInstanceType: 'one-time',
          InstanceInterruptionBehavior: 'terminate',
          ...(plan.maxPrice !== undefined && { MaxPrice: plan.maxPrice }),
        },
      },
    }),
    // IMDSv2 only, one hop: a job's container (one hop further) cannot read the user data.
    MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
    InstanceInitiatedShutdownBehavior: 'terminate',
    TagSpecifications: [
      { ResourceType: 'instance', Tags: tags },
      { ResourceType: 'volume', Tags: tags },
      ...(spot ? [{ ResourceType: 'spot-instances-request' as const, Tags: tags }] : []),
    ],
    ClientToken: poolClientToken(plan.clientToken, pool),
  };
}

/**
 * The image a plan boots: the GPU image for a GPU job. Jobs are refused at creation where there is
 * none (SCHED_GPU_AMI unset); one stored before that gets a permanent error, not a driverless host.
 */
function workerImage(settings: WorkerLaunchSettings, plan: LaunchPlan): string {
  if (plan.gpus === undefined) return settings.amiId;
  if (settings.gpuAmiId === undefined) {
    throw new LaunchError('NoGpuImage', 'this deployment has no GPU image (SCHED_GPU_AMI is not set), so it cannot run GPU jobs', true);
  }
  return settings.gpuAmiId;
}

/** Sends one RunInstances; throws `CapacityRefusal` for no capacity, the SDK's error otherwise. */
export async function runInstance(client: EC2Client, input: RunInstancesCommandInput): Promise<Instance> {
  const command = new RunInstancesCommand(input);
  // Inside the retry loop (finalizeRequest, after the retry middleware): EC2 answers no capacity
  // with HTTP 500, which the SDK would retry with back-off up to `maxAttempts` times in the same
  // pool. The next pool is the better try.
  command.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (err) {
        throw isCapacityError(err) ? new CapacityRefusal(err) : err;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'schedNoRetryOnCapacity' },
  );
  const out = await client.send(command);
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId) throw new LaunchError('EmptyResponse', 'RunInstances returned no instance', false);
  return instance;
}

/**
 * The IAM policy documents of a Sched deployment, as pure data. Resource code only fills in ARNs;
 * test/infra/policies.test.ts reads these like policies and replays the bot's own EC2 calls
 * against them.
 *
 * The bot's EC2 permissions hinge on one tag, `sched-deployment`, and on the worker instance
 * profile:
 * - it may launch (RunInstances) only if the instance, its volumes and the spot request AWS makes
 *   for it carry this deployment's tag (and no tag keys but the job's), so everything it launches
 *   is findable and attributable; tags only at creation by RunInstances;
 * - it may tag, terminate and cancel only what carries this deployment's tag, and instances only
 *   if they run with the worker profile: tagging someone else's instance to then terminate it is
 *   refused at the first step;
 * - it may launch only the worker image, into the configured subnets, with the worker security
 *   group and profile, of the operator's allowed instance types, as spot or on-demand (the fallback; never a Capacity Block or any market
 *   EC2 adds later), requiring IMDSv2: the bot cannot start an instance with any other role, nor
 *   one whose containers could read the instance's user data.
 */

import { NAME_TAG_KEY, SCHED_TAG_KEYS } from '../bot/core/facts.js';

/**
 * Tag keys the bot puts on what it launches (instance, volumes, spot request): the keys
 * bot/adapters/ec2-fleet.ts writes (from bot/core/facts.ts); the policy test replays that
 * adapter's calls.
 */
export const JOB_TAG_KEYS = [...Object.values(SCHED_TAG_KEYS), NAME_TAG_KEY] as const;

export type ConditionBlock = Record<string, Record<string, string | string[]>>;

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string[];
  Condition?: ConditionBlock;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

export interface TrustPolicyDocument {
  Version: '2012-10-17';
  Statement: { Effect: 'Allow'; Principal: { Service: string }; Action: 'sts:AssumeRole' }[];
}

/** Trust policy of a role that EC2 instances assume through an instance profile. */
export function ec2TrustPolicy(): TrustPolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  };
}

export interface BotPolicyInput {
  partition: string;
  region: string;
  accountId: string;
  deployment: string;
  tableArn: string;
  /** The table's global secondary indexes, by name. */
  indexNames: readonly string[];
  workerRoleArn: string;
  workerInstanceProfileArn: string;
  workerSecurityGroupId: string;
  workerImageId: string;
  /** The GPU jobs' image, which a launch may use too; absent: none. */
  workerGpuImageId?: string;
  /** The only instance types a launch may use (the bot's SCHED_ALLOWED_INSTANCE_TYPES). */
  allowedInstanceTypes: readonly string[];
  subnetIds: readonly string[];
  /** The SecureString parameters the bot reads at start. */
  secretParameterArns: readonly string[];
  /** The S3 object holding the bot bundle, which the host downloads at boot. */
  botBundleObjectArn: string;
}

/** Everything the bot host's role may do. */
export function botPolicy(input: BotPolicyInput): PolicyDocument {
  const ec2 = (resource: string) => `arn:${input.partition}:ec2:${input.region}:${input.accountId}:${resource}`;
  const spotRequests = ec2('spot-instances-request/*');
  const instances = ec2('instance/*');
  const thisDeployment = { [`aws:RequestTag/${SCHED_TAG_KEYS.deployment}`]: input.deployment };
  const onlyJobTagKeys = { 'aws:TagKeys': [...JOB_TAG_KEYS] };
  const taggedForThisDeployment = { [`aws:ResourceTag/${SCHED_TAG_KEYS.deployment}`]: input.deployment };
  const runsAsWorker = { 'ec2:InstanceProfile': input.workerInstanceProfileArn };

  return {
    Version: '2012-10-17',
    Statement: [
      {
        // Every resource of a launch must be allowed (the Service Authorization Reference lists
        // RunInstances' resource types), so these exact ARNs bound what a launch can use.
        Sid: 'LaunchOnlyWorkerImageSubnetsAndGroup',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: [
          `arn:${input.partition}:ec2:${input.region}::image/${input.workerImageId}`,
          ...(input.workerGpuImageId !== undefined ? [`arn:${input.partition}:ec2:${input.region}::image/${input.workerGpuImageId}`] : []),
          ...input.subnetIds.map((id) => ec2(`subnet/${id}`)),
          ec2(`security-group/${input.workerSecurityGroupId}`),
          ec2('network-interface/*'),
        ],
      },
      {
        // The instance: a worker with the worker profile, IMDSv2 only, tagged for this deployment,
        // of an allowed type (ec2:InstanceType, a condition key of the instance resource);
        // spot, or on-demand as a job's deliberate fallback. EC2 sets ec2:InstanceMarketType on every
        // launch (on-demand when there are no market options), so there is no IfExists.
        Sid: 'LaunchOnlyWorkersTaggedForThisDeployment',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: [instances],
        Condition: {
          StringEquals: {
            ...runsAsWorker,
            'ec2:InstanceMarketType': ['spot', 'on-demand'],
            'ec2:MetadataHttpTokens': 'required',
            'ec2:InstanceType': [...input.allowedInstanceTypes],
            ...thisDeployment,
          },
          'ForAllValues:StringEquals': onlyJobTagKeys,
        },
      },
      {
        // Its volumes and the spot request AWS makes for it carry the same tags.
        Sid: 'LaunchVolumesAndSpotRequestsTaggedForThisDeployment',
        Effect: 'Allow',
        Action: ['ec2:RunInstances'],
        Resource: [ec2('volume/*'), spotRequests],
        Condition: { StringEquals: thisDeployment, 'ForAllValues:StringEquals': onlyJobTagKeys },
      },
      {
        // Tags in RunInstances' TagSpecifications are authorized as CreateTags on create.
        Sid: 'TagOnlyWhatRunInstancesCreates',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [instances, ec2('volume/*'), spotRequests],
        Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances', ...thisDeployment }, 'ForAllValues:StringEquals': onlyJobTagKeys },
      },
      {
        // Instances of legacy spot requests (RequestSpotInstances, before RunInstances) get their
        // request's tags copied by the bot: AWS does not copy them.
        Sid: 'TagOnlyWorkersForThisDeployment',
        Effect: 'Allow',
        Action: ['ec2:CreateTags'],
        Resource: [instances],
        Condition: { StringEquals: { ...thisDeployment, ...runsAsWorker }, 'ForAllValues:StringEquals': onlyJobTagKeys },
      },
      {
        Sid: 'TerminateOnlyWorkersOfThisDeployment',
        Effect: 'Allow',
        Action: ['ec2:TerminateInstances'],
        Resource: [instances],
        Condition: { StringEquals: { ...taggedForThisDeployment, ...runsAsWorker } },
      },
      {
        Sid: 'CancelOnlySpotRequestsOfThisDeployment',
        Effect: 'Allow',
        Action: ['ec2:CancelSpotInstanceRequests'],
        Resource: [spotRequests],
        Condition: { StringEquals: taggedForThisDeployment },
      },
      {
        // EC2 Describe calls have no resource-level permissions; the region is all that can be bounded.
        Sid: 'DescribeSpotRequestsAndInstancesInThisRegion',
        Effect: 'Allow',
        // DescribeSpotPriceHistory: pools cheapest first, and a job's cost. DescribeSubnets: each
        // subnet's availability zone, once per process.
        Action: ['ec2:DescribeInstances', 'ec2:DescribeSpotInstanceRequests', 'ec2:DescribeSpotPriceHistory', 'ec2:DescribeSubnets'],
        Resource: ['*'],
        Condition: { StringEquals: { 'aws:RequestedRegion': input.region } },
      },
      {
        Sid: 'PassOnlyTheWorkerRoleToEc2',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: [input.workerRoleArn],
        Condition: { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
      },
      {
        Sid: 'ReadAndWriteJobsInItsTable',
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem'],
        Resource: [input.tableArn],
      },
      {
        // The bot queries only the indexes, but the Service Authorization Reference marks the
        // table as Query's required resource type (the index as optional): both, so a query
        // is not refused on the table (the bot reads and writes its items already).
        Sid: 'QueryItsTablesIndexes',
        Effect: 'Allow',
        Action: ['dynamodb:Query'],
        Resource: [input.tableArn, ...input.indexNames.map((name) => `${input.tableArn}/index/${name}`)],
      },
      {
        // SecureStrings under the AWS-managed aws/ssm key: its key policy already lets this
        // account's principals decrypt through SSM, so no kms:Decrypt grant is needed.
        Sid: 'ReadItsOwnSecrets',
        Effect: 'Allow',
        Action: ['ssm:GetParameters'],
        Resource: [...input.secretParameterArns],
      },
      {
        Sid: 'DownloadItsBundle',
        Effect: 'Allow',
        Action: ['s3:GetObject'],
        Resource: [input.botBundleObjectArn],
      },
      {
        // Session Manager's documented minimum (operators' only way in). Not the managed
        // AmazonSSMManagedInstanceCore, which would also let the bot read every parameter.
        Sid: 'SessionManagerAgent',
        Effect: 'Allow',
        Action: [
          'ssm:UpdateInstanceInformation',
          'ssmmessages:CreateControlChannel',
          'ssmmessages:CreateDataChannel',
          'ssmmessages:OpenControlChannel',
          'ssmmessages:OpenDataChannel',
        ],
        Resource: ['*'],
      },
    ],
  };
}

/** Bucket policy of the artifact bucket: nothing over plain HTTP. */
export function artifactBucketPolicy(bucketArn: string): object {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: ['s3:GetObject', 's3:PutObject'],
        Resource: [`${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * The bot host's IAM policy, read like a policy: what every statement must look like, what the
 * bot can and cannot do, and a replay of the EC2 calls bot/adapters/ec2-fleet.ts really makes,
 * each checked against the policy with the context IAM would see.
 */
import {
  CancelSpotInstanceRequestsCommand,
  CreateTagsCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  type RunInstancesCommandInput,
  type Tag,
} from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import { ACTIVE_INDEX, BY_DAY_INDEX } from '../../bot/adapters/dynamo-schema.js';
import { SCHED_TAG_KEYS } from '../../bot/core/facts.js';
import type { Market } from '../../bot/core/lifecycle/observation.js';
import { JOB_TAG_KEYS, botPolicy, ec2TrustPolicy } from '../../infra/policies.js';
import { actionOf, driveFleet as driveFleetWith, LEGACY_INSTANCE_ID, type SentCall } from './ec2-replay.js';
import { isAllowed, requestTagContext, resourceTagContext, type RequestContext } from './iam-simulator.js';
import { ACCOUNT, INPUT, REGION } from './policy-fixture.js';

const ec2Arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
const policy = botPolicy(INPUT);
const statements = policy.Statement;
const withAction = (action: string) => statements.filter((s) => s.Action.includes(action));

const THIS_DEPLOYMENT = { [SCHED_TAG_KEYS.deployment]: INPUT.deployment };
const WORKER = { 'ec2:InstanceProfile': INPUT.workerInstanceProfileArn };
const ALLOWED_TYPE = { 'ec2:InstanceType': 'm7g.medium' };
const BOT_HOST_PROFILE = { 'ec2:InstanceProfile': `arn:aws:iam::${ACCOUNT}:instance-profile/sched-prod-bot-profile-1111111` };

describe('every statement of the bot policy', () => {
  test('allows named actions only: no "*" action, no wildcard in any action', () => {
    for (const statement of statements) {
      for (const action of statement.Action) expect(action, statement.Sid).toMatch(/^[a-z0-9]+:[A-Za-z]+$/);
    }
  });

  test('is an Allow with Action and Resource, never NotAction or NotResource', () => {
    for (const statement of statements) {
      expect(statement.Effect).toBe('Allow');
      expect(Object.keys(statement).sort()).toEqual(expect.arrayContaining(['Action', 'Effect', 'Resource', 'Sid']));
      expect(statement).not.toHaveProperty('NotAction');
      expect(statement).not.toHaveProperty('NotResource');
    }
  });

  test('uses Resource "*" only for actions without resource-level permissions', () => {
    const anyResource = statements.filter((s) => s.Resource.includes('*')).flatMap((s) => s.Action);
    expect(anyResource.sort()).toEqual([
      'ec2:DescribeInstances',
      'ec2:DescribeSpotInstanceRequests',
      'ec2:DescribeSpotPriceHistory',
      'ec2:DescribeSubnets',
      'ssm:UpdateInstanceInformation',
      'ssmmessages:CreateControlChannel',
      'ssmmessages:CreateDataChannel',
      'ssmmessages:OpenControlChannel',
      'ssmmessages:OpenDataChannel',
    ]);
  });

  test('has a unique Sid each', () => {
    expect(new Set(statements.map((s) => s.Sid)).size).toBe(statements.length);
  });
});

describe('conditions on this deployment', () => {
  test('terminate and cancel need the resource to carry this deployment tag', () => {
    for (const action of ['ec2:TerminateInstances', 'ec2:CancelSpotInstanceRequests']) {
      expect(withAction(action)).not.toHaveLength(0);
      for (const statement of withAction(action)) {
        expect(statement.Condition?.StringEquals?.[`aws:ResourceTag/${SCHED_TAG_KEYS.deployment}`], statement.Sid).toBe(INPUT.deployment);
      }
    }
  });

  test('create-tags, and launching what gets tagged, need the request to carry this deployment tag', () => {
    const tagged = [...withAction('ec2:CreateTags'), ...withAction('ec2:RunInstances').filter((st) => st.Resource.some((r) => /:(instance|volume|spot-instances-request)\//.test(r)))];
    expect(tagged.length).toBeGreaterThanOrEqual(4);
    for (const statement of tagged) {
      expect(statement.Condition?.StringEquals?.[`aws:RequestTag/${SCHED_TAG_KEYS.deployment}`], statement.Sid).toBe(INPUT.deployment);
      expect(statement.Condition?.['ForAllValues:StringEquals']?.['aws:TagKeys'], statement.Sid).toEqual([...JOB_TAG_KEYS]);
    }
  });

  test('terminate and create-tags on instances also need the worker instance profile, or tag only at launch (which needs it)', () => {
    for (const statement of [...withAction('ec2:TerminateInstances'), ...withAction('ec2:CreateTags')].filter((s) => s.Resource.some((r) => r.includes(':instance/')))) {
      const atLaunch = statement.Condition?.StringEquals?.['ec2:CreateAction'] === 'RunInstances';
      if (!atLaunch) expect(statement.Condition?.StringEquals?.['ec2:InstanceProfile'], statement.Sid).toBe(INPUT.workerInstanceProfileArn);
    }
    const launchesInstances = withAction('ec2:RunInstances').filter((s) => s.Resource.some((r) => r.includes(':instance/')));
    for (const statement of launchesInstances) {
      expect(statement.Condition?.StringEquals?.['ec2:InstanceProfile'], statement.Sid).toBe(INPUT.workerInstanceProfileArn);
    }
  });
});

describe('resources it names', () => {
  test('PassRole names only the worker role, and only towards EC2', () => {
    const iam = statements.filter((s) => s.Action.some((a) => a.startsWith('iam:')));
    expect(iam.flatMap((s) => s.Action)).toEqual(['iam:PassRole']);
    expect(iam.flatMap((s) => s.Resource)).toEqual([INPUT.workerRoleArn]);
    expect(iam[0]?.Condition?.StringEquals?.['iam:PassedToService']).toBe('ec2.amazonaws.com');
  });

  test('DynamoDB permissions name only the table and its indexes', () => {
    const dynamo = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    const resources = new Set(dynamo.flatMap((s) => s.Resource));
    expect(resources).toEqual(new Set([INPUT.tableArn, `${INPUT.tableArn}/index/${ACTIVE_INDEX}`, `${INPUT.tableArn}/index/${BY_DAY_INDEX}`]));
    expect(dynamo.flatMap((s) => s.Action).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']);
  });

  test('it reads only its own parameters and downloads only its own bundle', () => {
    const ssmRead = statements.filter((s) => s.Action.includes('ssm:GetParameters'));
    expect(ssmRead.flatMap((s) => s.Resource)).toEqual(INPUT.secretParameterArns);
    expect(statements.flatMap((s) => s.Action).filter((a) => /^ssm:Get/.test(a))).toEqual(['ssm:GetParameters']);
    expect(statements.filter((s) => s.Action.some((a) => a.startsWith('s3:'))).flatMap((s) => s.Resource)).toEqual([INPUT.botBundleObjectArn]);
  });

  test('the trust policy lets EC2, and only EC2, assume the role', () => {
    expect(ec2TrustPolicy().Statement).toEqual([{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }]);
  });
});

describe('what the bot role can and cannot do', () => {
  const can = (action: string, resource: string, context: RequestContext = {}) => isAllowed(policy, { action, resource, context });
  const instance = ec2Arn('instance/i-0123456789abcdef0');
  const spotRequest = ec2Arn('spot-instances-request/sir-12345678');

  test('it cannot terminate untagged instances, other deployments\u2019 instances, or tagged non-workers', () => {
    expect(can('ec2:TerminateInstances', instance, { ...WORKER })).toBe(false);
    expect(can('ec2:TerminateInstances', instance, { ...resourceTagContext({ [SCHED_TAG_KEYS.deployment]: 'sched-dev' }), ...WORKER })).toBe(false);
    expect(can('ec2:TerminateInstances', instance, { ...resourceTagContext(THIS_DEPLOYMENT), ...BOT_HOST_PROFILE })).toBe(false);
    expect(can('ec2:TerminateInstances', instance, { ...resourceTagContext(THIS_DEPLOYMENT), ...WORKER })).toBe(true);
  });

  test('it cannot tag a foreign instance into its deployment (the first step to terminating it)', () => {
    const tags = requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]);
    expect(can('ec2:CreateTags', instance, { ...tags, ...BOT_HOST_PROFILE })).toBe(false);
    expect(can('ec2:CreateTags', instance, { ...tags })).toBe(false);
    expect(can('ec2:CreateTags', instance, { ...tags, ...WORKER })).toBe(true);
    expect(can('ec2:CreateTags', instance, { ...requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }, { Key: 'owner', Value: 'x' }]), ...WORKER })).toBe(false);
  });

  test('it cannot cancel spot requests that are not its deployment\u2019s', () => {
    expect(can('ec2:CancelSpotInstanceRequests', spotRequest)).toBe(false);
    expect(can('ec2:CancelSpotInstanceRequests', spotRequest, resourceTagContext({ [SCHED_TAG_KEYS.deployment]: 'other' }))).toBe(false);
    expect(can('ec2:CancelSpotInstanceRequests', spotRequest, resourceTagContext(THIS_DEPLOYMENT))).toBe(true);
  });

  test('it cannot launch anything without its deployment tag, or with tag keys of its own choosing', () => {
    const launch = { ...WORKER, 'ec2:InstanceMarketType': 'spot', 'ec2:MetadataHttpTokens': 'required', ...ALLOWED_TYPE };
    for (const resource of [ec2Arn('instance/*'), ec2Arn('volume/*'), ec2Arn('spot-instances-request/*')]) {
      expect(can('ec2:RunInstances', resource, launch), resource).toBe(false);
      expect(can('ec2:RunInstances', resource, { ...launch, ...requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: 'other' }]) }), resource).toBe(false);
      expect(can('ec2:RunInstances', resource, { ...launch, ...requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }, { Key: 'CostCenter', Value: 'x' }]) }), resource).toBe(false);
      expect(can('ec2:RunInstances', resource, { ...launch, ...requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]) }), resource).toBe(true);
    }
    // The legacy API is not granted any more.
    expect(can('ec2:RequestSpotInstances', ec2Arn('spot-instances-request/*'), requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]))).toBe(false);
  });

  test('it cannot tag anything at creation but what RunInstances creates for this deployment', () => {
    const tags = requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]);
    expect(can('ec2:CreateTags', ec2Arn('volume/vol-1'), { ...tags, 'ec2:CreateAction': 'RunInstances' })).toBe(true);
    expect(can('ec2:CreateTags', ec2Arn('volume/vol-1'), { ...tags, 'ec2:CreateAction': 'CreateVolume' })).toBe(false);
    expect(can('ec2:CreateTags', ec2Arn('volume/vol-1'), { ...tags })).toBe(false);
    expect(can('ec2:CreateTags', ec2Arn('snapshot/snap-1'), { ...tags, 'ec2:CreateAction': 'RunInstances' })).toBe(false);
  });

  test('it cannot launch another image, into another subnet or group, with another profile, in another market, or with IMDSv1', () => {
    const tags = requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]);
    const spot = { ...tags, 'ec2:InstanceMarketType': 'spot', 'ec2:MetadataHttpTokens': 'required', ...ALLOWED_TYPE };
    expect(can('ec2:RunInstances', `arn:aws:ec2:${REGION}::image/ami-0000000000000bad0`)).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('subnet/subnet-0ccc3333'))).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('security-group/sg-0bad0bad0bad0bad0'))).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...BOT_HOST_PROFILE })).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER, 'ec2:InstanceMarketType': 'capacity-block' })).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER, 'ec2:InstanceMarketType': 'on-demand', ...BOT_HOST_PROFILE })).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER, 'ec2:InstanceMarketType': 'on-demand', 'ec2:MetadataHttpTokens': 'optional' })).toBe(false);
    // On-demand is the deliberate fallback (--on-demand-after, --on-demand-wait, "Run on-demand").
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER, 'ec2:InstanceMarketType': 'on-demand' })).toBe(true);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER, 'ec2:MetadataHttpTokens': 'optional' })).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...spot, ...WORKER })).toBe(true);
  });

  test('it cannot launch an instance type outside the operator\u2019s allow-list (ec2:InstanceType)', () => {
    const [launchInstance] = withAction('ec2:RunInstances').filter((s) => s.Resource.includes(ec2Arn('instance/*')));
    expect(launchInstance?.Condition?.StringEquals?.['ec2:InstanceType']).toEqual(['m7g.medium', 'm6g.medium']);
    const launch = { ...requestTagContext([{ Key: SCHED_TAG_KEYS.deployment, Value: INPUT.deployment }]), ...WORKER, 'ec2:InstanceMarketType': 'spot', 'ec2:MetadataHttpTokens': 'required' };
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...launch, 'ec2:InstanceType': 'm6g.medium' })).toBe(true);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...launch, 'ec2:InstanceType': 'p5.48xlarge' })).toBe(false);
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...launch, 'ec2:InstanceMarketType': 'on-demand', 'ec2:InstanceType': 'p5.48xlarge' })).toBe(false);
    // A GPU job's type must be listed too.
    expect(can('ec2:RunInstances', ec2Arn('instance/*'), { ...launch, 'ec2:InstanceType': 'g6.xlarge' })).toBe(false);
    expect(isAllowed(botPolicy({ ...INPUT, allowedInstanceTypes: ['m7g.medium', 'g6.xlarge'] }), { action: 'ec2:RunInstances', resource: ec2Arn('instance/*'), context: { ...launch, 'ec2:InstanceType': 'g6.xlarge' } })).toBe(true);
  });

  test('it cannot pass any role but the worker role, nor to any service but EC2', () => {
    expect(can('iam:PassRole', `arn:aws:iam::${ACCOUNT}:role/Admin`, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(false);
    expect(can('iam:PassRole', INPUT.workerRoleArn, { 'iam:PassedToService': 'lambda.amazonaws.com' })).toBe(false);
    expect(can('iam:PassRole', INPUT.workerRoleArn, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(true);
  });

  test('it cannot scan or delete its table, touch another table, or read other parameters', () => {
    expect(can('dynamodb:Scan', INPUT.tableArn)).toBe(false);
    expect(can('dynamodb:DeleteTable', INPUT.tableArn)).toBe(false);
    expect(can('dynamodb:GetItem', INPUT.tableArn.replace('sched-prod-jobs', 'payroll'))).toBe(false);
    expect(can('dynamodb:Query', INPUT.tableArn.replace('sched-prod-jobs', 'payroll'))).toBe(false);
    expect(can('ssm:GetParameters', `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/prod/db-password`)).toBe(false);
    expect(can('ssm:GetParameter', INPUT.secretParameterArns[0]!)).toBe(false);
  });

  test('Describe calls are allowed in its own region only', () => {
    expect(can('ec2:DescribeInstances', '*', { 'aws:RequestedRegion': REGION })).toBe(true);
    expect(can('ec2:DescribeInstances', '*', { 'aws:RequestedRegion': 'us-east-1' })).toBe(false);
  });
});

describe("replaying bot/adapters/ec2-fleet.ts's own calls against the policy", () => {
  const driveFleet = (market: Market = 'spot') => driveFleetWith(INPUT, REGION, market);
  const launchCall = (sent: SentCall[]) => sent.find((s) => s.command === RunInstancesCommand.name && !s.input.DryRun)!;

  test.each<[Market, string[]]>([
    ['spot', ['instance', 'volume', 'spot-instances-request']],
    ['on-demand', ['instance', 'volume']],
  ])('a %s launch, its tags at creation (%j) and every resource it uses are allowed', async (market, tagged) => {
    const sent = await driveFleet(market);
    const run = launchCall(sent).input as unknown as RunInstancesCommandInput;
    const specs = run.TagSpecifications ?? [];
    expect(specs.map((t) => t.ResourceType)).toEqual(tagged);
    expect(run.InstanceMarketOptions?.MarketType ?? 'on-demand').toBe(market);
    const resourceOf = { instance: 'instance/*', volume: 'volume/*', 'spot-instances-request': 'spot-instances-request/*' } as Record<string, string>;
    const launched = {
      'ec2:InstanceProfile': run.IamInstanceProfile?.Arn ?? '',
      'ec2:InstanceMarketType': run.InstanceMarketOptions?.MarketType ?? 'on-demand',
      'ec2:MetadataHttpTokens': run.MetadataOptions?.HttpTokens ?? 'optional',
      'ec2:InstanceType': run.InstanceType ?? '',
    };
    for (const spec of specs) {
      const tags = requestTagContext(spec.Tags ?? []);
      const resource = ec2Arn(resourceOf[spec.ResourceType!]!);
      const context = spec.ResourceType === 'instance' ? { ...tags, ...launched } : tags;
      expect(isAllowed(policy, { action: 'ec2:RunInstances', resource, context }), resource).toBe(true);
      expect(isAllowed(policy, { action: 'ec2:CreateTags', resource, context: { ...tags, 'ec2:CreateAction': 'RunInstances' } }), resource).toBe(true);
    }
    for (const resource of [
      `arn:aws:ec2:${REGION}::image/${run.ImageId}`,
      ec2Arn(`subnet/${run.SubnetId}`),
      ...(run.SecurityGroupIds ?? []).map((id) => ec2Arn(`security-group/${id}`)),
      ec2Arn('network-interface/*'),
    ]) {
      expect(isAllowed(policy, { action: 'ec2:RunInstances', resource }), resource).toBe(true);
    }
    expect(isAllowed(policy, { action: 'iam:PassRole', resource: INPUT.workerRoleArn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } })).toBe(true);
  });

  test('copying a legacy request\u2019s tags to its instance, then terminating and cancelling, are allowed', async () => {
    const sent = await driveFleet();
    const tagging = sent.filter((s) => s.command === CreateTagsCommand.name);
    expect(tagging).toHaveLength(1);
    const tagInput = tagging[0]!.input as { Resources: string[]; Tags: Tag[] };
    const tagged = Object.fromEntries(tagInput.Tags.map((t) => [t.Key!, t.Value!]));
    for (const id of tagInput.Resources) {
      expect(isAllowed(policy, { action: 'ec2:CreateTags', resource: ec2Arn(`instance/${id}`), context: { ...requestTagContext(tagInput.Tags), ...WORKER } })).toBe(true);
    }
    const terminate = sent.find((s) => s.command === TerminateInstancesCommand.name && (s.input.InstanceIds as string[])[0] === LEGACY_INSTANCE_ID)!.input as { InstanceIds: string[] };
    for (const id of terminate.InstanceIds) {
      expect(isAllowed(policy, { action: 'ec2:TerminateInstances', resource: ec2Arn(`instance/${id}`), context: { ...resourceTagContext(tagged), ...WORKER } })).toBe(true);
    }
    const cancel = sent.find((s) => s.command === CancelSpotInstanceRequestsCommand.name)!.input as { SpotInstanceRequestIds: string[] };
    for (const id of cancel.SpotInstanceRequestIds) {
      expect(isAllowed(policy, { action: 'ec2:CancelSpotInstanceRequests', resource: ec2Arn(`spot-instances-request/${id}`), context: resourceTagContext(tagged) })).toBe(true);
    }
  });

  test('the policy grants exactly the EC2 actions the adapter sends', async () => {
    const sent = await driveFleet();
    const used = new Set(sent.map(actionOf));
    for (const action of used) {
      if (action.startsWith('ec2:Describe')) {
        expect(isAllowed(policy, { action, resource: '*', context: { 'aws:RequestedRegion': REGION } }), action).toBe(true);
      }
    }
    const granted = new Set(statements.flatMap((s) => s.Action).filter((a) => a.startsWith('ec2:')));
    expect(granted).toEqual(used);
  });

  test('the tag keys the policy allows are the adapter\u2019s', () => {
    expect([...JOB_TAG_KEYS].sort()).toEqual([...Object.values(SCHED_TAG_KEYS), 'Name'].sort());
  });
});

/**
 * The bot's IAM policy against AWS's Service Authorization Reference (infra/iam-reference.ts), not
 * against our own model of it:
 * - every EC2 call the adapter makes (replayed from test/infra/ec2-replay.ts, and every command
 *   named in bot/adapters/ec2-*.ts) is an action of the table;
 * - each call authorizes on resource types the table lists for its action, all of the action's
 *   required ones among them, each ARN in the table's format, and each is covered by an Allow;
 * - every statement names actions of the table, resources of the types the table lists for them,
 *   and only condition keys the table lists for that action or those resource types (or global).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunInstancesCommandInput, Tag } from '@aws-sdk/client-ec2';
import { describe, expect, test } from 'vitest';
import type { Market } from '../../bot/core/lifecycle/observation.js';
import { referenceOf, resourceTypeOfArn } from '../../infra/iam-doc.js';
import { GLOBAL_CONDITION_KEYS, REFERENCE_ACTIONS, REFERENCE_RESOURCE_TYPES } from '../../infra/iam-reference.js';
import { botPolicy, type PolicyStatement } from '../../infra/policies.js';
import { actionOf, driveFleet, LAUNCHED_INSTANCE_ID, LEGACY_INSTANCE_ID, LEGACY_REQUEST_ID, type SentCall } from './ec2-replay.js';
import { isAllowed, requestTagContext, resourceTagContext, type RequestContext } from './iam-simulator.js';
import { ACCOUNT, INPUT, REGION } from './policy-fixture.js';

const policy = botPolicy(INPUT);
const ec2Arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;

/** One authorization IAM makes for a call: the action on one resource, with its request context. */
interface Authorization {
  action: string;
  /** The reference's resource type; undefined for an action without resource-level permissions. */
  resourceType?: string;
  resource: string;
  context: RequestContext;
}

const tagsOf = (tags: Tag[] | undefined) => Object.fromEntries((tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));

/**
 * The authorizations behind each replayed call, the way the EC2 User Guide describes them: a launch
 * authorizes on everything it names or creates, its tags as CreateTags with ec2:CreateAction, its
 * instance profile as iam:PassRole. Instances carry the tags they were launched or tagged with.
 */
function authorizations(sent: SentCall[]): Authorization[] {
  const instanceTags = new Map<string, Record<string, string>>();
  const instanceProfile = new Map<string, string>([[LEGACY_INSTANCE_ID, INPUT.workerInstanceProfileArn]]);
  const requestTags = new Map<string, Record<string, string>>();
  const out: Authorization[] = [];
  for (const call of sent) {
    const action = actionOf(call);
    if (call.command === 'RunInstancesCommand') {
      const run = call.input as unknown as RunInstancesCommandInput;
      const spec = (type: string) => run.TagSpecifications?.find((t) => t.ResourceType === type)?.Tags;
      const launched = {
        'ec2:InstanceProfile': run.IamInstanceProfile?.Arn ?? '',
        'ec2:InstanceMarketType': run.InstanceMarketOptions?.MarketType ?? 'on-demand',
        'ec2:MetadataHttpTokens': run.MetadataOptions?.HttpTokens ?? 'optional',
        'ec2:InstanceType': run.InstanceType ?? '',
      };
      const named: [string, string, RequestContext][] = [
        ['image', `arn:aws:ec2:${REGION}::image/${run.ImageId}`, {}],
        ['subnet', ec2Arn(`subnet/${run.SubnetId}`), {}],
        ...(run.SecurityGroupIds ?? []).map((id): [string, string, RequestContext] => ['security-group', ec2Arn(`security-group/${id}`), {}]),
        ['network-interface', ec2Arn('network-interface/*'), {}],
        ['instance', ec2Arn('instance/*'), { ...requestTagContext(spec('instance') ?? []), ...launched }],
        ['volume', ec2Arn('volume/*'), requestTagContext(spec('volume') ?? [])],
        ...(launched['ec2:InstanceMarketType'] === 'spot' ? [['spot-instances-request', ec2Arn('spot-instances-request/*'), requestTagContext(spec('spot-instances-request') ?? [])] as [string, string, RequestContext]] : []),
      ];
      for (const [resourceType, resource, context] of named) out.push({ action, resourceType, resource, context });
      for (const tagSpec of run.TagSpecifications ?? []) {
        const resource = ec2Arn(`${tagSpec.ResourceType}/*`);
        out.push({ action: 'ec2:CreateTags', resourceType: tagSpec.ResourceType!, resource, context: { ...requestTagContext(tagSpec.Tags ?? []), 'ec2:CreateAction': 'RunInstances' } });
      }
      if (run.IamInstanceProfile) out.push({ action: 'iam:PassRole', resourceType: 'role', resource: INPUT.workerRoleArn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
      if (!run.DryRun) {
        instanceTags.set(LAUNCHED_INSTANCE_ID, tagsOf(spec('instance')));
        instanceProfile.set(LAUNCHED_INSTANCE_ID, launched['ec2:InstanceProfile']);
      }
    } else if (call.command === 'CreateTagsCommand') {
      const input = call.input as { Resources: string[]; Tags: Tag[] };
      for (const id of input.Resources) {
        out.push({ action, resourceType: 'instance', resource: ec2Arn(`instance/${id}`), context: { ...requestTagContext(input.Tags), 'ec2:InstanceProfile': instanceProfile.get(id) ?? '' } });
        instanceTags.set(id, { ...instanceTags.get(id), ...tagsOf(input.Tags) });
      }
    } else if (call.command === 'TerminateInstancesCommand') {
      for (const id of call.input.InstanceIds as string[]) {
        out.push({ action, resourceType: 'instance', resource: ec2Arn(`instance/${id}`), context: { ...resourceTagContext(instanceTags.get(id) ?? {}), 'ec2:InstanceProfile': instanceProfile.get(id) ?? '' } });
      }
    } else if (call.command === 'CancelSpotInstanceRequestsCommand') {
      for (const id of call.input.SpotInstanceRequestIds as string[]) {
        out.push({ action, resourceType: 'spot-instances-request', resource: ec2Arn(`spot-instances-request/${id}`), context: resourceTagContext(requestTags.get(id) ?? {}) });
      }
    } else if (call.command === 'DescribeSpotInstanceRequestsCommand') {
      requestTags.set(LEGACY_REQUEST_ID, { 'sched-job-id': 'j-0', 'sched-attempt': '1', 'sched-deployment': INPUT.deployment });
      out.push({ action, resource: '*', context: { 'aws:RequestedRegion': REGION } });
    } else {
      out.push({ action, resource: '*', context: { 'aws:RequestedRegion': REGION } });
    }
  }
  return out;
}

describe.each<Market>(['spot', 'on-demand'])('every EC2 call the adapter makes (%s launches), against the reference', (market) => {
  const replay = () => driveFleet(INPUT, REGION, market);

  test('is an action of the reference table', async () => {
    for (const call of await replay()) expect(Object.keys(REFERENCE_ACTIONS), call.command).toContain(actionOf(call));
  });

  test('authorizes on resource types the reference lists for its action, all required ones among them, each ARN in the reference\u2019s format', async () => {
    const byCall = authorizations(await replay());
    for (const auth of byCall) {
      const reference = referenceOf(auth.action);
      if (auth.resourceType === undefined) {
        expect(reference.resourceTypes, `${auth.action} has resource types: a "*" would not do`).toEqual([]);
        continue;
      }
      expect(reference.resourceTypes.map((row) => row.type), auth.action).toContain(auth.resourceType);
      expect(resourceTypeOfArn(auth.action, auth.resource), `${auth.action} ${auth.resource}`).toBe(auth.resourceType);
    }
    for (const action of new Set(byCall.map((a) => a.action))) {
      const authorized = new Set(byCall.filter((a) => a.action === action).map((a) => a.resourceType));
      for (const row of referenceOf(action).resourceTypes.filter((r) => r.required && action !== 'ec2:CreateTags')) {
        expect([...authorized], `${action} authorizes on its required ${row.type}`).toContain(row.type);
      }
    }
  });

  test('is allowed by the policy on every resource it authorizes on (a cancel right after launch terminates the instance tagged at launch)', async () => {
    const byCall = authorizations(await replay());
    for (const auth of byCall) expect(isAllowed(policy, auth), `${auth.action} on ${auth.resource}`).toBe(true);
    const terminateLaunched = byCall.find((a) => a.action === 'ec2:TerminateInstances' && a.resource.endsWith(LAUNCHED_INSTANCE_ID))!;
    expect(terminateLaunched.context[`aws:ResourceTag/sched-deployment`]).toBe(INPUT.deployment);
  });
});

describe('every statement of the policy, against the reference', () => {
  const keysOf = (statement: PolicyStatement) => Object.values(statement.Condition ?? {}).flatMap((block) => Object.keys(block));
  const listed = (key: string, keys: readonly string[]) =>
    keys.some((k) => k === key || (k.endsWith('/${TagKey}') && key.startsWith(k.slice(0, -'${TagKey}'.length)) && key.length > k.length - '${TagKey}'.length));

  test.each(policy.Statement.map((s) => [s.Sid, s] as const))('%s: actions of the table, resources of their types, condition keys the table lists for them', (_sid, statement) => {
    for (const action of statement.Action) {
      const reference = referenceOf(action);
      const service = action.split(':')[0]!;
      const rows = statement.Resource.includes('*')
        ? reference.resourceTypes
        : statement.Resource.map((arn) => {
            const type = resourceTypeOfArn(action, arn);
            expect(type, `${action} on ${arn}: not a resource type the reference lists for it`).toBeDefined();
            return reference.resourceTypes.find((row) => row.type === type)!;
          });
      if (statement.Resource.includes('*')) expect(reference.resourceTypes.filter((r) => r.required), `${action} needs its resources named`).toEqual([]);
      const allowedKeys = [
        ...GLOBAL_CONDITION_KEYS,
        ...reference.conditionKeys,
        ...rows.flatMap((row) => [...row.conditionKeys, ...(REFERENCE_RESOURCE_TYPES[`${service}:${row.type}`]?.conditionKeys ?? [])]),
      ];
      for (const key of keysOf(statement)) expect(listed(key, allowedKeys), `${statement.Sid}: ${key} is not a condition key of ${action} on ${rows.map((r) => r.type).join(', ')}`).toBe(true);
    }
  });

  test('every action granted on named resources is granted on each resource type the reference marks required for it', () => {
    const actions = new Set(policy.Statement.flatMap((s) => s.Action));
    for (const action of actions) {
      const statements = policy.Statement.filter((s) => s.Action.includes(action));
      if (statements.some((s) => s.Resource.includes('*')) || action === 'ec2:CreateTags') continue;
      const granted = new Set(statements.flatMap((s) => s.Resource.map((arn) => resourceTypeOfArn(action, arn))));
      for (const row of referenceOf(action).resourceTypes.filter((r) => r.required)) expect([...granted], `${action} on its required ${row.type}`).toContain(row.type);
    }
  });

  test('a condition key the reference does not list for the resource is caught (the check can fail)', () => {
    const onVolume: PolicyStatement = { Sid: 'Bad', Effect: 'Allow', Action: ['ec2:RunInstances'], Resource: [ec2Arn('volume/*')], Condition: { StringEquals: { 'ec2:InstanceProfile': 'x' } } };
    const rows = [referenceOf('ec2:RunInstances').resourceTypes.find((r) => r.type === resourceTypeOfArn('ec2:RunInstances', onVolume.Resource[0]!))!];
    const allowed = [...rows[0]!.conditionKeys, ...REFERENCE_RESOURCE_TYPES['ec2:volume']!.conditionKeys, ...referenceOf('ec2:RunInstances').conditionKeys];
    expect(listed('ec2:InstanceProfile', allowed)).toBe(false);
    expect(listed('aws:RequestTag/sched-deployment', allowed)).toBe(true);
    expect(resourceTypeOfArn('ec2:RunInstances', ec2Arn('spot-fleet-request/*'))).toBeUndefined();
  });
});

describe('the adapter\u2019s source', () => {
  test('names only EC2 commands of the reference table (a call the replay misses is caught here)', () => {
    const dir = join(import.meta.dirname, '../../bot/adapters');
    const commands = new Set<string>();
    for (const file of readdirSync(dir).filter((f) => /^ec2-.*\.ts$/.test(f))) {
      const text = readFileSync(join(dir, file), 'utf8');
      for (const match of text.matchAll(/\bnew (\w+)Command\(|\bpaginate(\w+)\(/g)) commands.add(`ec2:${match[1] ?? match[2]}`);
    }
    expect(commands.size).toBeGreaterThanOrEqual(8);
    for (const action of commands) expect(Object.keys(REFERENCE_ACTIONS), action).toContain(action);
  });
});

/**
 * The whole Pulumi program with its defaults (a stack named `test` that sets only the two Slack
 * secrets), under Pulumi's mocks: what it stands up, read like policies. The bot host's user data
 * is then executed in a sandbox, and the environment the bot would start with is checked by the
 * bot's own configuration loader.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ACTIVE_INDEX, BY_DAY_INDEX, KEY_ATTRIBUTE, TTL_ATTRIBUTE, createTableInput } from '../../bot/adapters/dynamo-schema.js';
import { loadConfig } from '../../bot/config.js';
import { DEFAULT_WORKER_INSTANCE_TYPES } from '../../bot/core/facts.js';
import { DEFAULT_BUNDLE_PATH } from '../../infra/bot-bundle.js';
import { ENV_FILE_PATH, START_SCRIPT_PATH } from '../../infra/boot-script.js';
import { SECRET_VARIABLES } from '../../infra/bot-environment.js';
import { botPolicy, type PolicyDocument } from '../../infra/policies.js';
import { bootAndStart, makeHostSandbox, type HostSandbox } from './host-sandbox.js';
import {
  ACCOUNT_ID,
  BOT_HOST_PRIVATE_IP,
  DEFAULT_SUBNET_IDS,
  DEFAULT_VPC_ID,
  PUBLIC_PARAMETERS,
  SUBNET_ZONES,
  runProgram,
  type ProgramRun,
  type RecordedResource,
} from './pulumi-program.js';

const SLACK_BOT_TOKEN = 'xoxb-111-222-slackbottokenvalue';
const SLACK_APP_TOKEN = 'xapp-1-A111-222-slackapptokenvalue';
const DEPLOYMENT = 'sched-test';

let run: ProgramRun;
let sandbox: HostSandbox;
let booted: Awaited<ReturnType<typeof bootAndStart>>;

const T = {
  table: 'aws:dynamodb/table:Table',
  instance: 'aws:ec2/instance:Instance',
  securityGroup: 'aws:ec2/securityGroup:SecurityGroup',
  ingress: 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule',
  egress: 'aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule',
  role: 'aws:iam/role:Role',
  rolePolicy: 'aws:iam/rolePolicy:RolePolicy',
  attachment: 'aws:iam/rolePolicyAttachment:RolePolicyAttachment',
  profile: 'aws:iam/instanceProfile:InstanceProfile',
  parameter: 'aws:ssm/parameter:Parameter',
  password: 'random:index/randomPassword:RandomPassword',
  eni: 'aws:ec2/networkInterface:NetworkInterface',
  eip: 'aws:ec2/eip:Eip',
  bucketObject: 'aws:s3/bucketObjectv2:BucketObjectv2',
  bucketPolicy: 'aws:s3/bucketPolicy:BucketPolicy',
} as const;

const named = (resources: RecordedResource[], suffix: string) => {
  const found = resources.find((r) => r.name.endsWith(suffix));
  if (!found) throw new Error(`no resource named *${suffix}`);
  return found;
};

beforeAll(async () => {
  run = await runProgram({ slackBotToken: SLACK_BOT_TOKEN, slackAppToken: SLACK_APP_TOKEN }, { stack: 'test' });
  const parameters = Object.fromEntries(run.ofType(T.parameter).map((p) => [String(p.inputs.name), String(p.inputs.value)]));
  sandbox = await makeHostSandbox({ bundle: readFileSync(DEFAULT_BUNDLE_PATH), parameters });
  booted = await bootAndStart(sandbox, String(run.one(T.instance).inputs.userData), ENV_FILE_PATH, START_SCRIPT_PATH);
}, 60_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe('Pulumi.yaml and the program agree', () => {
  test('every key declared in Pulumi.yaml is read by the program, and every key read is declared', () => {
    const declared = new Set(Object.keys(run.project.config).map((key) => `${run.project.name}:${key}`));
    const read = new Set([...run.configKeysRead].filter((key) => key.startsWith(`${run.project.name}:`)));
    expect([...read].sort()).toEqual([...declared].sort());
  });

  test('every key has a description, and every key but the two secrets a default', () => {
    for (const [key, declaration] of Object.entries(run.project.config)) {
      expect(declaration.description, key).toBeTruthy();
      if (declaration.secret) expect(declaration.default, key).toBeUndefined();
      else expect(declaration.default, key).not.toBeUndefined();
    }
    expect(Object.entries(run.project.config).filter(([, d]) => d.secret).map(([k]) => k).sort()).toEqual(['slackAppToken', 'slackBotToken']);
  });

  test('every AWS resource and lookup goes through the one provider, in the configured region', () => {
    const provider = run.one('pulumi:providers:aws');
    expect(provider.inputs.region).toBe('us-east-1');
    for (const resource of run.resources.filter((r) => r.type.startsWith('aws:'))) {
      expect(resource.provider, `${resource.type} ${resource.name}`).toMatch(/::pulumi:providers:aws::aws::/);
    }
    expect(run.invokes.length).toBeGreaterThan(0);
    for (const invoke of run.invokes) expect(invoke.provider, invoke.token).toMatch(/::pulumi:providers:aws::aws::/);
  });
});

describe('the state table', () => {
  test('has the key schema and indexes the bot uses, on-demand', () => {
    const layout = createTableInput('unused');
    const table = run.one(T.table).inputs;
    expect(table.billingMode).toBe('PAY_PER_REQUEST');
    expect(table.hashKey).toBe(KEY_ATTRIBUTE);
    expect(table.attributes).toEqual(layout.AttributeDefinitions!.map((a) => ({ name: a.AttributeName, type: a.AttributeType })));
    expect(table.globalSecondaryIndexes).toEqual(
      layout.GlobalSecondaryIndexes!.map((index) => ({
        name: index.IndexName,
        keySchemas: index.KeySchema!.map((k) => ({ attributeName: k.AttributeName, keyType: k.KeyType })),
        projectionType: 'ALL',
      })),
    );
  });

  test('has TTL on the expiry attribute, point-in-time recovery, encryption and deletion protection', () => {
    const table = run.one(T.table).inputs;
    expect(table.ttl).toEqual({ attributeName: TTL_ATTRIBUTE, enabled: true });
    expect(table.pointInTimeRecovery).toEqual({ enabled: true });
    expect(table.serverSideEncryption).toEqual({ enabled: true });
    expect(table.deletionProtectionEnabled).toBe(true);
  });
});

describe('the bot host', () => {
  test('requires IMDSv2 with a hop limit of 1, has no key pair, and an encrypted root volume', () => {
    const host = run.one(T.instance).inputs;
    expect(host.metadataOptions).toMatchObject({ httpTokens: 'required', httpPutResponseHopLimit: 1 });
    expect(host.keyName).toBeUndefined();
    expect(host.rootBlockDevice).toMatchObject({ encrypted: true });
    expect(run.resources.some((r) => r.type === 'aws:ec2/keyPair:KeyPair')).toBe(false);
  });

  test('is a Graviton instance on Amazon Linux 2023, with the bot role and the new code replacing it', () => {
    const host = run.one(T.instance).inputs;
    expect(host.instanceType).toBe('t4g.small');
    expect(host.ami).toBe(PUBLIC_PARAMETERS['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64']);
    expect(host.userDataReplaceOnChange).toBe(true);
    const botProfile = named(run.ofType(T.profile), '-bot-profile');
    expect(host.iamInstanceProfile).toBe(botProfile.state.name);
  });

  test('boots only after its role\u2019s inline policy and instance profile exist (dependsOn)', () => {
    const host = run.one('aws:ec2/instance:Instance');
    const policy = run.resources.find((r) => r.type === 'aws:iam/rolePolicy:RolePolicy' && r.name.endsWith('-bot-policy'))!;
    const profile = run.resources.find((r) => r.type === 'aws:iam/instanceProfile:InstanceProfile' && r.name.endsWith('-bot-profile'))!;
    expect(host.dependencies).toEqual(expect.arrayContaining([expect.stringMatching(new RegExp(`::${policy.name}$`)), expect.stringMatching(new RegExp(`::${profile.name}$`))]));
  });

  test('has a fixed private address, which is the notification URL the workers get', () => {
    expect(run.outputs.notificationUrl).toBe(`http://${BOT_HOST_PRIVATE_IP}:8080`);
    expect(booted.botEnv.SCHED_PUBLIC_URL).toBe(`http://${BOT_HOST_PRIVATE_IP}:8080`);
    expect(run.one(T.eip).inputs.networkInterface).toBe(run.one(T.eni).id);
  });

  test('goes in the first subnet whose zone offers its instance type; the workers may use them all', () => {
    const sorted = [...DEFAULT_SUBNET_IDS].sort();
    expect(SUBNET_ZONES[sorted[0]!]).toBe('zone-e');
    expect(run.one(T.eni).inputs.subnetId).toBe(sorted[1]);
    expect(booted.botEnv.SCHED_SUBNET_IDS).toBe(sorted.join(','));
  });

  test('comes back by itself: recovered onto other hardware (same id and interface) when the system check fails, rebooted when the instance check fails', () => {
    const host = run.one(T.instance);
    expect(host.inputs.maintenanceOptions).toEqual({ autoRecovery: 'default' });
    const alarms = run.ofType('aws:cloudwatch/metricAlarm:MetricAlarm').map((a) => a.inputs);
    expect(alarms.map((a) => [a.metricName, a.alarmActions])).toEqual([
      ['StatusCheckFailed_System', ['arn:aws:automate:us-east-1:ec2:recover']],
      ['StatusCheckFailed_Instance', ['arn:aws:automate:us-east-1:ec2:reboot']],
    ]);
    for (const alarm of alarms) {
      expect(alarm).toMatchObject({ namespace: 'AWS/EC2', dimensions: { InstanceId: host.id }, statistic: 'Maximum', period: 60, threshold: 1, comparisonOperator: 'GreaterThanOrEqualToThreshold' });
      expect(alarm.evaluationPeriods).toBeGreaterThanOrEqual(2);
    }
    // Recovery keeps the interface: it is the instance's own, not deleted with it.
    expect(host.inputs.primaryNetworkInterface).toEqual({ networkInterfaceId: run.one(T.eni).id, deleteOnTermination: false });
  });

  test('ships the bundle built from this checkout, and checks it by SHA-256', () => {
    const sha256 = createHash('sha256').update(readFileSync(DEFAULT_BUNDLE_PATH)).digest('hex');
    expect(run.one(T.bucketObject).inputs.key).toBe(`bot/sched-${sha256}.cjs`);
    expect(String(run.one(T.instance).inputs.userData)).toContain(`readonly BUNDLE_SHA256='${sha256}'`);
    expect(run.outputs.botBundleBytes).toBe(readFileSync(DEFAULT_BUNDLE_PATH).length);
  });
});

describe('security groups', () => {
  const ingressRules = () => run.ofType(T.ingress).map((r) => r.inputs);

  test('no security group admits 0.0.0.0/0, ::/0 or port 22', () => {
    for (const group of run.ofType(T.securityGroup)) expect(group.inputs.ingress ?? []).toEqual([]);
    for (const rule of ingressRules()) {
      expect(rule.cidrIpv4).toBeUndefined();
      expect(rule.cidrIpv6).toBeUndefined();
      expect(rule.ipProtocol).not.toBe('-1');
      expect(Number(rule.fromPort) <= 22 && 22 <= Number(rule.toPort)).toBe(false);
    }
  });

  test('the bot admits SCHED_PORT from the workers\u2019 group, and the workers admit nothing', () => {
    const workers = named(run.ofType(T.securityGroup), '-workers-sg');
    const bot = named(run.ofType(T.securityGroup), '-bot-sg');
    expect(ingressRules()).toEqual([
      expect.objectContaining({ securityGroupId: bot.id, referencedSecurityGroupId: workers.id, ipProtocol: 'tcp', fromPort: 8080, toPort: 8080 }),
    ]);
    expect(run.one(T.eni).inputs.securityGroups).toEqual([bot.id]);
    for (const group of [workers, bot]) expect(group.inputs.vpcId).toBe(DEFAULT_VPC_ID);
  });
});

describe('IAM as deployed', () => {
  const policies = (): { name: string; document: PolicyDocument }[] => [
    ...run.ofType(T.rolePolicy).map((p) => ({ name: p.name, document: JSON.parse(String(p.inputs.policy)) as PolicyDocument })),
    ...run.ofType(T.bucketPolicy).map((p) => ({ name: p.name, document: JSON.parse(String(p.inputs.policy)) as PolicyDocument })),
    ...run.ofType(T.role).map((r) => ({ name: r.name, document: JSON.parse(String(r.inputs.assumeRolePolicy)) as PolicyDocument })),
  ];

  test('no IAM statement anywhere allows a "*" action', () => {
    expect(policies().length).toBeGreaterThanOrEqual(4);
    for (const { name, document } of policies()) {
      for (const statement of document.Statement) {
        const actions = ([] as string[]).concat(statement.Action);
        for (const action of actions) expect(action, name).not.toContain('*');
        expect(statement, name).not.toHaveProperty('NotAction');
      }
    }
  });

  test('the bot role holds exactly botPolicy() for this stack\u2019s table, worker role, profile, group, image, subnets, secrets and bundle', () => {
    const botRole = named(run.ofType(T.role), '-bot');
    const attached = run.ofType(T.rolePolicy);
    expect(attached).toHaveLength(1);
    expect(attached[0]!.inputs.role).toBe(botRole.id);

    const workerRole = named(run.ofType(T.role), '-workers-role');
    const workerProfile = named(run.ofType(T.profile), '-workers-profile');
    const expected = botPolicy({
      partition: 'aws',
      region: 'us-east-1',
      accountId: ACCOUNT_ID,
      deployment: DEPLOYMENT,
      tableArn: String(run.one(T.table).state.arn),
      indexNames: [ACTIVE_INDEX, BY_DAY_INDEX],
      workerRoleArn: String(workerRole.state.arn),
      workerInstanceProfileArn: String(workerProfile.state.arn),
      workerSecurityGroupId: named(run.ofType(T.securityGroup), '-workers-sg').id,
      workerImageId: PUBLIC_PARAMETERS['/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id']!,
      workerGpuImageId: PUBLIC_PARAMETERS['/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id']!,
      allowedInstanceTypes: [...DEFAULT_WORKER_INSTANCE_TYPES],
      subnetIds: [...DEFAULT_SUBNET_IDS].sort(),
      secretParameterArns: SECRET_VARIABLES.map((v) => `arn:aws:ssm:us-east-1:${ACCOUNT_ID}:parameter/sched/${DEPLOYMENT}/${v}`),
      botBundleObjectArn: String(run.one(T.bucketObject).state.arn),
    });
    expect(JSON.parse(String(attached[0]!.inputs.policy))).toEqual(expected);
  });

  test('the worker role has no permission at all', () => {
    const workerRole = named(run.ofType(T.role), '-workers-role');
    expect(run.ofType(T.rolePolicy).filter((p) => p.inputs.role === workerRole.id || p.inputs.role === workerRole.state.name)).toEqual([]);
    expect(run.ofType(T.attachment)).toEqual([]);
    expect(workerRole.inputs.managedPolicyArns ?? []).toEqual([]);
    expect(workerRole.inputs.inlinePolicies ?? []).toEqual([]);
  });
});

describe('secrets', () => {
  test('each secret is a SecureString parameter under this deployment\u2019s path', () => {
    const parameters = run.ofType(T.parameter);
    expect(parameters.map((p) => p.inputs.name).sort()).toEqual(SECRET_VARIABLES.map((v) => `/sched/${DEPLOYMENT}/${v}`).sort());
    for (const parameter of parameters) expect(parameter.inputs.type).toBe('SecureString');
  });

  test('the Slack tokens come from the stack\u2019s secrets; the HMAC secret and API token are generated', () => {
    const value = (variable: string) => String(run.ofType(T.parameter).find((p) => p.inputs.name === `/sched/${DEPLOYMENT}/${variable}`)!.inputs.value);
    expect(value('SLACK_BOT_TOKEN')).toBe(SLACK_BOT_TOKEN);
    expect(value('SLACK_APP_TOKEN')).toBe(SLACK_APP_TOKEN);
    const generated = run.ofType(T.password).map((p) => String(p.state.result));
    expect(generated).toHaveLength(2);
    expect(generated).toContain(value('SCHED_SECRET'));
    expect(generated).toContain(value('SCHED_API_TOKEN'));
    expect(run.outputs.apiToken).toBe(value('SCHED_API_TOKEN'));
  });

  test('no secret value is in the user data or the environment file', () => {
    const userData = String(run.one(T.instance).inputs.userData);
    for (const parameter of run.ofType(T.parameter)) {
      expect(userData).not.toContain(String(parameter.inputs.value));
      expect(Object.values(booted.fileEnv)).not.toContain(String(parameter.inputs.value));
    }
  });
});

describe("the bot host's environment against the bot's own configuration schema", () => {
  test('the environment the service starts the bot with passes bot/config.ts and points at this stack', () => {
    const loaded = loadConfig(booted.botEnv, { stdinIsTTY: false });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const workerProfile = named(run.ofType(T.profile), '-workers-profile');
    expect(loaded.config).toMatchObject({
      compute: 'ec2',
      store: 'dynamodb',
      chat: 'slack',
      port: 8080,
      table: run.outputs.tableName,
      deployment: DEPLOYMENT,
      retentionDays: 30,
      publicUrl: run.outputs.notificationUrl,
      slack: { botToken: SLACK_BOT_TOKEN, appToken: SLACK_APP_TOKEN },
      spot: {
        ami: PUBLIC_PARAMETERS['/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id'],
        instanceTypes: ['m7g.medium', 'm6g.medium', 't4g.medium'],
        subnetIds: [...DEFAULT_SUBNET_IDS].sort(),
        securityGroupIds: [named(run.ofType(T.securityGroup), '-workers-sg').id],
        instanceProfile: workerProfile.state.arn,
      },
      aws: { region: 'us-east-1' },
    });
    expect(loaded.config.secret).toHaveLength(48);
  });

  test('every variable the host sets is one bot/config.ts reads', () => {
    const source = readFileSync(new URL('../../bot/config.ts', import.meta.url), 'utf8');
    for (const variable of Object.keys(booted.botEnv)) expect(source, variable).toContain(`${variable}:`);
  });
});

describe('GPU jobs', () => {
  const GPU_PARAMETER = '/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id';

  test('their image is the x86_64 ECS GPU-optimized AMI from its public parameter, even with arm64 default types; the bot gets it as SCHED_GPU_AMI', () => {
    expect(run.invokes.filter((i) => i.token === 'aws:ssm/getParameter:getParameter').map((i) => i.inputs.name)).toContain(GPU_PARAMETER);
    expect(booted.botEnv.SCHED_GPU_AMI).toBe(PUBLIC_PARAMETERS[GPU_PARAMETER]);
    const loaded = loadConfig(booted.botEnv, { stdinIsTTY: false });
    expect(loaded.ok && loaded.config.spot.gpuAmi).toBe(PUBLIC_PARAMETERS[GPU_PARAMETER]);
  });

  test('the bot may launch that image', () => {
    const policy = JSON.parse(String(run.one(T.rolePolicy).inputs.policy)) as PolicyDocument;
    const launch = policy.Statement.find((s) => s.Sid === 'LaunchOnlyWorkerImageSubnetsAndGroup')!;
    expect(launch.Resource).toContain(`arn:aws:ec2:us-east-1::image/${PUBLIC_PARAMETERS[GPU_PARAMETER]}`);
  });
});

describe('stack outputs', () => {
  test('say what the operator needs next', () => {
    const instanceId = run.one(T.instance).id;
    expect(run.outputs).toMatchObject({
      deployment: DEPLOYMENT,
      region: 'us-east-1',
      tableName: run.one(T.table).state.name,
      botInstanceId: instanceId,
      sessionCommand: `aws ssm start-session --region us-east-1 --target ${instanceId}`,
      notificationUrl: `http://${BOT_HOST_PRIVATE_IP}:8080`,
    });
  });
});

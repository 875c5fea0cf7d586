/**
 * The program with every setting away from its default: an existing VPC and subnets behind a NAT
 * (no Elastic IP), x86 instances, another region and port, Slack access lists, no deletion
 * protection. Checked under Pulumi's mocks and, for the bot's environment, in the host sandbox.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import { DEFAULT_BUNDLE_PATH } from '../../infra/bot-bundle.js';
import { ENV_FILE_PATH, START_SCRIPT_PATH } from '../../infra/boot-script.js';
import { SECRET_VARIABLES } from '../../infra/bot-environment.js';
import type { PolicyDocument } from '../../infra/policies.js';
import { bootAndStart, makeHostSandbox, type HostSandbox } from './host-sandbox.js';
import { PUBLIC_PARAMETERS, runProgram, type ProgramRun } from './pulumi-program.js';

const SETTINGS = {
  region: 'eu-central-1',
  deployment: 'acme-jobs',
  vpcId: 'vpc-0c0ffee1',
  subnetIds: ['subnet-0c2c2c2c', 'subnet-0c1c1c1c'],
  botPublicIp: false,
  botInstanceType: 't3.small',
  port: 9000,
  workerInstanceTypes: ['c7i.large', 'm7i.large'],
  workerMaxPrice: '0.08',
  workerGpuAmi: 'ami-0c0ffee0c0ffee0c0',
  allowedUsers: ['U01ABCDEF'],
  allowedChannels: ['C01ABCDEF', 'C02ABCDEF'],
  admins: ['U02ABCDEF'],
  retentionDays: 7,
  tableDeletionProtection: false,
  slackBotToken: 'xoxb-333-444-slackbottokenvalue',
  slackAppToken: 'xapp-1-A333-444-slackapptokenvalue',
};

let run: ProgramRun;
let sandbox: HostSandbox;
let botEnv: Record<string, string>;

beforeAll(async () => {
  run = await runProgram(SETTINGS, { stack: 'prod' });
  const parameters = Object.fromEntries(run.ofType('aws:ssm/parameter:Parameter').map((p) => [String(p.inputs.name), String(p.inputs.value)]));
  sandbox = await makeHostSandbox({ bundle: readFileSync(DEFAULT_BUNDLE_PATH), parameters });
  ({ botEnv } = await bootAndStart(sandbox, String(run.one('aws:ec2/instance:Instance').inputs.userData), ENV_FILE_PATH, START_SCRIPT_PATH));
}, 60_000);

afterAll(async () => {
  await sandbox?.cleanup();
});

describe('an existing VPC behind a NAT', () => {
  test('no lookup of the default VPC, no Elastic IP, the bot host in the first given subnet', () => {
    expect(run.invokes.map((i) => i.token)).not.toContain('aws:ec2/getVpc:getVpc');
    // Subnets are only looked up to place the bot host, never listed from the VPC.
    const subnetLookups = run.invokes.filter((i) => i.token === 'aws:ec2/getSubnets:getSubnets');
    for (const lookup of subnetLookups) expect(lookup.inputs.filters).toContainEqual({ name: 'subnet-id', values: SETTINGS.subnetIds });
    expect(run.ofType('aws:ec2/eip:Eip')).toEqual([]);
    expect(run.one('aws:ec2/networkInterface:NetworkInterface').inputs.subnetId).toBe('subnet-0c2c2c2c');
    for (const group of run.ofType('aws:ec2/securityGroup:SecurityGroup')) expect(group.inputs.vpcId).toBe(SETTINGS.vpcId);
  });

  test('the bot port follows the setting, still from the workers only', () => {
    const rules = run.ofType('aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
    expect(rules.map((r) => [r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4])).toEqual([[9000, 9000, undefined]]);
  });
});

describe('x86 instances, another region, no deletion protection', () => {
  test('the images are the x86 Amazon Linux 2023 ones', () => {
    const host = run.one('aws:ec2/instance:Instance').inputs;
    expect(host.instanceType).toBe('t3.small');
    expect(host.ami).toBe(PUBLIC_PARAMETERS['/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64']);
    expect(botEnv.SCHED_AMI).toBe(PUBLIC_PARAMETERS['/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id']);
  });

  test('a GPU image named in workerGpuAmi is used as is: no lookup, SCHED_GPU_AMI, allowed by the policy', () => {
    const lookups = run.invokes.filter((i) => i.token === 'aws:ssm/getParameter:getParameter').map((i) => i.inputs.name);
    expect(lookups).not.toContain('/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id');
    expect(botEnv.SCHED_GPU_AMI).toBe('ami-0c0ffee0c0ffee0c0');
    expect(String(run.one('aws:iam/rolePolicy:RolePolicy').inputs.policy)).toContain('arn:aws:ec2:eu-central-1::image/ami-0c0ffee0c0ffee0c0');
  });

  test('the region is the provider\u2019s and the policy\u2019s', () => {
    expect(run.one('pulumi:providers:aws').inputs.region).toBe('eu-central-1');
    const policy = JSON.parse(String(run.one('aws:iam/rolePolicy:RolePolicy').inputs.policy)) as PolicyDocument;
    const ec2Resources = policy.Statement.filter((s) => s.Action.some((a) => a.startsWith('ec2:'))).flatMap((s) => s.Resource).filter((r) => r !== '*');
    for (const resource of ec2Resources) expect(resource).toMatch(/^arn:aws:ec2:eu-central-1:/);
    expect(ec2Resources).toEqual(expect.arrayContaining(SETTINGS.subnetIds.map((id) => `arn:aws:ec2:eu-central-1:123456789012:subnet/${id}`)));
    expect(JSON.stringify(policy)).toContain('"aws:RequestTag/sched-deployment":"acme-jobs"');
  });

  test('the table can be deleted', () => {
    expect(run.one('aws:dynamodb/table:Table').inputs.deletionProtectionEnabled).toBe(false);
  });
});

describe("the bot's environment", () => {
  test('carries every setting, and the bot accepts it', () => {
    expect(botEnv).toMatchObject({
      AWS_REGION: 'eu-central-1',
      SCHED_DEPLOYMENT: 'acme-jobs',
      SCHED_PORT: '9000',
      SCHED_PUBLIC_URL: expect.stringMatching(/^http:\/\/[\d.]+:9000$/),
      SCHED_INSTANCE_TYPES: 'c7i.large,m7i.large',
      SCHED_MAX_PRICE: '0.08',
      SCHED_SUBNET_IDS: 'subnet-0c2c2c2c,subnet-0c1c1c1c',
      SCHED_RETENTION_DAYS: '7',
      SCHED_ALLOWED_USERS: 'U01ABCDEF',
      SCHED_ALLOWED_CHANNELS: 'C01ABCDEF,C02ABCDEF',
      SCHED_ADMINS: 'U02ABCDEF',
      SLACK_BOT_TOKEN: SETTINGS.slackBotToken,
      SLACK_APP_TOKEN: SETTINGS.slackAppToken,
    });
    const loaded = loadConfig(botEnv, { stdinIsTTY: false });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.config).toMatchObject({
      port: 9000,
      deployment: 'acme-jobs',
      retentionDays: 7,
      spot: { maxPrice: '0.08' },
      access: { allowedUsers: SETTINGS.allowedUsers, allowedChannels: SETTINGS.allowedChannels, admins: SETTINGS.admins },
    });
    const source = readFileSync(new URL('../../bot/config.ts', import.meta.url), 'utf8');
    for (const variable of Object.keys(botEnv)) expect(source, variable).toContain(`${variable}:`);
  });

  test('the secrets are under the deployment\u2019s own path', () => {
    expect(run.ofType('aws:ssm/parameter:Parameter').map((p) => p.inputs.name).sort()).toEqual(SECRET_VARIABLES.map((v) => `/sched/acme-jobs/${v}`).sort());
  });
});

/**
 * The stack settings' checks and the pure choices made from them (architecture, image, name),
 * without running the program.
 */
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, test } from 'vitest';
import { DEFAULT_PORT, DEFAULT_WORKER_INSTANCE_TYPES, RETENTION_DAYS } from '../../bot/core/facts.js';
import { amazonLinuxParameter, architectureOf, ecsOptimizedParameter } from '../../infra/images.js';
import { deploymentForStack, readSettings } from '../../infra/settings.js';
import { botEnvironment } from '../../infra/bot-environment.js';
import { loadConfig } from '../../bot/config.js';
import { readProjectFile, stackConfig } from './pulumi-program.js';

const project = readProjectFile();

function settingsFrom(values: Record<string, unknown>, stack = 'dev') {
  pulumi.runtime.setAllConfig(stackConfig(project, { slackBotToken: 'xoxb-1', slackAppToken: 'xapp-1', ...values }), [
    'sched:slackBotToken',
    'sched:slackAppToken',
  ]);
  return readSettings(new pulumi.Config(project.name), stack);
}

describe('readSettings', () => {
  test('Pulumi.yaml\u2019s defaults make a valid stack, named after the stack', () => {
    const settings = settingsFrom({}, 'Team_Dev');
    expect(settings).toMatchObject({
      region: 'us-east-1',
      deployment: 'sched-team-dev',
      port: 8080,
      bot: { instanceType: 't4g.small', ami: undefined, publicIp: true },
      workers: { instanceTypes: ['m7g.medium', 'm6g.medium', 't4g.medium'], maxPrice: undefined, ami: undefined },
      network: { vpcId: undefined, subnetIds: [] },
      retentionDays: 30,
      tableDeletionProtection: true,
    });
  });

  test('Pulumi.yaml\u2019s defaults are the bot\u2019s own (bot/core/facts.ts)', () => {
    const settings = settingsFrom({});
    expect(settings.port).toBe(DEFAULT_PORT);
    expect(settings.workers.instanceTypes).toEqual(DEFAULT_WORKER_INSTANCE_TYPES);
    expect(settings.retentionDays).toBe(RETENTION_DAYS.default);
  });

  test('reports every problem at once', () => {
    const problems = (() => {
      try {
        settingsFrom({
          region: 'moon-1',
          deployment: 'Not_Valid',
          port: 80,
          botInstanceType: 'huge',
          workerInstanceTypes: ['m7g.medium', 'c7i.large'],
          workerMaxPrice: 'cheap',
          subnetIds: ['subnet-0abc'],
          allowedUsers: ['alice'],
          retentionDays: 0,
          workerAmi: 'ubuntu',
        });
        return '';
      } catch (err) {
        return (err as Error).message;
      }
    })();
    for (const key of ['region', 'deployment', 'port', 'botInstanceType', 'workerInstanceTypes', 'workerMaxPrice', 'subnetIds', 'allowedUsers', 'retentionDays', 'workerAmi']) {
      expect(problems).toContain(`${key}:`);
    }
    expect(problems).toContain('mix arm64 and x86_64');
    expect(problems).toContain('set vpcId too');
  });

  test('instance types with a dash in the size are instance types', () => {
    const settings = settingsFrom({ botInstanceType: 'm7i.metal-24xl', workerInstanceTypes: ['m7i.metal-24xl', 'c6i.metal-32xl'] });
    expect(settings.bot.instanceType).toBe('m7i.metal-24xl');
    expect(settings.workers.instanceTypes).toEqual(['m7i.metal-24xl', 'c6i.metal-32xl']);
  });

  test('allowedInstanceTypes: empty means workerInstanceTypes; a list must include them; each must be a type', () => {
    expect(settingsFrom({}).workers.allowedInstanceTypes).toEqual([...DEFAULT_WORKER_INSTANCE_TYPES]);
    expect(settingsFrom({ workerInstanceTypes: ['m7g.large'] }).workers.allowedInstanceTypes).toEqual(['m7g.large']);
    expect(settingsFrom({ workerInstanceTypes: ['m7g.large'], allowedInstanceTypes: ['m7g.large', 'g6.xlarge'] }).workers.allowedInstanceTypes).toEqual(['m7g.large', 'g6.xlarge']);
    expect(() => settingsFrom({ workerInstanceTypes: ['m7g.large', 'm6g.large'], allowedInstanceTypes: ['m7g.large'] })).toThrow(
      'allowedInstanceTypes: must include every workerInstanceTypes entry; missing: m6g.large',
    );
    expect(() => settingsFrom({ workerInstanceTypes: ['m7g.large'], allowedInstanceTypes: ['m7g.large', 'P5'] })).toThrow('allowedInstanceTypes: "P5" is not an instance type');
  });

  test('allowedInstanceTypes reaches the bot as SCHED_ALLOWED_INSTANCE_TYPES, which the bot accepts', () => {
    const settings = settingsFrom({ workerInstanceTypes: ['m7g.large'], allowedInstanceTypes: ['m7g.large', 'g6.xlarge'] });
    const env = botEnvironment({
      region: settings.region, deployment: settings.deployment, port: settings.port, publicUrl: 'http://10.0.0.1:8080', tableName: 'sched-dev-jobs', retentionDays: 30,
      workerImageId: 'ami-0fedcba9876543210', workerInstanceTypes: settings.workers.instanceTypes, allowedInstanceTypes: settings.workers.allowedInstanceTypes,
      subnetIds: [], workerSecurityGroupId: 'sg-1', workerInstanceProfileArn: 'arn', allowedUsers: [], allowedChannels: [], admins: [],
    });
    expect(env.SCHED_ALLOWED_INSTANCE_TYPES).toBe('m7g.large,g6.xlarge');
    const loaded = loadConfig({ ...env, SCHED_SECRET: 's'.repeat(40), SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' }, { stdinIsTTY: false });
    expect(loaded.ok && loaded.config.spot.allowedInstanceTypes).toEqual(['m7g.large', 'g6.xlarge']);
  });

  test('a stack name becomes a deployment name the bot accepts', () => {
    expect(deploymentForStack('prod')).toBe('sched-prod');
    expect(deploymentForStack('Org/Very.Long-Stack_Name-That-Goes-On-And-On')).toMatch(/^[a-z0-9][a-z0-9-]{0,31}$/);
  });
});

describe('images', () => {
  test.each([
    ['t4g.small', 'arm64'],
    ['m7g.medium', 'arm64'],
    ['m7gd.large', 'arm64'],
    ['c7gn.xlarge', 'arm64'],
    ['im4gn.large', 'arm64'],
    ['g5g.xlarge', 'arm64'],
    ['a1.medium', 'arm64'],
    ['t3.small', 'x86_64'],
    ['m7i-flex.large', 'x86_64'],
    ['g4dn.xlarge', 'x86_64'],
    ['c6a.large', 'x86_64'],
    ['x2iedn.xlarge', 'x86_64'],
  ])('%s is %s', (type, architecture) => {
    expect(architectureOf(type)).toBe(architecture);
  });

  test('the default images come from AWS\u2019s public parameters', () => {
    expect(amazonLinuxParameter('arm64')).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
    expect(ecsOptimizedParameter('x86_64')).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id');
  });
});

/**
 * The bot policy and GPU jobs: the bot may launch the GPU image the stack passes it
 * (SCHED_GPU_AMI), replayed from the adapter's own RunInstances input, and no image when the stack
 * runs no GPU jobs.
 */
import * as pulumi from '@pulumi/pulumi';
import { describe, expect, test } from 'vitest';
import { runInstancesInput } from '../../bot/adapters/ec2-run-instances.js';
import { botEnvironment } from '../../infra/bot-environment.js';
import { ECS_GPU_OPTIMIZED_PARAMETER } from '../../infra/images.js';
import { botPolicy, type BotPolicyInput } from '../../infra/policies.js';
import { readSettings } from '../../infra/settings.js';
import { isAllowed } from './iam-simulator.js';
import { readProjectFile, stackConfig } from './pulumi-program.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const GPU_AMI = 'ami-0a9e6d0c0ffee0001';
const INPUT: BotPolicyInput = {
  partition: 'aws',
  region: REGION,
  accountId: ACCOUNT,
  deployment: 'sched-prod',
  tableArn: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/sched-prod-jobs`,
  indexNames: [],
  workerRoleArn: `arn:aws:iam::${ACCOUNT}:role/sched-prod-workers-role`,
  workerInstanceProfileArn: `arn:aws:iam::${ACCOUNT}:instance-profile/sched-prod-workers-profile`,
  workerSecurityGroupId: 'sg-0123456789abcdef0',
  workerImageId: 'ami-0fedcba9876543210',
  allowedInstanceTypes: ['m7g.medium', 'g6.xlarge'],
  subnetIds: ['subnet-0aaa1111'],
  secretParameterArns: [],
  botBundleObjectArn: 'arn:aws:s3:::sched-prod-artifact/bot/sched.cjs',
};
const image = (id: string) => `arn:aws:ec2:${REGION}::image/${id}`;
const canLaunchImage = (input: BotPolicyInput, id: string) => isAllowed(botPolicy(input), { action: 'ec2:RunInstances', resource: image(id) });

describe('the bot policy and the GPU image', () => {
  test('a GPU job\u2019s RunInstances uses the GPU image, and the policy allows it', () => {
    const run = runInstancesInput(
      { deployment: INPUT.deployment, amiId: INPUT.workerImageId, gpuAmiId: GPU_AMI, securityGroupIds: [INPUT.workerSecurityGroupId] },
      { jobId: 'j-1', attempt: 1, market: 'spot', pools: [{ instanceType: 'g6.xlarge' }], userData: '#!/bin/bash\n', clientToken: 'j-1.1', gpus: 'all' },
      { instanceType: 'g6.xlarge', subnetId: 'subnet-0aaa1111' },
    );
    expect(run.ImageId).toBe(GPU_AMI);
    expect(canLaunchImage({ ...INPUT, workerGpuImageId: GPU_AMI }, GPU_AMI)).toBe(true);
    expect(canLaunchImage({ ...INPUT, workerGpuImageId: GPU_AMI }, INPUT.workerImageId)).toBe(true);
  });

  test('without a GPU image the policy allows the worker image only', () => {
    expect(canLaunchImage(INPUT, GPU_AMI)).toBe(false);
    expect(canLaunchImage(INPUT, INPUT.workerImageId)).toBe(true);
  });
});

describe('the workerGpuAmi setting', () => {
  const project = readProjectFile();
  const settingsFrom = (values: Record<string, unknown>) => {
    pulumi.runtime.setAllConfig(stackConfig(project, { slackBotToken: 'xoxb-1', slackAppToken: 'xapp-1', ...values }), ['sched:slackBotToken', 'sched:slackAppToken']);
    return readSettings(new pulumi.Config(project.name), 'dev');
  };

  test('empty: GPU jobs on the default GPU image; an AMI id: that one; none: no GPU jobs', () => {
    expect(settingsFrom({}).workers.gpuJobs).toBe(true);
    expect(settingsFrom({}).workers.gpuAmi).toBeUndefined();
    expect(settingsFrom({ workerGpuAmi: GPU_AMI }).workers).toMatchObject({ gpuJobs: true, gpuAmi: GPU_AMI });
    expect(settingsFrom({ workerGpuAmi: 'none' }).workers.gpuJobs).toBe(false);
    expect(settingsFrom({ workerGpuAmi: 'none' }).workers.gpuAmi).toBeUndefined();
    expect(() => settingsFrom({ workerGpuAmi: 'cuda' })).toThrow(/workerGpuAmi: "cuda" is not an AMI id \(or none\)/);
  });

  test('the default is the x86_64 ECS GPU-optimized Amazon Linux 2023 parameter', () => {
    expect(ECS_GPU_OPTIMIZED_PARAMETER).toBe('/aws/service/ecs/optimized-ami/amazon-linux-2023/gpu/recommended/image_id');
  });

  test('the bot gets SCHED_GPU_AMI only when there is a GPU image', () => {
    const base = {
      region: REGION, deployment: 'sched-prod', port: 8080, publicUrl: 'http://10.0.0.1:8080', tableName: 't', retentionDays: 30,
      workerImageId: INPUT.workerImageId, workerInstanceTypes: ['m7g.medium'], subnetIds: [], workerSecurityGroupId: 'sg-1',
      workerInstanceProfileArn: 'arn', allowedUsers: [], allowedChannels: [], admins: [],
    };
    expect(botEnvironment({ ...base, workerGpuImageId: GPU_AMI }).SCHED_GPU_AMI).toBe(GPU_AMI);
    expect(botEnvironment(base)).not.toHaveProperty('SCHED_GPU_AMI');
  });
});

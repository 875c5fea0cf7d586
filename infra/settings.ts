/**
 * The stack's configuration, read in one place and checked with every problem reported at once.
 * Defaults live in Pulumi.yaml only: the Pulumi CLI merges them into the stack's configuration, so
 * every key here is `require`d.
 */
import * as pulumi from '@pulumi/pulumi';
import { DEPLOYMENT_NAME, RETENTION_DAYS, SLACK_CHANNEL_ID, SLACK_USER_ID, SUBNET_ID, isInstanceType, isPositivePrice } from '../bot/core/facts.js';
import { architectureOf } from './images.js';

export interface Settings {
  region: string;
  /** Tag value and name prefix of everything this stack makes; see Pulumi.yaml. */
  deployment: string;
  port: number;
  bot: { instanceType: string; ami?: string; publicIp: boolean };
  /**
   * `gpuAmi`: the GPU jobs' image when the operator names one; `gpuJobs` false: no GPU jobs at all.
   * `allowedInstanceTypes`: the only types a job may name (bot and IAM); it includes `instanceTypes`.
   */
  workers: { instanceTypes: string[]; allowedInstanceTypes: string[]; maxPrice?: string; ami?: string; gpuAmi?: string; gpuJobs: boolean };
  network: { vpcId?: string; subnetIds: string[] };
  slackAccess: { allowedUsers: string[]; allowedChannels: string[]; admins: string[] };
  retentionDays: number;
  tableDeletionProtection: boolean;
  slack: { botToken: pulumi.Output<string>; appToken: pulumi.Output<string> };
}

// The shapes bot/config.ts accepts come from bot/core/facts.ts and are checked here too, so a typo
// fails the preview, not the boot. These the bot never reads.
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
const AMI = /^ami-[0-9a-f]{8,17}$/;
const VPC = /^vpc-[0-9a-f]+$/;

/** The deployment name an unset `deployment` stands for. */
export function deploymentForStack(stack: string): string {
  return `sched-${stack.toLowerCase().replace(/[^a-z0-9-]+/g, '-')}`.slice(0, 32).replace(/-+$/, '');
}

export function readSettings(config: pulumi.Config, stack: string): Settings {
  const problems: string[] = [];
  const check = (ok: boolean, problem: string) => {
    if (!ok) problems.push(problem);
  };
  const optional = (key: string): string | undefined => {
    const value = config.require(key).trim();
    return value === '' ? undefined : value;
  };
  const list = (key: string): string[] => {
    const value = config.requireObject<unknown>(key);
    if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
      problems.push(`${key}: must be a list of strings`);
      return [];
    }
    return value.map((item) => item.trim()).filter((item) => item !== '');
  };

  const region = config.require('region');
  check(REGION.test(region), `region: "${region}" is not an AWS region`);
  const deployment = optional('deployment') ?? deploymentForStack(stack);
  check(DEPLOYMENT_NAME.test(deployment), `deployment: "${deployment}" must be lowercase letters, digits and dashes, at most 32`);

  const port = config.requireNumber('port');
  check(Number.isInteger(port) && port >= 1024 && port <= 65535, `port: ${port} must be a whole number from 1024 to 65535 (the bot runs unprivileged)`);

  const botInstanceType = config.require('botInstanceType');
  check(isInstanceType(botInstanceType), `botInstanceType: "${botInstanceType}" is not an instance type`);
  const botAmi = optional('botAmi');
  check(botAmi === undefined || AMI.test(botAmi), `botAmi: "${botAmi}" is not an AMI id`);

  const workerInstanceTypes = list('workerInstanceTypes');
  check(workerInstanceTypes.length > 0, 'workerInstanceTypes: at least one instance type is needed');
  for (const type of workerInstanceTypes) check(isInstanceType(type), `workerInstanceTypes: "${type}" is not an instance type`);
  const architectures = new Set(workerInstanceTypes.map(architectureOf));
  check(architectures.size <= 1, `workerInstanceTypes: ${workerInstanceTypes.join(', ')} mix arm64 and x86_64; one worker image cannot run on both`);
  const allowedListed = list('allowedInstanceTypes');
  for (const type of allowedListed) check(isInstanceType(type), `allowedInstanceTypes: "${type}" is not an instance type`);
  const allowedInstanceTypes = allowedListed.length > 0 ? allowedListed : [...workerInstanceTypes];
  const notAllowed = workerInstanceTypes.filter((type) => !allowedInstanceTypes.includes(type));
  check(notAllowed.length === 0, `allowedInstanceTypes: must include every workerInstanceTypes entry; missing: ${notAllowed.join(', ')}`);
  const workerMaxPrice = optional('workerMaxPrice');
  check(workerMaxPrice === undefined || isPositivePrice(workerMaxPrice), `workerMaxPrice: "${workerMaxPrice}" must be a positive number of USD per hour`);
  const workerAmi = optional('workerAmi');
  check(workerAmi === undefined || AMI.test(workerAmi), `workerAmi: "${workerAmi}" is not an AMI id`);
  const workerGpuAmi = optional('workerGpuAmi');
  const gpuJobs = workerGpuAmi !== 'none';
  check(!gpuJobs || workerGpuAmi === undefined || AMI.test(workerGpuAmi), `workerGpuAmi: "${workerGpuAmi}" is not an AMI id (or none)`);

  const vpcId = optional('vpcId');
  check(vpcId === undefined || VPC.test(vpcId), `vpcId: "${vpcId}" is not a VPC id`);
  const subnetIds = list('subnetIds');
  for (const id of subnetIds) check(SUBNET_ID.test(id), `subnetIds: "${id}" is not a subnet id`);
  check(subnetIds.length === 0 || vpcId !== undefined, 'subnetIds: set vpcId too, the VPC these subnets are in');

  const slackAccess = { allowedUsers: list('allowedUsers'), allowedChannels: list('allowedChannels'), admins: list('admins') };
  for (const [key, ids, pattern, kind] of [
    ['allowedUsers', slackAccess.allowedUsers, SLACK_USER_ID, 'user id (U012AB3CD)'],
    ['admins', slackAccess.admins, SLACK_USER_ID, 'user id (U012AB3CD)'],
    ['allowedChannels', slackAccess.allowedChannels, SLACK_CHANNEL_ID, 'channel id (C012AB3CD)'],
  ] as const) {
    for (const id of ids) check(pattern.test(id), `${key}: "${id}" is not a Slack ${kind}`);
  }

  const retentionDays = config.requireNumber('retentionDays');
  check(
    Number.isInteger(retentionDays) && retentionDays >= RETENTION_DAYS.min && retentionDays <= RETENTION_DAYS.max,
    `retentionDays: ${retentionDays} must be a whole number from ${RETENTION_DAYS.min} to ${RETENTION_DAYS.max}`,
  );
  const tableDeletionProtection = config.requireBoolean('tableDeletionProtection');

  const slack = { botToken: config.requireSecret('slackBotToken'), appToken: config.requireSecret('slackAppToken') };

  if (problems.length > 0) {
    throw new pulumi.RunError(`the stack configuration has ${problems.length} problem(s):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
  return {
    region,
    deployment,
    port,
    bot: { instanceType: botInstanceType, ami: botAmi, publicIp: config.requireBoolean('botPublicIp') },
    workers: { instanceTypes: workerInstanceTypes, allowedInstanceTypes, maxPrice: workerMaxPrice, ami: workerAmi, ...(gpuJobs && workerGpuAmi !== undefined && { gpuAmi: workerGpuAmi }), gpuJobs },
    network: { vpcId, subnetIds },
    slackAccess,
    retentionDays,
    tableDeletionProtection,
    slack,
  };
}

/**
 * Sched on AWS: `pulumi up` stands up the job table, the workers' identity and firewall, the
 * secrets, and the bot host running the bot built from this checkout. Settings: Pulumi.yaml.
 */
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { BotArtifact } from './components/bot-artifact.js';
import { BotHost } from './components/bot-host.js';
import { BotRole } from './components/bot-role.js';
import { Network } from './components/network.js';
import { Secrets } from './components/secrets.js';
import { StateTable } from './components/state-table.js';
import { Workers } from './components/workers.js';
import { readSettings } from './settings.js';

const settings = readSettings(new pulumi.Config(), pulumi.getStack());
const name = settings.deployment;

// One explicit provider, so the configured region applies to every resource and lookup.
const provider = new aws.Provider('aws', { region: settings.region, defaultTags: { tags: { 'sched-stack': name } } });
const opts = { providers: [provider] };

const network = new Network(`${name}-network`, settings.network, opts);
const table = new StateTable(`${name}-jobs`, { deletionProtection: settings.tableDeletionProtection }, opts);
const workers = new Workers(
  `${name}-workers`,
  { vpcId: network.vpcId, instanceTypes: settings.workers.instanceTypes, ami: settings.workers.ami, gpuAmi: settings.workers.gpuAmi, gpuJobs: settings.workers.gpuJobs },
  opts,
);
const secrets = new Secrets(`${name}-secrets`, { deployment: name, slackBotToken: settings.slack.botToken, slackAppToken: settings.slack.appToken }, opts);
const artifact = new BotArtifact(`${name}-artifact`, {}, opts);

const botRole = new BotRole(
  `${name}-bot`,
  {
    region: settings.region,
    deployment: name,
    tableArn: table.arn,
    indexNames: table.indexNames,
    workerRoleArn: workers.roleArn,
    workerInstanceProfileArn: workers.instanceProfileArn,
    workerSecurityGroupId: workers.securityGroupId,
    workerImageId: workers.amiId,
    workerGpuImageId: workers.gpuAmiId,
    allowedInstanceTypes: settings.workers.allowedInstanceTypes,
    subnetIds: network.subnetIds,
    secretParameterArns: secrets.parameterArns,
    botBundleObjectArn: artifact.objectArn,
  },
  opts,
);

const bot = new BotHost(
  `${name}-bot`,
  {
    region: settings.region,
    instanceType: settings.bot.instanceType,
    ami: settings.bot.ami,
    publicIp: settings.bot.publicIp,
    port: settings.port,
    vpcId: network.vpcId,
    subnetIds: network.subnetIds,
    workerSecurityGroupId: workers.securityGroupId,
    instanceProfileName: botRole.instanceProfileName,
    waitFor: botRole.grants,
    bundleUrl: artifact.url,
    bundleSha256: artifact.sha256,
    bot: {
      deployment: name,
      tableName: table.name,
      retentionDays: settings.retentionDays,
      workerImageId: workers.amiId,
      workerGpuImageId: workers.gpuAmiId,
      workerInstanceTypes: settings.workers.instanceTypes,
      allowedInstanceTypes: settings.workers.allowedInstanceTypes,
      workerMaxPrice: settings.workers.maxPrice,
      subnetIds: network.subnetIds,
      workerSecurityGroupId: workers.securityGroupId,
      workerInstanceProfileArn: workers.instanceProfileArn,
      ...settings.slackAccess,
    },
    secretParameters: secrets.parameterNames,
  },
  opts,
);

export const deployment = name;
export const region = settings.region;
export const tableName = table.name;
export const botInstanceId = bot.instanceId;
/** Opens a shell on the bot host; `sudo journalctl -u sched -f` there follows the bot's log. */
export const sessionCommand = pulumi.interpolate`aws ssm start-session --region ${settings.region} --target ${bot.instanceId}`;
/** Where job instances report (SCHED_PUBLIC_URL); reachable from the workers' security group only. */
export const notificationUrl = bot.publicUrl;
/** Bearer token of the REST API: `pulumi stack output apiToken --show-secrets`. */
export const apiToken = secrets.apiToken;
export const workerSecurityGroupId = workers.securityGroupId;
export const botBundleBytes = artifact.bytes;

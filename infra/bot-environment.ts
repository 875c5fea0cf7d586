/**
 * The bot host's environment: the variables bot/config.ts reads, as this stack sets them. Pure;
 * test/infra validates the result with the bot's own `loadConfig`, so the two cannot drift apart.
 */

/** Variables the bot gets from SSM Parameter Store when it starts, never from a file. */
export const SECRET_VARIABLES = ['SCHED_SECRET', 'SCHED_API_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN'] as const;
export type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** The bot's working and state directory on the host (systemd's StateDirectory). */
export const BOT_STATE_DIR = '/var/lib/sched';

/** Where a secret lives in Parameter Store: one path per deployment, one name per variable. */
export function secretParameterName(deployment: string, variable: SecretVariable): string {
  return `/sched/${deployment}/${variable}`;
}

export interface BotEnvironmentInput {
  region: string;
  deployment: string;
  port: number;
  /** Base URL the workers call: the bot host's fixed private address. */
  publicUrl: string;
  tableName: string;
  retentionDays: number;
  workerImageId: string;
  /** The GPU jobs' image (SCHED_GPU_AMI); absent: the bot refuses GPU jobs. */
  workerGpuImageId?: string;
  workerInstanceTypes: readonly string[];
  /** SCHED_ALLOWED_INSTANCE_TYPES; absent: the bot's default, `workerInstanceTypes`. */
  allowedInstanceTypes?: readonly string[];
  workerMaxPrice?: string;
  subnetIds: readonly string[];
  workerSecurityGroupId: string;
  workerInstanceProfileArn: string;
  allowedUsers: readonly string[];
  allowedChannels: readonly string[];
  admins: readonly string[];
}

export function botEnvironment(input: BotEnvironmentInput): Record<string, string> {
  const lists = {
    SCHED_ALLOWED_USERS: input.allowedUsers,
    SCHED_ALLOWED_CHANNELS: input.allowedChannels,
    SCHED_ADMINS: input.admins,
  };
  return {
    AWS_REGION: input.region,
    // Explicit modes: a missing secret must stop the bot, not quietly turn it into a local one.
    SCHED_COMPUTE: 'ec2',
    SCHED_STORE: 'dynamodb',
    SCHED_CHAT: 'slack',
    SCHED_HOST: '0.0.0.0',
    SCHED_PORT: String(input.port),
    SCHED_PUBLIC_URL: input.publicUrl,
    SCHED_DATA_DIR: BOT_STATE_DIR,
    SCHED_DEPLOYMENT: input.deployment,
    SCHED_TABLE: input.tableName,
    SCHED_RETENTION_DAYS: String(input.retentionDays),
    SCHED_AMI: input.workerImageId,
    ...(input.workerGpuImageId !== undefined && { SCHED_GPU_AMI: input.workerGpuImageId }),
    SCHED_INSTANCE_TYPES: input.workerInstanceTypes.join(','),
    ...(input.allowedInstanceTypes !== undefined && { SCHED_ALLOWED_INSTANCE_TYPES: input.allowedInstanceTypes.join(',') }),
    ...(input.workerMaxPrice !== undefined && { SCHED_MAX_PRICE: input.workerMaxPrice }),
    SCHED_SUBNET_IDS: input.subnetIds.join(','),
    SCHED_SECURITY_GROUP_IDS: input.workerSecurityGroupId,
    SCHED_INSTANCE_PROFILE: input.workerInstanceProfileArn,
    // Unset means "everyone": only a non-empty list is written.
    ...Object.fromEntries(Object.entries(lists).filter(([, ids]) => ids.length > 0).map(([key, ids]) => [key, ids.join(',')])),
  };
}

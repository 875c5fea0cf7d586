// Over 300 lines: every variable's schema and the checks between them, one contract read in one place.
/**
 * The bot's one configuration: read from environment variables in one place, validated with
 * every problem reported at once. The variable names are a contract with the Pulumi program, the
 * README (its "Configuration" table) and the tests.
 */
import { z } from 'zod';
import {
  DEFAULT_INTERRUPTIONS_TOLERATED,
  DEFAULT_PORT,
  DEFAULT_WORKER_INSTANCE_TYPES,
  DEPLOYMENT_NAME,
  MAX_INTERRUPTIONS_TOLERATED,
  RETENTION_DAYS,
  SLACK_CHANNEL_ID,
  SLACK_USER_ID,
  SUBNET_ID,
  isInstanceType,
  isPositivePrice,
} from './core/facts.js';
import { formatDuration } from './core/duration.js';
import { parseDuration } from './core/request/job-request-fields.js';
import { parseOnDemandPrices } from './core/on-demand-prices.js';
import type { GpuFacts } from './core/request/gpu-fields.js';
import { priceAbove, type GuardRails } from './core/request/guard-rails.js';
import { JOB_REQUEST_LIMITS } from './core/request/job-request-fields.js';

const csv = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((part) => part.trim()).filter(Boolean));

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((value) => (value === undefined || value === '' ? fallback : ['true', '1', 'yes'].includes(value)));

const int = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const n = Number(value);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, got "${value}"` });
        return z.NEVER;
      }
      return n;
    });

/** SCHED_LAUNCH_TIMEOUT: how long an instance may run before its agent says `started`. */
export const LAUNCH_TIMEOUT_SECONDS = { default: 600, min: 60, max: 86400 } as const;

/** A duration such as "10m", "1h30m" or bare seconds "600", within bounds, in seconds. */
const duration = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const seconds = parseDuration(value);
      if (seconds === undefined || seconds < min || seconds > max) {
        ctx.addIssue({ code: 'custom', message: `must be a duration from ${formatDuration(min)} to ${formatDuration(max)} ("10m", "90s", "600"), got "${value}"` });
        return z.NEVER;
      }
      return seconds;
    });

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const envSchema = z.object({
  SCHED_PORT: int(DEFAULT_PORT, 0, 65535),
  SCHED_HOST: optional,
  SCHED_PUBLIC_URL: optional,
  SCHED_SECRET: optional,
  SCHED_API_TOKEN: optional,
  SCHED_COMPUTE: z.enum(['ec2', 'local']).optional(),
  SCHED_STORE: z.enum(['dynamodb', 'embedded']).optional(),
  SCHED_TABLE: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name').default('sched-jobs'),
  SCHED_DATA_DIR: z.string().min(1).default('.sched'),
  SCHED_CHAT: z.enum(['slack', 'terminal', 'none']).optional(),
  SCHED_POLL_SECONDS: int(30, 1, 3600),
  SCHED_LAUNCH_TIMEOUT: duration(LAUNCH_TIMEOUT_SECONDS.default, LAUNCH_TIMEOUT_SECONDS.min, LAUNCH_TIMEOUT_SECONDS.max),
  SCHED_AMI: optional,
  SCHED_GPU_AMI: optional,
  SCHED_INSTANCE_TYPES: csv,
  SCHED_ALLOWED_INSTANCE_TYPES: csv,
  SCHED_MAX_PRICE: optional,
  SCHED_SUBNET_IDS: csv,
  SCHED_SECURITY_GROUP_IDS: csv,
  SCHED_INSTANCE_PROFILE: optional,
  SCHED_ON_DEMAND_PRICES: optional,
  SCHED_MAX_PRICE_CEILING: optional,
  SCHED_DEFAULT_TIMEOUT: optional,
  SCHED_MAX_TIMEOUT: optional,
  SCHED_LOCAL_MEMORY: optional,
  SCHED_LOCAL_CPUS: optional,
  SCHED_CALLBACK_ALLOW_PRIVATE: bool(false),
  SCHED_DEPLOYMENT: z.string().regex(DEPLOYMENT_NAME, 'must be lowercase letters, digits and dashes, at most 32').default('sched'),
  SCHED_RETENTION_DAYS: int(RETENTION_DAYS.default, RETENTION_DAYS.min, RETENTION_DAYS.max),
  SCHED_DEFAULT_RETRIES: int(DEFAULT_INTERRUPTIONS_TOLERATED, 0, MAX_INTERRUPTIONS_TOLERATED),
  SCHED_MAX_ACTIVE_JOBS_PER_USER: int(20, 1, 100000),
  SCHED_MAX_SCHEDULES_PER_USER: int(10, 0, 100000),
  SCHED_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SCHED_ALLOWED_USERS: csv,
  SCHED_ALLOWED_CHANNELS: csv,
  SCHED_ADMINS: csv,
  SLACK_BOT_TOKEN: optional,
  SLACK_APP_TOKEN: optional,
  SLACK_SIGNING_SECRET: optional,
  SLACK_API_URL: optional,
  AWS_REGION: optional,
  AWS_DEFAULT_REGION: optional,
  AWS_ENDPOINT_URL: optional,
  AWS_ACCESS_KEY_ID: optional,
  AWS_PROFILE: optional,
  AWS_WEB_IDENTITY_TOKEN_FILE: optional,
  AWS_CONTAINER_CREDENTIALS_FULL_URI: optional,
  AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: optional,
});

export interface Config {
  port: number;
  /** Address the HTTP server binds: all interfaces on EC2 (instances call in), else loopback. */
  host: string;
  publicUrl: string;
  /** Absent only in the embedded default, which generates one under `dataDir`. */
  secret?: string;
  apiToken?: string;
  compute: 'ec2' | 'local';
  store: 'dynamodb' | 'embedded';
  table: string;
  dataDir: string;
  chat: 'slack' | 'terminal' | 'none';
  pollSeconds: number;
  /** An instance whose agent has not said `started` this long after launch is replaced. */
  launchTimeoutSeconds: number;
  deployment: string;
  retentionDays: number;
  defaultInterruptionsTolerated: number;
  /** Per-person caps for chat users (admins exempt). */
  limits: { activeJobsPerUser: number; schedulesPerUser: number };
  logLevel: string;
  callbackAllowPrivate: boolean;
  /** The operator's price ceiling and run-time limits, on every job (bot/core/request/guard-rails.ts). */
  guardRails: GuardRails;
  /**
   * What one local container may use (`--memory`, `--cpus`, `--pids-limit`): `SCHED_LOCAL_MEMORY`,
   * `SCHED_LOCAL_CPUS` (absent: 2, or fewer on a smaller machine; main.ts decides), a fixed pid limit.
   */
  localLimits: { memory: string; cpus?: string; pids: number };
  spot: {
    ami?: string;
    /** The image of `--gpus` jobs (NVIDIA driver and container runtime); unset: EC2 refuses GPU jobs. */
    gpuAmi?: string;
    instanceTypes: string[];
    /** The operator's guard rail on cost: the only types a job may name (default: `instanceTypes`). */
    allowedInstanceTypes: string[];
    maxPrice?: string;
    subnetIds: string[];
    securityGroupIds: string[];
    instanceProfile?: string;
    /** On-demand USD/hour per type over the default table (bot/core/on-demand-prices.ts): `SCHED_ON_DEMAND_PRICES`. */
    onDemandPrices: Record<string, number>;
  };
  slack: { botToken?: string; appToken?: string; signingSecret?: string; apiUrl?: string };
  /** Who may use Sched from chat; unset lists mean everyone. */
  access: { allowedUsers: string[]; allowedChannels: string[]; admins: string[] };
  aws: { region?: string; endpoint?: string };
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Secrets shorter than this are refused: they are HMAC keys and bearer tokens. */
export const MIN_SECRET_LENGTH = 32;

/** Variables whose values are never echoed in a problem. */
const SECRET_VARIABLES = new Set(['SCHED_SECRET', 'SCHED_API_TOKEN', 'SLACK_BOT_TOKEN', 'SLACK_APP_TOKEN', 'SLACK_SIGNING_SECRET']);

/** One problem in words, with the value it was given (unless secret or already shown). */
function problemWords(issue: z.core.$ZodIssue, name: string, value: string | undefined): string {
  const words =
    issue.code === 'invalid_value'
      ? `must be one of ${issue.values
          .filter((option) => option !== '')
          .map((option) => JSON.stringify(option))
          .join(', ')}`
      : issue.message;
  if (SECRET_VARIABLES.has(name) || words.includes(', got ')) return words;
  return `${words}, got ${JSON.stringify(value ?? '')}`;
}

export function loadConfig(env: Record<string, string | undefined>, opts: { stdinIsTTY: boolean }): ConfigResult {
  // Field by field, so a bad value in one variable does not hide the problems of the others.
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(envSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(env[name]);
    if (result.success) {
      values[name] = result.data;
    } else {
      problems.push(...result.error.issues.map((issue) => `${name}: ${problemWords(issue, name, env[name])}`));
      values[name] = (schema as z.ZodType).safeParse(undefined).data;
    }
  }
  const e = values as z.infer<typeof envSchema>;

  const region = e.AWS_REGION ?? e.AWS_DEFAULT_REGION;
  const hasCredentials = Boolean(
    e.AWS_ACCESS_KEY_ID ?? e.AWS_PROFILE ?? e.AWS_WEB_IDENTITY_TOKEN_FILE ?? e.AWS_CONTAINER_CREDENTIALS_FULL_URI ?? e.AWS_CONTAINER_CREDENTIALS_RELATIVE_URI,
  );
  const awsConfigured = Boolean(region) && (hasCredentials || Boolean(e.AWS_ENDPOINT_URL));
  const compute = e.SCHED_COMPUTE ?? (awsConfigured ? 'ec2' : 'local');
  const store = e.SCHED_STORE ?? (awsConfigured ? 'dynamodb' : 'embedded');
  const hasSlack = Boolean(e.SLACK_BOT_TOKEN && (e.SLACK_APP_TOKEN ?? e.SLACK_SIGNING_SECRET));
  const chat = e.SCHED_CHAT ?? (hasSlack ? 'slack' : opts.stdinIsTTY ? 'terminal' : 'none');

  if ((compute === 'ec2' || store === 'dynamodb') && !region) {
    problems.push(`AWS_REGION: required with SCHED_COMPUTE=${compute} and SCHED_STORE=${store}`);
  }
  if (compute === 'ec2') {
    if (!e.SCHED_AMI) problems.push('SCHED_AMI: required with SCHED_COMPUTE=ec2 (the worker image; the Pulumi stack sets it)');
    if (!e.SCHED_SECRET) problems.push('SCHED_SECRET: required with SCHED_COMPUTE=ec2 (instances authenticate with it)');
  }
  if (e.SCHED_SECRET && e.SCHED_SECRET.length < MIN_SECRET_LENGTH) {
    problems.push(`SCHED_SECRET: must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (e.SCHED_API_TOKEN && e.SCHED_API_TOKEN.length < MIN_SECRET_LENGTH) {
    problems.push(`SCHED_API_TOKEN: must be at least ${MIN_SECRET_LENGTH} characters`);
  }
  if (e.SCHED_GPU_AMI !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(e.SCHED_GPU_AMI)) {
    problems.push(`SCHED_GPU_AMI: "${e.SCHED_GPU_AMI}" is not an AMI id`);
  }
  const instanceTypes = e.SCHED_INSTANCE_TYPES.length > 0 ? e.SCHED_INSTANCE_TYPES : [...DEFAULT_WORKER_INSTANCE_TYPES];
  for (const type of instanceTypes) {
    if (!isInstanceType(type)) problems.push(`SCHED_INSTANCE_TYPES: "${type}" is not an instance type`);
  }
  const allowedInstanceTypes = e.SCHED_ALLOWED_INSTANCE_TYPES.length > 0 ? e.SCHED_ALLOWED_INSTANCE_TYPES : [...instanceTypes];
  for (const type of e.SCHED_ALLOWED_INSTANCE_TYPES) {
    if (!isInstanceType(type)) problems.push(`SCHED_ALLOWED_INSTANCE_TYPES: "${type}" is not an instance type`);
  }
  const outsideAllowed = instanceTypes.filter((type) => !allowedInstanceTypes.includes(type));
  if (outsideAllowed.length > 0) {
    problems.push(`SCHED_ALLOWED_INSTANCE_TYPES: must include every default type (SCHED_INSTANCE_TYPES); missing: ${outsideAllowed.join(', ')}`);
  }
  if (e.SCHED_MAX_PRICE !== undefined && !isPositivePrice(e.SCHED_MAX_PRICE)) {
    problems.push(`SCHED_MAX_PRICE: must be a positive number of USD per hour, got "${e.SCHED_MAX_PRICE}"`);
  }
  const onDemand = parseOnDemandPrices(e.SCHED_ON_DEMAND_PRICES ?? '');
  if (!onDemand.ok) problems.push(...onDemand.problems.map((problem) => `SCHED_ON_DEMAND_PRICES: ${problem}`));
  for (const id of e.SCHED_SUBNET_IDS) if (!SUBNET_ID.test(id)) problems.push(`SCHED_SUBNET_IDS: "${id}" is not a subnet id`);
  for (const id of e.SCHED_SECURITY_GROUP_IDS) if (!/^sg-[0-9a-f]+$/.test(id)) problems.push(`SCHED_SECURITY_GROUP_IDS: "${id}" is not a security group id`);
  const publicUrl = (e.SCHED_PUBLIC_URL ?? `http://127.0.0.1:${e.SCHED_PORT}`).replace(/\/+$/, '');
  if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(publicUrl)) problems.push(`SCHED_PUBLIC_URL: must be an http(s) URL, got "${publicUrl}"`);
  for (const [name, value] of [['SLACK_API_URL', e.SLACK_API_URL], ['AWS_ENDPOINT_URL', e.AWS_ENDPOINT_URL]] as const) {
    if (value !== undefined && !/^https?:\/\/\S+$/.test(value)) problems.push(`${name}: must be an http(s) URL`);
  }
  for (const [name, ids, pattern] of [
    ['SCHED_ALLOWED_USERS', e.SCHED_ALLOWED_USERS, SLACK_USER_ID],
    ['SCHED_ADMINS', e.SCHED_ADMINS, SLACK_USER_ID],
    ['SCHED_ALLOWED_CHANNELS', e.SCHED_ALLOWED_CHANNELS, SLACK_CHANNEL_ID],
  ] as const) {
    for (const id of ids) if (!pattern.test(id)) problems.push(`${name}: "${id}" is not a Slack ${pattern === SLACK_USER_ID ? 'user' : 'channel'} id`);
  }
  const guardRails = guardRailsFrom(e, problems);
  const localLimits = localLimitsFrom(e, problems);
  if (chat === 'slack' && compute === 'local' && e.SCHED_ALLOWED_USERS.length === 0) {
    problems.push(
      'SCHED_ALLOWED_USERS: required with Slack and local compute (SCHED_CHAT=slack, SCHED_COMPUTE=local): without it every member of the ' +
        'workspace could run containers on this machine; set it to the Slack user ids (U…) who may, comma-separated',
    );
  }
  if (chat === 'slack') {
    if (!e.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: required with SCHED_CHAT=slack');
    if (!e.SLACK_APP_TOKEN && !e.SLACK_SIGNING_SECRET) {
      problems.push('SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: one is required with SCHED_CHAT=slack (Socket Mode or HTTP mode)');
    }
  }
  if (problems.length > 0) return { ok: false, problems };

  return {
    ok: true,
    config: {
      port: e.SCHED_PORT,
      host: e.SCHED_HOST ?? (compute === 'ec2' ? '0.0.0.0' : '127.0.0.1'),
      publicUrl,
      secret: e.SCHED_SECRET,
      apiToken: e.SCHED_API_TOKEN,
      compute,
      store,
      table: e.SCHED_TABLE,
      dataDir: e.SCHED_DATA_DIR,
      chat,
      pollSeconds: e.SCHED_POLL_SECONDS,
      launchTimeoutSeconds: e.SCHED_LAUNCH_TIMEOUT,
      deployment: e.SCHED_DEPLOYMENT,
      retentionDays: e.SCHED_RETENTION_DAYS,
      defaultInterruptionsTolerated: e.SCHED_DEFAULT_RETRIES,
      limits: { activeJobsPerUser: e.SCHED_MAX_ACTIVE_JOBS_PER_USER, schedulesPerUser: e.SCHED_MAX_SCHEDULES_PER_USER },
      logLevel: e.SCHED_LOG_LEVEL,
      callbackAllowPrivate: e.SCHED_CALLBACK_ALLOW_PRIVATE,
      guardRails,
      localLimits,
      spot: {
        ami: e.SCHED_AMI,
        gpuAmi: e.SCHED_GPU_AMI,
        instanceTypes,
        allowedInstanceTypes,
        maxPrice: e.SCHED_MAX_PRICE,
        subnetIds: e.SCHED_SUBNET_IDS,
        securityGroupIds: e.SCHED_SECURITY_GROUP_IDS,
        instanceProfile: e.SCHED_INSTANCE_PROFILE,
        onDemandPrices: onDemand.ok ? onDemand.prices : {},
      },
      slack: { botToken: e.SLACK_BOT_TOKEN, appToken: e.SLACK_APP_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, apiUrl: e.SLACK_API_URL },
      aws: { region, endpoint: e.AWS_ENDPOINT_URL },
      access: { allowedUsers: e.SCHED_ALLOWED_USERS, allowedChannels: e.SCHED_ALLOWED_CHANNELS, admins: e.SCHED_ADMINS },
    },
  };
}

type Env = z.infer<typeof envSchema>;

/** A duration variable of the guard rails, within what a job's `--timeout` may be. */
function optionalTimeout(name: string, value: string | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined || seconds > JOB_REQUEST_LIMITS.timeoutSeconds) {
    problems.push(`${name}: must be a duration from 1s to ${formatDuration(JOB_REQUEST_LIMITS.timeoutSeconds)} ("6h", "90m", "1d"), got "${value}"`);
    return undefined;
  }
  return seconds;
}

/** `SCHED_MAX_PRICE_CEILING`, `SCHED_DEFAULT_TIMEOUT`, `SCHED_MAX_TIMEOUT`, and how they fit together. */
function guardRailsFrom(e: Env, problems: string[]): GuardRails {
  const rails: GuardRails = {};
  const ceiling = e.SCHED_MAX_PRICE_CEILING;
  if (ceiling !== undefined) {
    if (isPositivePrice(ceiling)) rails.maxPriceCeiling = ceiling;
    else problems.push(`SCHED_MAX_PRICE_CEILING: must be a positive number of USD per hour such as "0.50", got "${ceiling}"`);
  }
  if (rails.maxPriceCeiling !== undefined && e.SCHED_MAX_PRICE !== undefined && isPositivePrice(e.SCHED_MAX_PRICE) && priceAbove(e.SCHED_MAX_PRICE, rails.maxPriceCeiling)) {
    problems.push(`SCHED_MAX_PRICE: the default max price ${e.SCHED_MAX_PRICE} is above SCHED_MAX_PRICE_CEILING ${rails.maxPriceCeiling}`);
  }
  const defaultTimeout = optionalTimeout('SCHED_DEFAULT_TIMEOUT', e.SCHED_DEFAULT_TIMEOUT, problems);
  const maxTimeout = optionalTimeout('SCHED_MAX_TIMEOUT', e.SCHED_MAX_TIMEOUT, problems);
  if (defaultTimeout !== undefined) rails.defaultTimeoutSeconds = defaultTimeout;
  if (maxTimeout !== undefined) rails.maxTimeoutSeconds = maxTimeout;
  if (defaultTimeout !== undefined && maxTimeout !== undefined && defaultTimeout > maxTimeout) {
    problems.push(`SCHED_DEFAULT_TIMEOUT: ${formatDuration(defaultTimeout)} is longer than SCHED_MAX_TIMEOUT ${formatDuration(maxTimeout)}; the default must be within the maximum`);
  }
  return rails;
}

/** Local containers' limits: a memory size as docker and podman take it, a CPU count, a fixed pid limit. */
export const LOCAL_LIMIT_DEFAULTS = { memory: '2g', cpus: 2, pids: 512 } as const;

function localLimitsFrom(e: Env, problems: string[]): Config['localLimits'] {
  const memory = e.SCHED_LOCAL_MEMORY?.toLowerCase() ?? LOCAL_LIMIT_DEFAULTS.memory;
  // docker refuses less than 6 MB; units b, k, m, g as both CLIs read them.
  const memoryOk = /^[1-9]\d{0,12}[bkmg]?$/.test(memory) && memoryBytes(memory) >= 6 * 1024 * 1024;
  if (!memoryOk) problems.push(`SCHED_LOCAL_MEMORY: must be a memory size of at least 6m such as "512m" or "2g", got "${e.SCHED_LOCAL_MEMORY}"`);
  const cpus = e.SCHED_LOCAL_CPUS;
  if (cpus !== undefined && !(/^\d{1,4}(\.\d{1,2})?$/.test(cpus) && Number(cpus) >= 0.01)) {
    problems.push(`SCHED_LOCAL_CPUS: must be a number of CPUs such as "2" or "0.5", got "${cpus}"`);
  }
  return { memory, ...(cpus !== undefined && { cpus }), pids: LOCAL_LIMIT_DEFAULTS.pids };
}

function memoryBytes(size: string): number {
  const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[size.at(-1) ?? ''] ?? 1;
  return Number.parseInt(size, 10) * unit;
}

/**
 * What GPU jobs may ask of this deployment, for the request validator: on EC2, GPU instance types
 * and a GPU image (`SCHED_GPU_AMI`); on this machine, the container engine's GPUs, whatever the
 * types say.
 */
export function gpuFacts(config: Config): GpuFacts {
  if (config.compute === 'local') return { checkInstanceTypes: false };
  return config.spot.gpuAmi
    ? { checkInstanceTypes: true }
    : { checkInstanceTypes: true, unavailable: 'this deployment has no GPU image (SCHED_GPU_AMI is not set), so it cannot run GPU jobs; the Pulumi stack sets it by default' };
}

/**
 * The allow-list the request validator enforces: on EC2, `SCHED_ALLOWED_INSTANCE_TYPES`; on this
 * machine, none (instance types do not decide where a local job runs, as with `--gpus`).
 */
export function allowedInstanceTypes(config: Config): string[] | undefined {
  return config.compute === 'local' ? undefined : config.spot.allowedInstanceTypes;
}

/**
 * Why `chat` is what it is when neither SCHED_CHAT nor Slack chose it: stdin decides, so
 * `--check-config` run from a pipe or a script would otherwise say `none` to someone who will
 * then run `npm start` in a terminal. Undefined when the choice does not depend on stdin.
 */
export function chatChoice(env: Record<string, string | undefined>, config: Config): string | undefined {
  if (env.SCHED_CHAT || config.chat === 'slack') return undefined;
  return config.chat === 'terminal'
    ? 'terminal, since stdin is a terminal (SCHED_CHAT unset, no Slack tokens); from a pipe or a service: none'
    : 'none, since stdin is not a terminal (SCHED_CHAT unset, no Slack tokens); npm start typed in a terminal shows the prompt';
}

const SECRET_KEYS = new Set(['secret', 'apiToken', 'botToken', 'appToken', 'signingSecret']);

/** The configuration with every secret replaced by a mask that shows only whether it is set. */
export function maskConfig(config: Config): unknown {
  return JSON.parse(
    JSON.stringify(config, (key, value: unknown) => (SECRET_KEYS.has(key) && typeof value === 'string' ? `<set, ${value.length} chars>` : value)),
  );
}

/**
 * The body of `POST /v1/jobs`, validated. The field names are the original Flask service's
 * (`docker_image`, `datetime`, `callback`, `env_vars`) plus the new options of the command grammar
 * in snake_case. Every problem is reported at once, each prefixed with the field it concerns, so a
 * script author fixes a request in one round trip.
 *
 * `null` for an optional field means "not given": JSON clients commonly serialise absent values
 * that way, and the original read fields with `.get()`.
 */
import { validateCallbackUrlSyntax } from '../callback.js';
import { imageTransportPrefix, isValidImageReference, MAX_IMAGE_REFERENCE_LENGTH } from './image-ref.js';
import type { JobSpec } from '../job.js';
import { checkGpuPlacement, parseGpus, type GpuFacts } from './gpu-fields.js';
import { checkAllowedInstanceTypes } from './allowed-types.js';
import { checkGuardRails, defaultTimeout, type GuardRails } from './guard-rails.js';
import {
  JOB_REQUEST_LIMITS,
  isPlainObject,
  listRepeated,
  parseCommand,
  parseEnv,
  parseInstanceTypes,
  parseMaxPrice,
  parseName,
  parseRetries,
  parseTimeout,
  quote,
  typeName,
  utf8Length,
} from './job-request-fields.js';
import { parseOnDemandAfter, parseOnDemandWait, parseOnRebalance, parseRetryExitCodes } from './recovery-fields.js';

/** The operator's defaults for what a job leaves out, on every surface (REST, Slack, terminal). */
export interface JobDefaults {
  /** Used when the request names none; must not be empty for such a request to pass. */
  instanceTypes: string[];
  interruptionsTolerated: number;
  maxPrice?: string;
  /** What the deployment allows GPU jobs; absent: instance types are checked, no image is required. */
  gpus?: GpuFacts;
  /** The operator's allow-list (`SCHED_ALLOWED_INSTANCE_TYPES`); absent: not enforced (local compute). */
  allowedInstanceTypes?: string[];
  /** Where jobs run, so help and replies speak of it; absent: EC2. */
  compute?: 'ec2' | 'local';
  /** The operator's price ceiling and run-time limits (guard-rails.ts); absent: none. */
  guardRails?: GuardRails;
}

export interface JobRequestContext {
  now: Date;
  defaults: JobDefaults;
}

export type JobRequestResult =
  /** `dryRun`: `"dry_run": true` — show the plan, store nothing (bot/core/plan.ts). */
  | { ok: true; spec: JobSpec; runAt: string; dryRun?: true }
  | { ok: false; problems: string[] };

export const JOB_REQUEST_FIELDS = [
  'docker_image',
  'datetime',
  'callback',
  'env_vars',
  'command',
  'instance_types',
  'max_price',
  'retries',
  'timeout',
  'name',
  'dry_run',
  'gpus',
  'on_demand_after',
  'on_demand_wait',
  'retry_exit_codes',
  'on_rebalance',
] as const;

const DATETIME_REGEX = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})Z?$/;

export function parseJobRequest(body: unknown, ctx: JobRequestContext): JobRequestResult {
  if (!isPlainObject(body)) return { ok: false, problems: ['the body must be a JSON object'] };

  const problems: string[] = [];
  const unknown = Object.keys(body).filter((key) => !(JOB_REQUEST_FIELDS as readonly string[]).includes(key));
  listRepeated(
    problems,
    unknown.map((key, index) =>
      index === 0
        ? `${quote(key)}: unknown field (the fields are ${JOB_REQUEST_FIELDS.join(', ')})`
        : `${quote(key)}: unknown field`,
    ),
    'unknown fields',
  );

  const field = (name: (typeof JOB_REQUEST_FIELDS)[number]): unknown => {
    const value = Object.hasOwn(body, name) ? body[name] : undefined;
    return value === null ? undefined : value;
  };

  const image = parseImage(field('docker_image'), problems);
  const runAt = parseDatetime(field('datetime'), ctx.now, problems);
  const callbackUrl = parseCallback(field('callback'), problems);
  const env = parseEnv(field('env_vars'), problems);
  const command = parseCommand(field('command'), problems);
  const instanceTypes = parseInstanceTypes(field('instance_types'), ctx.defaults.instanceTypes, problems);
  if (instanceTypes) checkAllowedInstanceTypes(instanceTypes, ctx.defaults.allowedInstanceTypes, problems);
  const askedPrice = parseMaxPrice(field('max_price'), problems);
  const maxPrice = askedPrice ?? ctx.defaults.maxPrice ?? ctx.defaults.guardRails?.maxPriceCeiling;
  const retries = parseRetries(field('retries'), problems);
  const interruptionsTolerated = retries ?? ctx.defaults.interruptionsTolerated;
  const askedTimeout = parseTimeout(field('timeout'), problems);
  checkGuardRails({ maxPrice: askedPrice, timeoutSeconds: askedTimeout }, ctx.defaults.guardRails, problems);
  const timeoutSeconds = askedTimeout ?? defaultTimeout(ctx.defaults.guardRails);
  const name = parseName(field('name'), problems);
  const dryRun = parseDryRun(field('dry_run'), problems);
  const gpus = parseGpus(field('gpus'), problems);
  if (gpus !== undefined && instanceTypes) checkGpuPlacement(instanceTypes, field('instance_types') !== undefined, ctx.defaults.gpus, problems);
  // Checked against the retries asked for, else the default (a bad `retries` is reported alone).
  const onDemandAfter = parseOnDemandAfter(field('on_demand_after'), field('retries') === undefined || retries !== undefined ? interruptionsTolerated : undefined, problems);
  const onDemandWaitSeconds = parseOnDemandWait(field('on_demand_wait'), problems);
  const retryExitCodes = parseRetryExitCodes(field('retry_exit_codes'), problems);
  const onRebalance = parseOnRebalance(field('on_rebalance'), problems);

  if (env && command) {
    const bytes =
      Object.entries(env).reduce((sum, [key, value]) => sum + utf8Length(key) + utf8Length(value), 0) +
      command.reduce((sum, arg) => sum + utf8Length(arg), 0);
    if (bytes > JOB_REQUEST_LIMITS.payloadBytes) {
      problems.push(
        `env_vars and command: ${bytes} bytes together, at most ${JOB_REQUEST_LIMITS.payloadBytes} ` +
          '(what one job may hand its container)',
      );
    }
  }

  if (problems.length > 0 || image === undefined || runAt === undefined || !env || !command || !instanceTypes) {
    return { ok: false, problems };
  }

  const spec: JobSpec = { image, command, env, instanceTypes, interruptionsTolerated };
  if (callbackUrl !== undefined) spec.callbackUrl = callbackUrl;
  if (maxPrice !== undefined) spec.maxPrice = maxPrice;
  if (timeoutSeconds !== undefined) spec.timeoutSeconds = timeoutSeconds;
  if (name !== undefined) spec.name = name;
  if (onRebalance !== undefined) spec.onRebalance = onRebalance;
  if (onDemandAfter !== undefined) spec.onDemandAfter = onDemandAfter;
  if (onDemandWaitSeconds !== undefined) spec.onDemandWaitSeconds = onDemandWaitSeconds;
  if (retryExitCodes?.length) spec.retryExitCodes = retryExitCodes;
  if (gpus !== undefined) spec.gpus = gpus;
  return dryRun ? { ok: true, spec, runAt, dryRun } : { ok: true, spec, runAt };
}

/** `dry_run`: a JSON boolean; absent, null or false is a real run. */
function parseDryRun(value: unknown, problems: string[]): true | undefined {
  if (value === undefined || value === false) return undefined;
  if (value === true) return true;
  problems.push(`dry_run: must be true or false, got ${typeName(value)}${typeof value === 'string' ? ` ${quote(value)}` : ''}`);
  return undefined;
}

function parseImage(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) {
    problems.push('docker_image: required (an image reference such as "ghcr.io/acme/etl:1.4")');
    return undefined;
  }
  if (typeof value !== 'string') {
    problems.push(`docker_image: must be a string, got ${typeName(value)}`);
    return undefined;
  }
  if (value.length > MAX_IMAGE_REFERENCE_LENGTH) {
    problems.push(`docker_image: ${value.length} characters, at most ${MAX_IMAGE_REFERENCE_LENGTH}`);
    return undefined;
  }
  const transport = imageTransportPrefix(value);
  if (transport !== undefined) {
    problems.push(
      `docker_image: ${quote(value)} names an image through podman's "${transport}:" transport (${transport === 'docker' ? 'write the name without "docker://"' : 'files or local storage, not a registry'}); ` +
        'give a registry image such as "ghcr.io/acme/etl:1.4"',
    );
    return undefined;
  }
  if (!isValidImageReference(value)) {
    problems.push(
      `docker_image: ${quote(value)} is not a valid image reference ` +
        '([registry[:port]/]name[:tag][@sha256:<64 hex>], name in lowercase)',
    );
    return undefined;
  }
  return value;
}

/** Returns the ISO time to run at; absent means now. */
function parseDatetime(value: unknown, now: Date, problems: string[]): string | undefined {
  if (value === undefined) return now.toISOString();
  if (typeof value !== 'string') {
    problems.push(`datetime: must be a string "YYYY-MM-DD HH:MM:SS" (UTC), got ${typeName(value)}`);
    return undefined;
  }
  const match = DATETIME_REGEX.exec(value);
  if (!match) {
    problems.push(`datetime: ${quote(value)} is not "YYYY-MM-DD HH:MM:SS" (UTC)`);
    return undefined;
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number, number, number, number, number, number,
  ];
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  // Date.UTC rolls 02-30 over to 03-02 and 24:00 to the next day; a round trip catches both.
  if (
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    problems.push(`datetime: ${quote(value)} is not a real date and time`);
    return undefined;
  }
  if (ms < now.getTime() - JOB_REQUEST_LIMITS.pastGraceSeconds * 1000) {
    problems.push(`datetime: ${quote(value)} is in the past (now is ${formatUtc(now)} UTC)`);
    return undefined;
  }
  return date.toISOString();
}

function parseCallback(value: unknown, problems: string[]): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') {
    problems.push(`callback: must be a URL string, got ${typeName(value)}`);
    return undefined;
  }
  const urlProblems = validateCallbackUrlSyntax(value);
  // They already name the field and never quote the URL (it may carry a token).
  problems.push(...urlProblems);
  return urlProblems.length === 0 ? value : undefined;
}

/** The original's "YYYY-MM-DD HH:MM:SS" form, UTC. */
export function formatUtc(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

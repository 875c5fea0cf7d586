/**
 * The options of `/sched run`: their table (spellings, value names, which repeat), the time they
 * say to run at, and the job spec they build through the REST API's validator, its problems
 * relabelled as the command line writes each field. bot/core/parsing/grammar.ts reads the words.
 */
import type { JobSpec } from '../job.js';
import { parseJobRequest } from '../request/job-request.js';
import type { CommandContext, RunWhen } from './grammar.js';
import { resolveAt, resolveCron, resolveIn, show, zoneError } from './when.js';
import { canonicalZone } from './zones.js';

/**
 * One `run` option: how it is spelled, what its value is called, whether it may repeat. A `flag`
 * takes no value: its presence says it (`--dry-run`).
 */
interface RunOption {
  key: RunOptionKey;
  value: string;
  repeatable?: boolean;
  flag?: boolean;
}
export type RunOptionKey = 'at' | 'in' | 'cron' | 'tz' | 'env' | 'callback' | 'type' | 'maxPrice' | 'retries' | 'timeout' | 'name' | 'dryRun' | 'gpus' | 'onDemandAfter' | 'onDemandWait' | 'retryExit' | 'onRebalance';

export const RUN_OPTIONS: Record<string, RunOption> = {
  '--at': { key: 'at', value: 'TIME' },
  '--in': { key: 'in', value: 'DURATION' },
  '--cron': { key: 'cron', value: '"EXPR"' },
  '--tz': { key: 'tz', value: 'ZONE' },
  '-e': { key: 'env', value: 'K=V', repeatable: true },
  '--env': { key: 'env', value: 'K=V', repeatable: true },
  '--callback': { key: 'callback', value: 'URL' },
  '--type': { key: 'type', value: 'T[,T...]' },
  '--max-price': { key: 'maxPrice', value: 'USD' },
  '--retries': { key: 'retries', value: 'N' },
  '--timeout': { key: 'timeout', value: 'DURATION' },
  '--name': { key: 'name', value: 'NAME' },
  '--dry-run': { key: 'dryRun', value: '', flag: true },
  '--gpus': { key: 'gpus', value: 'all|N' },
  '--on-demand-after': { key: 'onDemandAfter', value: 'N' },
  '--on-demand-wait': { key: 'onDemandWait', value: 'DURATION' },
  '--retry-exit': { key: 'retryExit', value: 'CODES' },
  '--on-rebalance': { key: 'onRebalance', value: 'replace|warn' },
};

/** How each option is written for the user: "-e/--env" for the two spellings of one option. */
export function optionLabel(key: RunOptionKey): string {
  return Object.entries(RUN_OPTIONS)
    .filter(([, option]) => option.key === key)
    .map(([name]) => name)
    .join('/');
}

export function resolveWhen(one: (key: RunOptionKey) => string | undefined, ctx: CommandContext, problems: string[]): RunWhen | undefined {
  const chosen = (['at', 'in', 'cron'] as const).filter((key) => one(key) !== undefined);
  if (chosen.length > 1) {
    problems.push(`${chosen.map((key) => `--${key}`).join(' and ')} cannot be combined: choose one`);
    return undefined;
  }
  const tzText = one('tz');
  let zone = 'UTC';
  if (tzText !== undefined) {
    const canonical = canonicalZone(tzText.trim());
    if (!canonical) {
      problems.push(zoneError('--tz', tzText));
      return undefined;
    }
    if (chosen[0] !== 'at' && chosen[0] !== 'cron') {
      problems.push('--tz applies to --at and --cron only; add one of them, or drop --tz');
      return undefined;
    }
    zone = canonical;
  } else if (ctx.userTimezone) {
    zone = canonicalZone(ctx.userTimezone) ?? 'UTC';
  }

  const at = one('at');
  const delay = one('in');
  const cron = one('cron');
  if (at !== undefined || delay !== undefined) {
    const resolved = at !== undefined ? resolveAt(at, zone, ctx.now) : resolveIn(delay ?? '', zone, ctx.now);
    if (resolved.ok) return { kind: 'at', runAt: resolved.value.toISOString(), timezone: zone };
    problems.push(resolved.error);
    return undefined;
  }
  if (cron !== undefined) {
    const resolved = resolveCron(cron, zone, ctx.now);
    if (resolved.ok) return { kind: 'cron', expression: resolved.value.expression, timezone: zone, next: resolved.value.next };
    problems.push(resolved.error);
    return undefined;
  }
  return { kind: 'now' };
}

/** REST field names → how the same thing is written on the command line, for its problems. */
const FIELD_LABELS: [RegExp, string][] = [
  [/^docker_image: /, 'IMAGE: '],
  [/^env_vars and command: /, '-e/--env and COMMAND: '],
  [/^env_vars\.([^:]+): /, '-e $1: '],
  [/^env_vars: /, '-e/--env: '],
  [/^command\[(\d+)\]: /, 'container argument $1: '],
  [/^command: /, 'COMMAND: '],
  [/^instance_types: /, '--type: '],
  [/^max_price: /, '--max-price: '],
  [/^retries: /, '--retries: '],
  [/^timeout: /, '--timeout: '],
  [/^name: /, '--name: '],
  [/^gpus: /, '--gpus: '],
  [/^on_demand_after: /, '--on-demand-after: '],
  [/^on_demand_wait: /, '--on-demand-wait: '],
  [/^retry_exit_codes: /, '--retry-exit: '],
  [/^on_rebalance: /, '--on-rebalance: '],
  [/^callback URL /, '--callback: the URL '],
];

function relabel(problem: string): string {
  for (const [pattern, label] of FIELD_LABELS) {
    if (pattern.test(problem)) return problem.replace(pattern, label);
  }
  return problem;
}

export function buildSpec(
  image: string,
  command: string[],
  values: Map<RunOptionKey, string[]>,
  ctx: CommandContext,
  problems: string[],
): JobSpec | undefined {
  const one = (key: RunOptionKey): string | undefined => values.get(key)?.[0];
  const before = problems.length;

  const env: Record<string, string> = {};
  for (const entry of values.get('env') ?? []) {
    const equals = entry.indexOf('=');
    if (equals <= 0) {
      problems.push(
        entry === ''
          ? '-e needs NAME=VALUE, got an empty word'
          : equals === 0
            ? `-e ${show(entry)} has no variable name before "="`
            : `-e ${show(entry)} has no value; write -e ${show(`${entry}=VALUE`)} (the bot has no environment to copy it from)`,
      );
      continue;
    }
    // A later -e for the same name wins, as in docker run.
    Object.defineProperty(env, entry.slice(0, equals), { value: entry.slice(equals + 1), enumerable: true, writable: true, configurable: true });
  }

  let retries: number | undefined;
  const retriesText = one('retries');
  if (retriesText !== undefined) {
    if (/^\d{1,6}$/.test(retriesText.trim())) retries = Number(retriesText.trim());
    else problems.push(`--retries ${show(retriesText)} is not a whole number`);
  }

  const body: Record<string, unknown> = { docker_image: image, command, env_vars: env };
  const callback = one('callback');
  if (callback !== undefined) body.callback = callback;
  const types = one('type');
  if (types !== undefined) body.instance_types = types;
  const maxPrice = one('maxPrice');
  // "$0.05" is how people write prices; the dollar sign is not part of EC2's format.
  if (maxPrice !== undefined) body.max_price = maxPrice.trim().replace(/^\$/, '');
  if (retries !== undefined) body.retries = retries;
  const timeout = one('timeout');
  if (timeout !== undefined) body.timeout = timeout;
  const name = one('name');
  if (name !== undefined) body.name = name;
  const gpus = one('gpus')?.trim();
  // A count is a number in the REST body; anything else goes as typed, for the validator to refuse.
  if (gpus !== undefined) body.gpus = /^\d{1,6}$/.test(gpus) ? Number(gpus) : gpus;
  const onDemandAfter = one('onDemandAfter');
  if (onDemandAfter !== undefined) {
    if (/^\d{1,6}$/.test(onDemandAfter.trim())) body.on_demand_after = Number(onDemandAfter.trim());
    else problems.push(`--on-demand-after ${show(onDemandAfter)} is not a whole number`);
  }
  const onDemandWait = one('onDemandWait');
  if (onDemandWait !== undefined) body.on_demand_wait = onDemandWait;
  // "137,143": numbers to the validator; anything else goes as written, for it to name.
  const retryExit = one('retryExit');
  if (retryExit !== undefined) body.retry_exit_codes = retryExit.split(',').map((part) => (/^\d{1,6}$/.test(part.trim()) ? Number(part.trim()) : part.trim()));
  const onRebalance = one('onRebalance');
  if (onRebalance !== undefined) body.on_rebalance = onRebalance.trim();

  const checked = parseJobRequest(body, { now: ctx.now, defaults: ctx.defaults });
  if (!checked.ok) problems.push(...checked.problems.map(relabel));
  return problems.length === before && checked.ok ? checked.spec : undefined;
}

/**
 * The fields that say how a job recovers when its instance is lost: what AWS's rebalance
 * recommendation does, when attempts leave spot for on-demand, and which exit codes count as
 * transient. Each validator appends its problems, prefixed with the REST field name.
 */
import { JOB_REQUEST_LIMITS, parseDistinctList, parseDuration, quote, typeName } from './job-request-fields.js';
import { REBALANCE_ACTIONS, type RebalanceAction } from '../job.js';

/** `on_rebalance`: what AWS's rebalance recommendation does, `"replace"` or `"warn"` (the default). */
export function parseOnRebalance(value: unknown, problems: string[]): RebalanceAction | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string' && (REBALANCE_ACTIONS as readonly string[]).includes(value)) return value as RebalanceAction;
  problems.push(`on_rebalance: must be ${REBALANCE_ACTIONS.map((action) => `"${action}"`).join(' or ')}, got ${typeof value === 'string' ? quote(value) : typeName(value)}`);
  return undefined;
}

/** `on_demand_after`: interruptions before attempts go on-demand; at most the job's own retries (else it fails first). */
export function parseOnDemandAfter(value: unknown, retries: number | undefined, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > JOB_REQUEST_LIMITS.retries) {
    problems.push(`on_demand_after: must be an integer from 0 to ${JOB_REQUEST_LIMITS.retries} (interruptions)`);
    return undefined;
  }
  if (retries !== undefined && value > retries) {
    problems.push(`on_demand_after: ${value} is more than retries (${retries}): the job would fail before it went on-demand; raise retries`);
    return undefined;
  }
  return value;
}

/** `on_demand_wait`: a duration ("20s", "10m") or seconds. */
export function parseOnDemandWait(value: unknown, problems: string[]): number | undefined {
  if (value === undefined) return undefined;
  const seconds = typeof value === 'string' ? parseDuration(value) : typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined;
  if (seconds === undefined) {
    problems.push(`on_demand_wait: ${typeof value === 'string' ? quote(value) : typeName(value)} is not a duration such as "20s", "10m" (or seconds)`);
    return undefined;
  }
  if (seconds > JOB_REQUEST_LIMITS.onDemandWaitSeconds) {
    problems.push(`on_demand_wait: at most ${JOB_REQUEST_LIMITS.onDemandWaitSeconds / 60}m (a job no pool can place is given up after an hour)`);
    return undefined;
  }
  return seconds;
}

/** `retry_exit_codes`: container exit codes (1 to 255) that start a new attempt. */
export function parseRetryExitCodes(value: unknown, problems: string[]): number[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) {
    problems.push(`retry_exit_codes: must be an array of exit codes, e.g. [137, 143], got ${typeName(value)}`);
    return undefined;
  }
  return parseDistinctList<number>('retry_exit_codes', value, JOB_REQUEST_LIMITS.retryExitCodes, 'codes', problems, (code) =>
    typeof code === 'number' && Number.isInteger(code) && code >= 1 && code <= 255
      ? { value: code, shown: String(code) }
      : { problem: `${typeof code === 'string' ? quote(code) : typeof code === 'number' ? String(code) : typeName(code)} is not an exit code from 1 to 255` },
  );
}

/**
 * The operator's guard rails on what one job may cost: a ceiling on its max price
 * (`SCHED_MAX_PRICE_CEILING`, USD per hour) and a default and a maximum run time
 * (`SCHED_DEFAULT_TIMEOUT`, `SCHED_MAX_TIMEOUT`).
 *
 * - A request above a limit is refused where the job is created (REST, chat, dry run) and where an
 *   ended job is retried, naming the limit; a request that leaves a value out gets the limit's
 *   default (the default timeout, else the maximum; the ceiling as its max price).
 * - A schedule's firing gets the limits in force when it fires: a value above one is lowered to it,
 *   never refused (the schedule was accepted, and nobody is there to fix it), and the job's
 *   `created` event records what was lowered.
 */
import { formatDuration } from '../duration.js';
import type { JobSpec } from '../job.js';

export interface GuardRails {
  /** USD per hour, EC2's decimal format. */
  maxPriceCeiling?: string;
  defaultTimeoutSeconds?: number;
  maxTimeoutSeconds?: number;
}

/** A value a firing's job got lower than its schedule asked, as the `created` event records it. */
export type GuardRailLowering =
  | { limit: 'max-price'; from: string; to: string }
  | { limit: 'timeout'; from: number; to: number };

/** The setting each refusal names. */
export const GUARD_RAIL_SETTINGS = {
  maxPriceCeiling: 'SCHED_MAX_PRICE_CEILING',
  defaultTimeout: 'SCHED_DEFAULT_TIMEOUT',
  maxTimeout: 'SCHED_MAX_TIMEOUT',
} as const;

/** Millionths of a dollar: prices have at most six decimals, so the comparison is exact. */
function micros(price: string): number {
  return Math.round(Number(price) * 1_000_000);
}

export function priceAbove(price: string, ceiling: string): boolean {
  return micros(price) > micros(ceiling);
}

/** The run time a job with no `--timeout` gets: the default, else the maximum; none without either. */
export function defaultTimeout(rails: GuardRails | undefined): number | undefined {
  return rails?.defaultTimeoutSeconds ?? rails?.maxTimeoutSeconds;
}

/** One problem per limit the spec is above, prefixed with its REST field. */
export function checkGuardRails(spec: Pick<JobSpec, 'maxPrice' | 'timeoutSeconds'>, rails: GuardRails | undefined, problems: string[]): void {
  const ceiling = rails?.maxPriceCeiling;
  if (ceiling !== undefined && spec.maxPrice !== undefined && priceAbove(spec.maxPrice, ceiling)) {
    problems.push(`max_price: ${spec.maxPrice} USD per hour is above this deployment's ceiling of ${ceiling} (the operator's ${GUARD_RAIL_SETTINGS.maxPriceCeiling})`);
  }
  const max = rails?.maxTimeoutSeconds;
  if (max !== undefined && spec.timeoutSeconds !== undefined && spec.timeoutSeconds > max) {
    problems.push(`timeout: ${exactDuration(spec.timeoutSeconds)} is longer than this deployment's maximum of ${exactDuration(max)} (the operator's ${GUARD_RAIL_SETTINGS.maxTimeout})`);
  }
}

/** The spec with what it left out filled in from the limits (timeout, max price); nothing else changes. */
export function withGuardRailDefaults(spec: JobSpec, rails: GuardRails | undefined): JobSpec {
  const timeout = defaultTimeout(rails);
  const ceiling = rails?.maxPriceCeiling;
  return {
    ...spec,
    ...(spec.timeoutSeconds === undefined && timeout !== undefined && { timeoutSeconds: timeout }),
    ...(spec.maxPrice === undefined && ceiling !== undefined && { maxPrice: ceiling }),
  };
}

/** A firing's spec within the limits in force: values above lowered, absent ones filled in; and what was lowered. */
export function lowerToGuardRails(spec: JobSpec, rails: GuardRails | undefined): { spec: JobSpec; lowered: GuardRailLowering[] } {
  const lowered: GuardRailLowering[] = [];
  const next = withGuardRailDefaults(spec, rails);
  const ceiling = rails?.maxPriceCeiling;
  if (ceiling !== undefined && next.maxPrice !== undefined && priceAbove(next.maxPrice, ceiling)) {
    lowered.push({ limit: 'max-price', from: next.maxPrice, to: ceiling });
    next.maxPrice = ceiling;
  }
  const max = rails?.maxTimeoutSeconds;
  if (max !== undefined && next.timeoutSeconds !== undefined && next.timeoutSeconds > max) {
    lowered.push({ limit: 'timeout', from: next.timeoutSeconds, to: max });
    next.timeoutSeconds = max;
  }
  return { spec: next, lowered };
}

/** "2h", but "7201s" where the short form would drop seconds (a refusal must not read "2h is longer than 2h"). */
function exactDuration(seconds: number): string {
  return seconds < 3600 || seconds % 60 === 0 ? formatDuration(seconds) : `${seconds}s`;
}

/**
 * What a job's instances cost, attempt by attempt, and what spot saved against on-demand for the
 * same instance time. Pure arithmetic on the job; amounts are rounded to the micro-dollar, and a
 * figure that is not a finite number is unknown (`null`), never NaN.
 */
import { isTerminal, type AttemptCost, type Job } from './job.js';

/** Attempt records kept on a job; a job tolerates at most 20 interruptions. */
export const MAX_ATTEMPT_COSTS = 30;

export function roundUsd(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}

/**
 * The current attempt's instance priced over `seconds`: the spot price of its pool (read at
 * launch) on spot, the on-demand price on-demand. Absent prices stay absent.
 */
export function currentAttemptCost(job: Job, seconds: number): AttemptCost {
  const market = job.market ?? 'spot';
  const price = market === 'on-demand' ? job.onDemandPricePerHour : job.pricePerHour;
  const known = price !== undefined && Number.isFinite(price);
  return {
    attempt: job.attempt,
    market,
    instanceType: job.instanceType ?? job.spec.instanceTypes[job.instanceTypeIndex] ?? job.spec.instanceTypes[0] ?? 'unknown',
    ...(job.zone && { zone: job.zone }),
    ...(known && { pricePerHour: price }),
    seconds: Math.round(Math.max(0, seconds) * 1000) / 1000,
    ...(known && { costUsd: roundUsd((Math.max(0, seconds) / 3600) * price) }),
    ...(job.onDemandPricePerHour !== undefined && Number.isFinite(job.onDemandPricePerHour) && { onDemandPricePerHour: job.onDemandPricePerHour }),
  };
}

/**
 * Adds `seconds` of instance time to attempt `attempt`'s record (a replaced attempt working on
 * after the notice), at its own price. `addedUsd`: what that time cost, when the price is known.
 */
export function extendAttemptCost(attempts: readonly AttemptCost[], attempt: number, seconds: number): { attempts: AttemptCost[]; addedUsd?: number } {
  const index = attempts.findIndex((a) => a.attempt === attempt);
  const record = attempts[index];
  if (!record || seconds <= 0) return { attempts: [...attempts] };
  const total = Math.round((record.seconds + seconds) * 1000) / 1000;
  const addedUsd = record.pricePerHour !== undefined ? roundUsd((seconds / 3600) * record.pricePerHour) : undefined;
  const updated: AttemptCost = { ...record, seconds: total, ...(addedUsd !== undefined && { costUsd: roundUsd((record.costUsd ?? 0) + addedUsd) }) };
  return { attempts: attempts.map((a, i) => (i === index ? updated : a)), ...(addedUsd !== undefined && { addedUsd }) };
}

/**
 * The saving against on-demand over `attempts`: for each spot attempt, (on-demand − spot price)
 * × its time; an on-demand attempt saves nothing. `null` when nothing ran, or when any attempt's
 * price or on-demand price is unknown: no saving is claimed that cannot be shown.
 */
export function savedUsd(attempts: readonly AttemptCost[]): number | null {
  if (attempts.length === 0) return null;
  let saved = 0;
  for (const a of attempts) {
    if (a.market === 'on-demand') continue;
    if (a.pricePerHour === undefined || a.onDemandPricePerHour === undefined) return null;
    saved += ((a.onDemandPricePerHour - a.pricePerHour) * a.seconds) / 3600;
  }
  return Number.isFinite(saved) ? roundUsd(saved) : null;
}

/** The ended attempts, plus the current one up to `now` while the job runs and its instance is up. */
export function attemptsSoFar(job: Job, now: Date): AttemptCost[] {
  const ended = job.attemptCosts ?? [];
  if (isTerminal(job.status) || !job.launchedAt || ended.some((a) => a.attempt === job.attempt)) return [...ended];
  return [...ended, currentAttemptCost(job, (now.getTime() - Date.parse(job.launchedAt)) / 1000)];
}

/** The job's saving against on-demand as stored (ended attempts only), for the REST API and the callback. */
export function knownSaving(job: Job): number | null {
  return savedUsd(job.attemptCosts ?? []);
}

/**
 * Cron arithmetic for schedules, pure: croner computes firings in an IANA zone (DST included)
 * without timers of its own when asked for `nextRun`.
 */
import { Cron } from 'croner';

/** The next `count` firings strictly after `after`, in order. Throws on an invalid expression. */
export function nextFirings(expression: string, timezone: string, after: Date, count: number): Date[] {
  return new Cron(expression, { timezone, mode: '5-part', paused: true }).nextRuns(count, after);
}

/** The first firing strictly after `after`, or undefined when the expression never fires again. */
export function nextFiring(expression: string, timezone: string, after: Date): Date | undefined {
  return nextFirings(expression, timezone, after, 1)[0];
}

/**
 * The id of the job a schedule starts at one firing. Derived, never random, so a firing started
 * twice (two replicas, a restart, a timer and the poller) is one conditional create that fails.
 */
export function firingJobId(scheduleId: string, firing: Date): string {
  const stamp = firing.toISOString().slice(0, 16).replace(/[-:]/g, '').toLowerCase(); // 20261201t0900
  return `${scheduleId}-${stamp}`;
}

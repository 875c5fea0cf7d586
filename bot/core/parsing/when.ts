/**
 * When a job runs: `--at` times (absolute or natural language), `--in` delays and `--cron`
 * schedules, read in an IANA time zone. Pure: `now` is an argument, and zone rules come from
 * bot/core/parsing/zones.ts (Intl), never from the process's own time zone.
 */
import * as chrono from 'chrono-node';
import { CronPattern } from 'croner';
import { nextFirings as nextCronFirings } from '../cron.js';
import { formatUtc } from '../request/job-request.js';
import { parseDuration } from '../request/job-request-fields.js';
import { formatDuration } from '../duration.js';
import { formatInZone, suggestZone, wallClockToUtc, zoneOffsetMinutes } from './zones.js';

export const WHEN_LIMITS = {
  /** `--at`/`--in` this far in the past still counts as now (the user's typing time, skew). */
  pastGraceSeconds: 60,
  /** A one-off job is at most this far ahead; further than that, a typo in the year is likelier. */
  maxAheadDays: 366,
  /** Each firing is a spot instance to boot and pay for; more often is a loop, not a schedule. */
  minCronIntervalMinutes: 5,
  timeTextLength: 100,
  cronTextLength: 100,
} as const;

export type Resolved<T> = { ok: true; value: T } | { ok: false; error: string };

/** Why `zone` (given with `source`, e.g. "--tz") is refused, with a suggestion when one is close. */
export function zoneError(source: string, zone: string): string {
  const suggestion = suggestZone(zone);
  return (
    `${source} ${show(zone)} is not an IANA time zone` +
    (suggestion ? `; did you mean ${suggestion}?` : ' such as Europe/Paris, America/New_York or UTC')
  );
}

/** "2026-12-01 14:00 UTC", or with the zone's own time first when it is not UTC. */
export function describeInstant(date: Date, zone: string): string {
  const utc = `${formatUtc(date).slice(0, 16)} UTC`;
  if (zone === 'UTC' || zone === 'Etc/UTC') return utc;
  return `${formatInZone(date, zone)} ${zone} (${utc})`;
}

const AT_EXAMPLES = '"2026-12-01 09:00", "tomorrow 9am", "friday 18:30"';

/** `--at TIME`, read in `zone`; a time in the past or more than a year ahead is refused. */
export function resolveAt(text: string, zone: string, now: Date): Resolved<Date> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return { ok: false, error: `--at needs a time, such as ${AT_EXAMPLES}` };
  if (trimmed.length > WHEN_LIMITS.timeTextLength) {
    return { ok: false, error: `--at: ${trimmed.length} characters is too long for a time (at most ${WHEN_LIMITS.timeTextLength})` };
  }
  let results: chrono.ParsedResult[];
  try {
    results = chrono.casual.parse(trimmed, { instant: now, timezone: zoneOffsetMinutes(zone, now.getTime()) }, { forwardDate: true });
  } catch {
    results = [];
  }
  const result = results[0];
  if (!result) {
    return { ok: false, error: `--at ${show(trimmed)} is not a time Sched understands; try ${AT_EXAMPLES}, or --in 2h` };
  }
  if (result.index !== 0 || result.text.length !== trimmed.length) {
    const rest = `${trimmed.slice(0, result.index)} ${trimmed.slice(result.index + result.text.length)}`.trim();
    return {
      ok: false,
      error: `--at ${show(trimmed)}: understood ${show(result.text)} but not ${show(rest)}; try ${AT_EXAMPLES}`,
    };
  }
  if (result.end) return { ok: false, error: `--at ${show(trimmed)} is a range; give one time, such as ${AT_EXAMPLES}` };

  const start = result.start;
  let runAt: Date;
  if (start.isCertain('timezoneOffset')) {
    // The text named its own offset ("…Z", "+02:00", "9am PST") or was relative ("in 2 hours").
    runAt = start.date();
  } else {
    const relativeDay = result.tags().has('result/relativeDate');
    if (!start.isCertain('hour') && !relativeDay) {
      return { ok: false, error: `--at ${show(trimmed)} has no time of day; add one, such as "${trimmed} 9am"` };
    }
    const field = (component: chrono.Component, fallback: number): number => start.get(component) ?? fallback;
    runAt = wallClockToUtc(zone, [
      field('year', 1970),
      field('month', 1),
      field('day', 1),
      field('hour', 0),
      field('minute', 0),
      field('second', 0),
    ]);
  }
  if (Number.isNaN(runAt.getTime())) return { ok: false, error: `--at ${show(trimmed)} is not a real date and time` };
  return checkWindow(`--at ${show(trimmed)}`, runAt, zone, now);
}

/** `--in DURATION`: now plus the duration. */
export function resolveIn(text: string, zone: string, now: Date): Resolved<Date> {
  const seconds = parseDuration(text);
  if (seconds === undefined) {
    return { ok: false, error: `--in ${show(text)} is not a duration such as 90s, 10m, 2h, 1h30m or 1d` };
  }
  return checkWindow(`--in ${show(text)}`, new Date(now.getTime() + seconds * 1000), zone, now);
}

function checkWindow(what: string, runAt: Date, zone: string, now: Date): Resolved<Date> {
  if (runAt.getTime() < now.getTime() - WHEN_LIMITS.pastGraceSeconds * 1000) {
    return {
      ok: false,
      error: `${what} is ${describeInstant(runAt, zone)}, which is in the past; it is now ${describeInstant(now, zone)}`,
    };
  }
  if (runAt.getTime() > now.getTime() + WHEN_LIMITS.maxAheadDays * 86_400_000) {
    return {
      ok: false,
      error: `${what} is ${describeInstant(runAt, zone)}, more than ${WHEN_LIMITS.maxAheadDays} days ahead; for a recurring job use --cron`,
    };
  }
  return { ok: true, value: runAt };
}

const CRON_NICKNAMES: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const CRON_FIELDS = 'minute hour day-of-month month day-of-week';

export interface CronSchedule {
  /** Fields separated by single spaces. */
  expression: string;
  /** The next firings after now, ISO UTC. */
  next: string[];
}

/**
 * `--cron "EXPR"`: five fields read in `zone`, firing at most every five minutes, firing at all.
 * `count` firings after `now` come back with it.
 */
export function resolveCron(text: string, zone: string, now: Date, count = 3): Resolved<CronSchedule> {
  const expression = text.trim().replace(/\s+/g, ' ');
  const shown = `--cron ${show(expression)}`;
  if (expression.length === 0) return { ok: false, error: `--cron needs five fields (${CRON_FIELDS}), such as "0 9 * * 1-5"` };
  if (expression.length > WHEN_LIMITS.cronTextLength) {
    return { ok: false, error: `--cron: ${expression.length} characters is too long (at most ${WHEN_LIMITS.cronTextLength})` };
  }
  const nickname = CRON_NICKNAMES[expression.toLowerCase()];
  if (nickname) return { ok: false, error: `${shown}: write the five fields instead: --cron "${nickname}"` };
  const fields = expression.split(' ');
  if (fields.length !== 5) {
    const hint = fields.length === 6 ? '; seconds are not supported' : '';
    return { ok: false, error: `${shown} has ${fields.length} fields; it needs five (${CRON_FIELDS})${hint}` };
  }

  let pattern: CronPattern;
  try {
    pattern = new CronPattern(expression, zone, { mode: '5-part' });
  } catch (err) {
    const reason = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern:\s*/, '');
    return { ok: false, error: `${shown} is not a valid cron expression: ${reason}` };
  }

  const gap = smallestGapMinutes(pattern);
  if (gap !== undefined && gap < WHEN_LIMITS.minCronIntervalMinutes) {
    return {
      ok: false,
      error:
        `${shown} fires ${gap === 1 ? 'every minute' : `${gap} minutes apart`}; the minimum is every ` +
        `${WHEN_LIMITS.minCronIntervalMinutes} minutes, because each firing starts its own spot instance`,
    };
  }

  const next = nextFirings(expression, zone, now, count);
  if (next.length === 0) return { ok: false, error: `${shown} never fires (no such date)` };
  return { ok: true, value: { expression, next } };
}

/** The firings of a five-field expression after `after`, ISO UTC; fewer if it stops firing. */
export function nextFirings(expression: string, zone: string, after: Date, count: number): string[] {
  try {
    return nextCronFirings(expression, zone, after, count).map((date) => date.toISOString());
  } catch {
    return [];
  }
}

/**
 * The shortest time between two firings, from the minute and hour fields alone: within an hour,
 * consecutive minutes; across an hour boundary (including midnight into a following day, which is
 * assumed possible), the last minute to the first. Day fields only ever remove firings.
 */
function smallestGapMinutes(pattern: CronPattern): number | undefined {
  const minutes = indexesSet(pattern.minute);
  const hours = indexesSet(pattern.hour);
  if (minutes.length === 0 || hours.length === 0) return undefined;
  let gap = Infinity;
  for (let i = 1; i < minutes.length; i++) gap = Math.min(gap, (minutes[i] as number) - (minutes[i - 1] as number));
  const consecutiveHours = hours.some((hour) => hours.includes((hour + 1) % 24));
  if (consecutiveHours) gap = Math.min(gap, 60 - (minutes[minutes.length - 1] as number) + (minutes[0] as number));
  return Number.isFinite(gap) ? gap : undefined;
}

function indexesSet(values: readonly number[]): number[] {
  const set: number[] = [];
  values.forEach((value, index) => {
    if (value) set.push(index);
  });
  return set;
}

/** Echoes user input in an error: JSON-quoted (no raw control characters) and shortened. */
export function show(text: string): string {
  const chars = [...text];
  return JSON.stringify(chars.length > 60 ? `${chars.slice(0, 60).join('')}…` : text);
}

/** "in 3h 5m", "5m ago", "now". */
export function relativeTime(target: Date, now: Date): string {
  const seconds = (target.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 30) return 'now';
  return seconds > 0 ? `in ${formatDuration(seconds)}` : `${formatDuration(-seconds)} ago`;
}

/**
 * When a job runs: `--at` times (absolute or natural language), `--in` delays and `--cron`
 * schedules, read in an IANA time zone. Pure: `now` is an argument, and zone rules come from
 * Intl (the runtime's ICU data), never from the process's own time zone.
 *
 * A wall-clock time that does not exist (the hour skipped when daylight saving starts) moves
 * forward by the gap, as a clock would; one that happens twice (when it ends) is the first.
 */
import * as chrono from 'chrono-node';
import { CronPattern } from 'croner';
import { nextFirings as nextCronFirings } from '../cron.js';
import { formatUtc, parseDuration } from '../job-request.js';
import { formatDuration } from '../duration.js';
import { closest } from './suggest.js';

export const WHEN_LIMITS = {
  /** `--at`/`--in` this far in the past still counts as now (the user's typing time, skew). */
  pastGraceSeconds: 60,
  /** A one-off job is at most this far ahead; further than that, a typo in the year is likelier. */
  maxAheadDays: 366,
  /** Each firing is a spot instance to boot and pay for; more often is a loop, not a schedule. */
  minCronIntervalMinutes: 5,
  timeTextLength: 100,
  cronTextLength: 100,
  zoneLength: 64,
} as const;

export type Resolved<T> = { ok: true; value: T } | { ok: false; error: string };

const ZONE_NAME_REGEX = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The zone as the user should see it, if it is an IANA zone ("Area/City") or UTC. The user's
 * spelling is kept when Intl would only change its case ("europe/paris"), but not replaced by an
 * alias Intl prefers: some ICU versions answer "Asia/Calcutta" for "Asia/Kolkata", which would
 * look like a mistake. Abbreviations are refused although ICU takes some of them, because it
 * reads them as a fixed zone the user did not mean: "EST" is America/Panama, with no summer time.
 */
export function canonicalZone(zone: string): string | undefined {
  if (zone.length === 0 || zone.length > WHEN_LIMITS.zoneLength || !ZONE_NAME_REGEX.test(zone)) return undefined;
  if (!zone.includes('/')) return /^(?:utc|gmt|zulu)$/i.test(zone) ? 'UTC' : undefined;
  try {
    const resolved = new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
    return resolved.toLowerCase() === zone.toLowerCase() ? resolved : zone;
  } catch {
    return undefined;
  }
}

/** Abbreviations people type that are not zones (or are fixed-offset zones they did not mean). */
const ZONE_ABBREVIATIONS: Record<string, string> = {
  est: 'America/New_York',
  mst: 'America/Denver',
  hst: 'Pacific/Honolulu',
  cet: 'Europe/Paris',
  eet: 'Europe/Athens',
  wet: 'Europe/Lisbon',
  pst: 'America/Los_Angeles',
  pdt: 'America/Los_Angeles',
  mdt: 'America/Denver',
  cst: 'America/Chicago',
  cdt: 'America/Chicago',
  edt: 'America/New_York',
  bst: 'Europe/London',
  cest: 'Europe/Paris',
  ist: 'Asia/Kolkata',
  jst: 'Asia/Tokyo',
  aest: 'Australia/Sydney',
};

let knownZones: { names: string[]; byCity: Map<string, string> } | undefined;

function zoneCatalogue(): { names: string[]; byCity: Map<string, string> } {
  if (!knownZones) {
    let names: string[];
    try {
      names = Intl.supportedValuesOf('timeZone');
    } catch {
      names = [];
    }
    const byCity = new Map<string, string>();
    for (const name of names) {
      const city = name.split('/').pop();
      if (city && !byCity.has(city.toLowerCase())) byCity.set(city.toLowerCase(), name);
    }
    knownZones = { names, byCity };
  }
  return knownZones;
}

/** A likely intended zone for a name Intl refused ("Paris", "America/New_Yrok", "PST"). */
export function suggestZone(input: string): string | undefined {
  const word = input.trim().replace(/\s+/g, '_');
  if (word.length === 0 || word.length > WHEN_LIMITS.zoneLength) return undefined;
  const abbreviation = ZONE_ABBREVIATIONS[word.toLowerCase()];
  if (abbreviation) return abbreviation;
  const { names, byCity } = zoneCatalogue();
  const exactCity = byCity.get(word.toLowerCase());
  if (exactCity) return exactCity;
  const byName = closest(word, names);
  if (byName) return byName;
  const city = closest(word.split('/').pop() ?? word, [...byCity.keys()]);
  return city === undefined ? undefined : byCity.get(city);
}

/** Why `zone` (given with `source`, e.g. "--tz") is refused, with a suggestion when one is close. */
export function zoneError(source: string, zone: string): string {
  const suggestion = suggestZone(zone);
  return (
    `${source} ${show(zone)} is not an IANA time zone` +
    (suggestion ? `; did you mean ${suggestion}?` : ' such as Europe/Paris, America/New_York or UTC')
  );
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** [year, month (1-12), day, hour (0-23), minute, second] of an instant on the zone's clocks. */
function wallClock(zone: string, ms: number): [number, number, number, number, number, number] {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  const parts: Record<string, number> = {};
  for (const part of formatter.formatToParts(ms)) parts[part.type] = Number(part.value);
  return [parts.year ?? 0, parts.month ?? 1, parts.day ?? 1, (parts.hour ?? 0) % 24, parts.minute ?? 0, parts.second ?? 0];
}

/** The zone's offset from UTC at an instant, in minutes (New York in winter: -300). */
export function zoneOffsetMinutes(zone: string, ms: number): number {
  const [y, mo, d, h, mi, s] = wallClock(zone, ms);
  return Math.round((Date.UTC(y, mo - 1, d, h, mi, s) - Math.floor(ms / 1000) * 1000) / 60000);
}

/** The instant a wall-clock time in `zone` denotes (see the module comment for gaps and repeats). */
export function wallClockToUtc(zone: string, fields: readonly [number, number, number, number, number, number]): Date {
  const [y, mo, d, h, mi, s] = fields;
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // The offsets a day either side bracket any transition near this time.
  const before = zoneOffsetMinutes(zone, asUtc - 86_400_000);
  const after = zoneOffsetMinutes(zone, asUtc + 86_400_000);
  const matches = [before, after]
    .map((offset) => asUtc - offset * 60_000)
    .filter((ms) => wallClock(zone, ms).every((value, index) => value === fields[index]));
  if (matches.length > 0) return new Date(Math.min(...matches));
  // In the gap: read with the offset in force before it, which lands past the gap.
  return new Date(asUtc - before * 60_000);
}

/** "2026-12-01 09:00", on the zone's clocks. */
export function formatInZone(date: Date, zone: string): string {
  const [y, mo, d, h, mi] = wallClock(zone, date.getTime());
  return `${y}-${pad(mo)}-${pad(d)} ${pad(h)}:${pad(mi)}`;
}

/** "2026-12-01 14:00 UTC", or with the zone's own time first when it is not UTC. */
export function describeInstant(date: Date, zone: string): string {
  const utc = `${formatUtc(date).slice(0, 16)} UTC`;
  if (zone === 'UTC' || zone === 'Etc/UTC') return utc;
  return `${formatInZone(date, zone)} ${zone} (${utc})`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
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

/**
 * IANA time zones, read from Intl (the runtime's ICU data), never from the process's own zone:
 * whether a name is one, which one a refused name likely meant, and wall-clock arithmetic.
 *
 * A wall-clock time that does not exist (the hour skipped when daylight saving starts) moves
 * forward by the gap, as a clock would; one that happens twice (when it ends) is the first.
 */
import { closest } from './suggest.js';

/** Longer than any zone name; longer input is refused without asking Intl. */
const ZONE_NAME_LENGTH = 64;
const ZONE_NAME_REGEX = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;

/**
 * The zone as the user should see it, if it is an IANA zone ("Area/City") or UTC. The user's
 * spelling is kept when Intl would only change its case ("europe/paris"), but not replaced by an
 * alias Intl prefers: some ICU versions answer "Asia/Calcutta" for "Asia/Kolkata", which would
 * look like a mistake. Abbreviations are refused although ICU takes some of them, because it
 * reads them as a fixed zone the user did not mean: "EST" is America/Panama, with no summer time.
 */
export function canonicalZone(zone: string): string | undefined {
  if (zone.length === 0 || zone.length > ZONE_NAME_LENGTH || !ZONE_NAME_REGEX.test(zone)) return undefined;
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
  if (word.length === 0 || word.length > ZONE_NAME_LENGTH) return undefined;
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

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

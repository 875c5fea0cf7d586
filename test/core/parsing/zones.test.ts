/** Time zones from Intl: names, suggestions, and wall clocks across daylight saving changes. */
import { describe, expect, test } from 'vitest';
import { canonicalZone, formatInZone, suggestZone, wallClockToUtc, zoneOffsetMinutes } from '../../../bot/core/parsing/zones.js';

describe('zone names', () => {
  test('IANA names and UTC are zones, in Intl\u2019s case; abbreviations are not', () => {
    expect(canonicalZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalZone('utc')).toBe('UTC');
    expect(canonicalZone('EST')).toBeUndefined();
    expect(canonicalZone('Mars/Olympus')).toBeUndefined();
    expect(canonicalZone(`Europe/${'x'.repeat(64)}`)).toBeUndefined();
  });

  test('a refused name gets the zone it likely meant', () => {
    expect(suggestZone('PST')).toBe('America/Los_Angeles');
    expect(suggestZone('Paris')).toBe('Europe/Paris');
    expect(suggestZone('America/New_Yrok')).toBe('America/New_York');
  });
});

describe('wall clocks', () => {
  test('offsets and formatting follow the zone\u2019s rules at that instant', () => {
    expect(zoneOffsetMinutes('America/New_York', Date.parse('2026-01-15T12:00:00Z'))).toBe(-300);
    expect(zoneOffsetMinutes('America/New_York', Date.parse('2026-07-15T12:00:00Z'))).toBe(-240);
    expect(formatInZone(new Date('2026-12-01T14:00:00Z'), 'Europe/Paris')).toBe('2026-12-01 15:00');
  });

  test('a skipped time moves forward by the gap; a repeated one is the first', () => {
    // New York springs forward at 02:00 on 2026-03-08 and falls back at 02:00 on 2026-11-01.
    expect(wallClockToUtc('America/New_York', [2026, 3, 8, 2, 30, 0]).toISOString()).toBe('2026-03-08T07:30:00.000Z');
    expect(wallClockToUtc('America/New_York', [2026, 11, 1, 1, 30, 0]).toISOString()).toBe('2026-11-01T05:30:00.000Z');
    expect(wallClockToUtc('Europe/Paris', [2026, 6, 1, 9, 0, 0]).toISOString()).toBe('2026-06-01T07:00:00.000Z');
  });
});

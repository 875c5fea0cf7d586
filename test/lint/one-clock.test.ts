import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

// The time of day comes from a `Clock`; bot/clock.ts's `systemClock` is the one that reads it.
// bot/core is held to this by lint; this holds the rest of bot/ to it, by reading the sources.
const repo = fileURLToPath(new URL('../..', import.meta.url));
const THE_SYSTEM_CLOCK = 'bot/clock.ts';
const READS_THE_CLOCK = /\bDate\.now\s*\(|\bnew\s+Date\s*\(\s*\)|(?<![.\w])Date\s*\(\s*\)/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [relative(repo, path)] : [];
  });
}

describe('one clock', () => {
  test('the pattern finds every way of reading the clock, and nothing else', () => {
    for (const reads of ['Date.now()', 'const t = new Date();', 'String(Date())']) expect(READS_THE_CLOCK.test(reads), reads).toBe(true);
    for (const not of ['new Date(ms)', 'Date.parse(text)', 'clock.now()', 'performance.now()', 'isDate()']) expect(READS_THE_CLOCK.test(not), not).toBe(false);
  });

  test(`nothing in bot/ but ${THE_SYSTEM_CLOCK} reads the time of day`, () => {
    const offenders = sources(join(repo, 'bot'))
      .filter((file) => file !== THE_SYSTEM_CLOCK)
      .flatMap((file) =>
        readFileSync(join(repo, file), 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${file}:${index + 1}` }))
          .filter(({ line }) => READS_THE_CLOCK.test(line) && !/^\s*(\*|\/\/)/.test(line))
          .map(({ where, line }) => `${where}: ${line.trim()}`),
      );
    expect(offenders).toEqual([]);
  });
});

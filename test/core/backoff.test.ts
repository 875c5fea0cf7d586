import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffCeilingMs, backoffDelayMs, Jitter, stableFraction, type BackoffPolicy } from '../../bot/core/backoff.js';

const policy = (jitter: Jitter): BackoffPolicy => ({ baseMs: 1000, maxMs: 60_000, jitter });

describe('backoffCeilingMs', () => {
  it('doubles from baseMs after each failure, up to maxMs', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffCeilingMs(n, policy(Jitter.Full)))).toEqual([1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  });

  it('stays at maxMs however many failures, even past what 2^n can hold', () => {
    expect(backoffCeilingMs(2000, policy(Jitter.Full))).toBe(60_000);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses %s failures', (failures) => {
    expect(() => backoffCeilingMs(failures, policy(Jitter.Full))).toThrow(RangeError);
  });
});

describe('backoffDelayMs', () => {
  it('full jitter spans [0, ceiling)', () => {
    expect(backoffDelayMs(3, policy(Jitter.Full), () => 0)).toBe(0);
    expect(backoffDelayMs(3, policy(Jitter.Full), () => 0.5)).toBe(2000);
    expect(backoffDelayMs(3, policy(Jitter.Full), () => 0.999)).toBeCloseTo(3996);
  });

  it('equal jitter spans [ceiling/2, ceiling)', () => {
    expect(backoffDelayMs(3, policy(Jitter.Equal), () => 0)).toBe(2000);
    expect(backoffDelayMs(3, policy(Jitter.Equal), () => 0.5)).toBe(3000);
    expect(backoffDelayMs(3, policy(Jitter.Equal), () => 0.999)).toBeCloseTo(3998);
  });

  it('is deterministic for a fixed random, and asks it once', () => {
    let calls = 0;
    const random = () => {
      calls += 1;
      return 0.25;
    };
    expect(backoffDelayMs(2, policy(Jitter.Equal), random)).toBe(backoffDelayMs(2, policy(Jitter.Equal), () => 0.25));
    expect(calls).toBe(1);
  });

  it('stays within its jitter range below the cap, for any failure count and random', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(Jitter.Full, Jitter.Equal), (failures, r, jitter) => {
        const ceiling = backoffCeilingMs(failures, policy(jitter));
        const delay = backoffDelayMs(failures, policy(jitter), () => r);
        expect(ceiling).toBeLessThanOrEqual(60_000);
        expect(delay).toBeGreaterThanOrEqual(jitter === Jitter.Full ? 0 : ceiling / 2);
        // Closed at the top: ceiling/2 + 0.9999999999999999 · ceiling/2 rounds to the ceiling (seed 1380991436).
        expect(delay).toBeLessThanOrEqual(ceiling);
      }),
    );
  });
});

describe('stableFraction: jitter for pure decisions', () => {
  it('is in [0, 1), the same for the same key, and spreads different keys', () => {
    const keys = Array.from({ length: 1000 }, (_, i) => `j-${i.toString(36).padStart(12, 'a')}.1`);
    const fractions = keys.map(stableFraction);
    for (const f of fractions) expect(f >= 0 && f < 1).toBe(true);
    expect(keys.map(stableFraction)).toEqual(fractions);
    // Ten equal bins, none empty and none with more than twice its share.
    const bins = Array.from({ length: 10 }, (_, b) => fractions.filter((f) => Math.floor(f * 10) === b).length);
    for (const n of bins) expect(n > 50 && n < 200, `bins ${bins.join(',')}`).toBe(true);
  });

});

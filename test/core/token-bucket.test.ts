import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reserve, tokensAt, type BucketLevel, type BucketLimit } from '../../bot/core/token-bucket.js';
import { propertySeeds } from '../harness/property-seed.js';

/** Slack for floating-point sums of fractional tokens. */
const EPS = 1e-6;

const RUN_INSTANCES: BucketLimit = { capacity: 5, refillPerSecond: 2 };

interface Grant {
  arrivalMs: number;
  sendAtMs: number;
  cost: number;
  /** The bucket's level before this call booked. */
  before: BucketLevel | undefined;
}

/** Books `calls` (arrival time, cost) one after another on one bucket, as the limiter does. */
function grantAll(limit: BucketLimit, calls: readonly (readonly [number, number])[]): Grant[] {
  let level: BucketLevel | undefined;
  return calls.map(([arrivalMs, cost]) => {
    const booked = reserve([{ limit, level, cost }], arrivalMs);
    const grant = { arrivalMs, sendAtMs: booked.sendAtMs, cost: Math.min(cost, limit.capacity), before: level };
    level = booked.levels[0];
    return grant;
  });
}

/** Any window [first send, last send] pays out at most capacity + rate · its length. */
function expectWithinBucket(limit: BucketLimit, grants: readonly Grant[]): void {
  for (let i = 0; i < grants.length; i++) {
    let paid = 0;
    for (let j = i; j < grants.length; j++) {
      paid += grants[j]!.cost;
      const windowS = (grants[j]!.sendAtMs - grants[i]!.sendAtMs) / 1000;
      expect(paid).toBeLessThanOrEqual(limit.capacity + limit.refillPerSecond * windowS + EPS);
    }
  }
}

const limitArb = fc.record({
  capacity: fc.double({ min: 0.5, max: 200, noNaN: true }),
  refillPerSecond: fc.double({ min: 0.05, max: 100, noNaN: true }),
});

/** Calls as (arrival ms, cost): arrivals in order, often together (a burst), sometimes far apart. */
const callsArb = (maxCost: number) =>
  fc
    .array(fc.tuple(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5000 })), fc.double({ min: 0, max: maxCost, noNaN: true })), {
      minLength: 1,
      maxLength: 60,
    })
    .map((steps) => {
      let t = 1_000_000;
      return steps.map(([gap, cost]) => [(t += gap), cost] as const);
    });

describe('reserve: examples at RunInstances\' documented request bucket (5, then 2 a second)', () => {
  it('sends the first five of a burst at once, then one every 500 ms, the 200th after 97.5 s', () => {
    const sends = grantAll(
      RUN_INSTANCES,
      Array.from({ length: 200 }, () => [0, 1] as const),
    ).map((g) => g.sendAtMs);
    expect(sends.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 500]);
    expect(sends[199]).toBeCloseTo(97_500, 6);
  });

  it('lets an idle bucket fill again, but no higher than its capacity', () => {
    const level: BucketLevel = { tokens: 0, atMs: 0 };
    expect(tokensAt(RUN_INSTANCES, level, 1000)).toBe(2);
    expect(tokensAt(RUN_INSTANCES, level, 60_000)).toBe(5);
    expect(tokensAt(RUN_INSTANCES, undefined, 0)).toBe(5);
  });

  it('waits for a full bucket, not forever, when one call costs more than the capacity', () => {
    const booked = reserve([{ limit: RUN_INSTANCES, level: { tokens: 0, atMs: 0 }, cost: 50 }], 0);
    expect(booked.sendAtMs).toBe(2500);
    expect(booked.levels[0]!.tokens).toBe(0);
  });

  it('pays every bucket of a call at the one time it is sent: the slower bucket decides', () => {
    const resource: BucketLimit = { capacity: 1000, refillPerSecond: 2 };
    const booked = reserve(
      [
        { limit: RUN_INSTANCES, level: { tokens: 5, atMs: 0 }, cost: 1 },
        { limit: resource, level: { tokens: 0, atMs: 0 }, cost: 3 },
      ],
      0,
    );
    expect(booked.sendAtMs).toBe(1500);
    expect(booked.levels).toEqual([
      { tokens: 4, atMs: 1500 },
      { tokens: 0, atMs: 1500 },
    ]);
  });

  it('sends a call that draws on no bucket now', () => {
    expect(reserve([], 42)).toEqual({ sendAtMs: 42, levels: [] });
  });

  it.each([
    [{ capacity: 0, refillPerSecond: 1 }, 1],
    [{ capacity: 1, refillPerSecond: 0 }, 1],
    [{ capacity: Number.NaN, refillPerSecond: 1 }, 1],
    [{ capacity: 1, refillPerSecond: Number.POSITIVE_INFINITY }, 1],
    [{ capacity: 1, refillPerSecond: 1 }, -1],
    [{ capacity: 1, refillPerSecond: 1 }, Number.NaN],
  ])('refuses the limit %o with cost %d', (limit, cost) => {
    expect(() => reserve([{ limit, level: undefined, cost }], 0)).toThrow(RangeError);
  });
});

describe.each(propertySeeds())('reserve: properties (seed %i)', (seed) => {
  it('over any window of t seconds a bucket pays out at most capacity + rate · t; calls go in order, none before it arrived', () => {
    fc.assert(
      fc.property(limitArb, callsArb(300), (limit, calls) => {
        const grants = grantAll(limit, calls);
        grants.forEach((g, i) => {
          expect(g.sendAtMs).toBeGreaterThanOrEqual(g.arrivalMs);
          if (i > 0) expect(g.sendAtMs).toBeGreaterThanOrEqual(grants[i - 1]!.sendAtMs);
        });
        expectWithinBucket(limit, grants);
      }),
      { numRuns: 500, seed },
    );
  });

  it('waits no longer than needed: a call goes when it arrives, when the call before it went, or when the bucket just holds its cost', () => {
    fc.assert(
      fc.property(limitArb, callsArb(300), (limit, calls) => {
        const grants = grantAll(limit, calls);
        grants.forEach((g, i) => {
          const earliest = Math.max(g.arrivalMs, i > 0 ? grants[i - 1]!.sendAtMs : g.arrivalMs);
          if (g.sendAtMs > earliest) {
            // Sent later than it could have been in line: exactly when the bucket had refilled enough.
            expect(tokensAt(limit, g.before, g.sendAtMs)).toBeCloseTo(g.cost, 6);
            expect(tokensAt(limit, g.before, earliest)).toBeLessThan(g.cost);
          }
        });
      }),
      { numRuns: 500, seed },
    );
  });

  it('a call on two buckets keeps each within its limit, in order, and waits only for the slower one', () => {
    const callArb = fc.tuple(
      fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 3000 })),
      fc.constantFrom<readonly ('a' | 'b')[]>(['a'], ['b'], ['a', 'b']),
      fc.integer({ min: 1, max: 4 }),
    );
    fc.assert(
      fc.property(limitArb, limitArb, fc.array(callArb, { minLength: 1, maxLength: 60 }), (limitA, limitB, calls) => {
        const limits = { a: limitA, b: limitB };
        const levels: Record<'a' | 'b', BucketLevel | undefined> = { a: undefined, b: undefined };
        const grants: Record<'a' | 'b', Grant[]> = { a: [], b: [] };
        let nowMs = 0;
        for (const [gap, buckets, cost] of calls) {
          nowMs += gap;
          const booked = reserve(
            buckets.map((key) => ({ limit: limits[key], level: levels[key], cost })),
            nowMs,
          );
          // Alone, each bucket would have let the call go at its own earliest time; the call goes at the latest of those.
          const alone = buckets.map((key) => reserve([{ limit: limits[key], level: levels[key], cost }], nowMs).sendAtMs);
          expect(booked.sendAtMs).toBe(Math.max(...alone));
          buckets.forEach((key, index) => {
            grants[key].push({ arrivalMs: nowMs, sendAtMs: booked.sendAtMs, cost: Math.min(cost, limits[key].capacity), before: levels[key] });
            levels[key] = booked.levels[index];
          });
        }
        for (const key of ['a', 'b'] as const) {
          grants[key].forEach((g, i) => {
            if (i > 0) expect(g.sendAtMs).toBeGreaterThanOrEqual(grants[key][i - 1]!.sendAtMs);
          });
          expectWithinBucket(limits[key], grants[key]);
        }
      }),
      { numRuns: 300, seed },
    );
  });
});

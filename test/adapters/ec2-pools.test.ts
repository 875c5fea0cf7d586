/**
 * The pure parts of the launch path: the order pools are tried in, the client token per attempt
 * and pool, and the bounded memory of pools that had no capacity.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  CAPACITY_MEMORY_MAX,
  CAPACITY_MEMORY_MS,
  CapacityMemory,
  isAvoided,
  orderPools,
  poolClientToken,
} from '../../bot/adapters/ec2-pools.js';
import type { LaunchPool } from '../../bot/core/lifecycle/observation.js';
import { FakeClock } from '../harness/clock.js';
import { propertySeeds } from '../harness/property-seed.js';

const pool = (instanceType: string, zone?: string, subnetId?: string): LaunchPool => ({
  instanceType,
  ...(zone && { zone }),
  ...(subnetId && { subnetId }),
});

describe('orderPools', () => {
  const a1 = pool('m7g.medium', 'a'), b1 = pool('m7g.medium', 'b'), a2 = pool('m6g.medium', 'a'), b2 = pool('m6g.medium', 'b');
  const prices: Record<string, number> = { 'm7g.medium/a': 0.02, 'm6g.medium/b': 0.01 };
  const priceOf = (p: LaunchPool) => prices[`${p.instanceType}/${p.zone}`];

  test('cheapest first, then unknown prices in the given order', () => {
    expect(orderPools([a1, b1, a2, b2], priceOf, () => false)).toEqual([b2, a1, b1, a2]);
  });

  test('demoted pools (refused recently, or avoided) go last, in the same order among themselves', () => {
    expect(orderPools([a1, b1, a2, b2], priceOf, (p) => p === b2 || p === b1)).toEqual([a1, a2, b2, b1]);
  });

  test('avoid matches the type and, when named, the zone or subnet', () => {
    expect(isAvoided(a1, [pool('m7g.medium')])).toBe(true);
    expect(isAvoided(a1, [pool('m7g.medium', 'b')])).toBe(false);
    expect(isAvoided(pool('m7g.medium', 'a', 's-1'), [pool('m7g.medium', undefined, 's-2')])).toBe(false);
    expect(isAvoided(a2, [pool('m7g.medium', 'a')])).toBe(false);
  });
});

describe.each(propertySeeds())('poolClientToken (seed %i)', (seed) => {
  test('at most 64 printable ASCII characters, the same for the same attempt and pool, different per pool', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.constantFrom('t3.micro', 'm7g.medium'), fc.constantFrom('subnet-1', 'subnet-2'), (token, type, subnet) => {
        const once = poolClientToken(token, pool(type, undefined, subnet));
        expect(once).toMatch(/^[\x21-\x7e]{1,64}$/);
        expect(poolClientToken(token, pool(type, undefined, subnet))).toBe(once);
        expect(poolClientToken(token, pool(type, undefined, subnet === 'subnet-1' ? 'subnet-2' : 'subnet-1'))).not.toBe(once);
        expect(poolClientToken(`${token}x`, pool(type, undefined, subnet))).not.toBe(once);
      }),
      { numRuns: 300, seed },
    );
  });
});

describe('CapacityMemory', () => {
  test('remembers a refusal for a few minutes', () => {
    const clock = new FakeClock();
    const memory = new CapacityMemory(clock);
    memory.remember(pool('m7g.medium', 'a'));
    expect(memory.recentlyRefused(pool('m7g.medium', 'a'))).toBe(true);
    expect(memory.recentlyRefused(pool('m7g.medium', 'b'))).toBe(false);
    clock.advance(CAPACITY_MEMORY_MS / 1000);
    expect(memory.recentlyRefused(pool('m7g.medium', 'a'))).toBe(false);
  });

  test('is bounded: the oldest refusal is forgotten first', () => {
    const memory = new CapacityMemory(new FakeClock());
    for (let n = 0; n <= CAPACITY_MEMORY_MAX; n++) memory.remember(pool(`t${n}.micro`, 'a'));
    expect(memory.recentlyRefused(pool('t0.micro', 'a'))).toBe(false);
    expect(memory.recentlyRefused(pool('t1.micro', 'a'))).toBe(true);
    expect(memory.recentlyRefused(pool(`t${CAPACITY_MEMORY_MAX}.micro`, 'a'))).toBe(true);
  });
});

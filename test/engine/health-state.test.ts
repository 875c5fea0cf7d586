import { describe, expect, test } from 'vitest';
import { HealthState } from '../../bot/engine/health-state.js';

function world(startMs = Date.parse('2026-01-15T10:00:00Z')) {
  let now = startMs;
  const health = new HealthState({ clock: { now: () => new Date(now) }, recheckEveryMs: 5_000, recheckTimeoutMs: 50 });
  return { health, advance: (ms: number) => (now += ms), at: (ms: number) => startMs + ms };
}

describe('the health state', () => {
  test('a failed store call degrades the store since that call began; a later success clears it', () => {
    const { health, at } = world();
    expect(health.degraded()).toEqual([]);
    health.failed('store', at(1_000), 'Query: ServiceUnavailable');
    health.failed('store', at(3_000), 'GetItem: ECONNREFUSED');
    expect(health.degraded()).toEqual([{ part: 'store', since: new Date(at(1_000)).toISOString(), detail: 'GetItem: ECONNREFUSED' }]);
    health.ok('store', at(4_000));
    expect(health.degraded()).toEqual([]);
  });

  test('a success of a call older than the failure does not clear it; a failure older than a success does not degrade', () => {
    const { health, at } = world();
    health.failed('store', at(2_000), 'Query: ServiceUnavailable');
    health.ok('store', at(1_000));
    expect(health.degraded()).toHaveLength(1);
    health.ok('store', at(5_000));
    health.failed('store', at(4_000), 'PutItem: ThrottlingException');
    expect(health.degraded()).toEqual([]);
  });

  test('check() rechecks a degraded part at most once per interval, never a healthy one, and waits for it only so long', async () => {
    const { health, at, advance } = world();
    let probes = 0;
    let answer: 'ok' | 'fail' | 'hang' = 'fail';
    health.setRecheck('store', async () => {
      probes += 1;
      const began = at(0);
      if (answer === 'hang') return new Promise(() => undefined);
      if (answer === 'ok') health.ok('store', began + 10_000_000);
      else health.failed('store', began, 'probe failed');
    });
    expect(await health.check()).toEqual([]);
    expect(probes).toBe(0);
    health.failed('store', at(0), 'Query: ServiceUnavailable');
    expect(await health.check()).toHaveLength(1);
    expect(await health.check()).toHaveLength(1);
    expect(probes).toBe(1);
    advance(5_000);
    answer = 'hang';
    const started = performance.now();
    expect(await health.check()).toHaveLength(1);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(probes).toBe(2);
    advance(5_000);
    // The hung recheck still runs: no second one alongside it.
    expect(await health.check()).toHaveLength(1);
    expect(probes).toBe(2);
  });

  test('a recheck that succeeds clears the part within the same check', async () => {
    const { health, at } = world();
    health.failed('store', at(0), 'Query: ServiceUnavailable');
    health.setRecheck('store', async () => health.ok('store', at(1)));
    expect(await health.check()).toEqual([]);
  });
});

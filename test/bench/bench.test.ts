import { describe, expect, it, vi } from 'vitest';
import { benchDecide, benchReconcileMemory } from '../../bench/core.js';
import { selectBenchmarks } from '../../bench/index.js';
import { emit, percentile, ratioOf, resultLine } from '../../bench/report.js';
import { benchSchedulePrecision } from '../../bench/scheduling.js';
import { startFakeSlack } from '../harness/fake-slack.js';

describe('a benchmark line', () => {
  it('carries the figures, the target, met, and the baseline with its ratio', () => {
    const line = JSON.parse(resultLine({ bench: 'x', figures: { calls: 2 }, target: '<= 2', met: true, baseline: 1000, ratio: ratioOf(1000, 2) }));
    expect(line).toEqual({ bench: 'x', calls: 2, target: '<= 2', met: true, baseline: 1000, ratio: 500 });
  });

  it('leaves baseline and ratio out where the original design does not apply', () => {
    expect(JSON.parse(resultLine({ bench: 'x', figures: {}, target: 't', met: false }))).toEqual({ bench: 'x', target: 't', met: false });
  });

  it('is printed as one line of JSON', () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    emit({ bench: 'x', figures: { a: 1 }, target: 't', met: true });
    expect(log).toHaveBeenCalledTimes(1);
    expect(String(log.mock.calls[0]![0])).not.toContain('\n');
    log.mockRestore();
  });
});

describe('percentile and ratio', () => {
  it('take the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile(values, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('divides the baseline by the measure', () => {
    expect(ratioOf(100, 4)).toBe(25);
    expect(ratioOf(5, 0)).toBe(Infinity);
    expect(ratioOf(0, 0)).toBe(1);
  });
});

describe('the runner', () => {
  it('runs every benchmark but the extra ones by default, a name or a group when asked', () => {
    const all = selectBenchmarks([]).map((b) => b.name);
    expect(all).toContain('poll-tick');
    expect(all).not.toContain('poll-tick-5000');
    expect(selectBenchmarks(['core']).map((b) => b.name)).toEqual(['decide', 'reconcile-memory']);
    expect(selectBenchmarks(['poll-tick-5000']).map((b) => b.name)).toEqual(['poll-tick-5000']);
  });

  it('refuses an unknown name, listing the known ones', () => {
    expect(() => selectBenchmarks(['poll'])).toThrow(/unknown benchmark\(s\) poll; known: decide/);
  });
});

describe('benchmarks at a tiny size, end to end', () => {
  it('decide and the memory reconcile pass', async () => {
    expect(benchDecide(100)).toMatchObject({ bench: 'decide', figures: { ops: 100 }, met: true });
    expect(await benchReconcileMemory(5)).toMatchObject({ bench: 'reconcile_pass_memory', figures: { active_jobs: 5 } });
  });

  it('schedule precision on the embedded store', async () => {
    const result = await benchSchedulePrecision(3, 200);
    expect(result).toMatchObject({ bench: 'schedule_precision', figures: { jobs: 3, early: 0 } });
    expect(typeof result.met).toBe('boolean');
  });
});

describe('the fake Slack with channelLimit (the Slack burst benchmark relies on it)', () => {
  const post = (apiUrl: string, channel: string) =>
    fetch(`${apiUrl}chat.postMessage`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-t' }, body: new URLSearchParams({ channel, text: 'hi' }) }).then((r) => r.status);

  it('answers 429 with Retry-After once a channel has spent its burst, other channels unaffected', async () => {
    const slack = await startFakeSlack({ channelLimit: { callsPerSecond: 0.5, burst: 2 } });
    try {
      expect([await post(slack.apiUrl, 'C1'), await post(slack.apiUrl, 'C1'), await post(slack.apiUrl, 'C1')]).toEqual([200, 200, 429]);
      expect(slack.refused()[0]?.retryAfterSeconds).toBe(1);
      expect(await post(slack.apiUrl, 'C2')).toBe(200);
    } finally {
      await slack.close();
    }
  });

  it('limits nothing without the option', async () => {
    const slack = await startFakeSlack();
    try {
      for (let i = 0; i < 5; i++) expect(await post(slack.apiUrl, 'C1')).toBe(200);
    } finally {
      await slack.close();
    }
  });
});

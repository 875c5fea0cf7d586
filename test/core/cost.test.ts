import { describe, expect, test } from 'vitest';
import { loadConfig } from '../../bot/config.js';
import { savedUsd } from '../../bot/core/cost.js';
import { JobStatus, type Job } from '../../bot/core/job.js';
import { decide } from '../../bot/core/lifecycle/lifecycle.js';
import type { Observation } from '../../bot/core/lifecycle/observation.js';
import { DEFAULT_ON_DEMAND_PRICES, onDemandPriceTable, parseOnDemandPrices } from '../../bot/core/on-demand-prices.js';
import { DEFAULT_WORKER_INSTANCE_TYPES } from '../../bot/core/facts.js';
import { jobView } from '../../bot/core/view/job-view.js';
import { makeJob } from '../harness/jobs.js';

const T0 = Date.parse('2026-01-15T10:05:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/** Feeds `[secondsAfterT0, observation]` pairs to `decide`, in order. */
function feed(job: Job, steps: [number, Observation][]): Job {
  return steps.reduce((current, [seconds, obs]) => decide(current, obs, at(seconds)).job, job);
}

const instance = (job: Job, attempt: number, id: string, state: 'running' | 'terminated'): Observation => ({
  kind: 'instance',
  instance: { instanceId: id, jobId: job.id, attempt, state },
});

describe('cost per attempt', () => {
  test('an interrupted spot attempt then a finished one, at different prices: exact to the micro-dollar, with the saving', () => {
    const job = makeJob({ spec: { instanceTypes: ['t3.medium'] } });
    const ended = feed(job, [
      [0, { kind: 'tick' }],
      [1, { kind: 'spotRequested', attempt: 1, instanceId: 'i-1', pool: { instanceType: 't3.medium', zone: 'us-west-2a' }, pricePerHour: 0.0123, onDemandPricePerHour: 0.0416 }],
      [10, instance(job, 1, 'i-1', 'running')],
      // 1,800 s on i-1, then AWS takes it back.
      [1810, instance(job, 1, 'i-1', 'terminated')],
      [1811, { kind: 'spotRequested', attempt: 2, instanceId: 'i-2', pool: { instanceType: 't3.medium', zone: 'us-west-2b' }, pricePerHour: 0.015, onDemandPricePerHour: 0.0416 }],
      [1820, instance(job, 2, 'i-2', 'running')],
      [1830, { kind: 'agent', status: 'started', attempt: 2 }],
      // 3,600 s on i-2.
      [5420, { kind: 'agent', status: 'finished', attempt: 2, exitCode: 0 }],
    ]);
    expect(ended.status).toBe(JobStatus.Succeeded);
    expect(ended.attemptCosts).toEqual([
      { attempt: 1, market: 'spot', instanceType: 't3.medium', zone: 'us-west-2a', pricePerHour: 0.0123, seconds: 1800, costUsd: 0.00615, onDemandPricePerHour: 0.0416 },
      { attempt: 2, market: 'spot', instanceType: 't3.medium', zone: 'us-west-2b', pricePerHour: 0.015, seconds: 3600, costUsd: 0.015, onDemandPricePerHour: 0.0416 },
    ]);
    expect(ended.costUsd).toBe(0.02115);
    // (0.0416 − 0.0123) × 0.5 h + (0.0416 − 0.015) × 1 h
    expect(savedUsd(ended.attemptCosts!)).toBe(0.04125);
    const fields = Object.fromEntries(jobView(ended, at(5500)).fields.map((f) => [f.label, f.value]));
    expect(fields).toMatchObject({ Cost: '$0.02', Saved: '$0.04 against on-demand' });
  });

  test('an on-demand attempt is priced at the on-demand price, whatever spot price an observation attached, and saves nothing', () => {
    const job = makeJob({
      status: JobStatus.Running,
      attempt: 1,
      market: 'on-demand',
      instanceId: 'i-1',
      instanceType: 'm5.large',
      launchedAt: at(0).toISOString(),
      startedAt: at(0).toISOString(),
      pricePerHour: 0.03,
      onDemandPricePerHour: 0.096,
    });
    const ended = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(1800)).job;
    expect(ended.attemptCosts).toEqual([{ attempt: 1, market: 'on-demand', instanceType: 'm5.large', pricePerHour: 0.096, seconds: 1800, costUsd: 0.048, onDemandPricePerHour: 0.096 }]);
    expect(ended.costUsd).toBe(0.048);
    expect(savedUsd(ended.attemptCosts!)).toBe(0);
  });

  test('an unknown on-demand price: the cost is known, no saving is claimed, and none is shown', () => {
    const job = makeJob({ status: JobStatus.Running, attempt: 1, instanceId: 'i-1', instanceType: 'x9.odd', launchedAt: at(0).toISOString(), startedAt: at(0).toISOString(), pricePerHour: 0.02 });
    const ended = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(3600)).job;
    expect(ended.costUsd).toBe(0.02);
    expect(savedUsd(ended.attemptCosts!)).toBeNull();
    expect(jobView(ended, at(3700)).fields.map((f) => f.label)).not.toContain('Saved');
  });

  test('an unknown spot price: the time is recorded, the cost stays what is known, no saving is claimed', () => {
    const job = makeJob({ status: JobStatus.Running, attempt: 1, instanceId: 'i-1', launchedAt: at(0).toISOString(), startedAt: at(0).toISOString(), onDemandPricePerHour: 0.0104 });
    const ended = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(60)).job;
    expect(ended.costUsd).toBeUndefined();
    expect(ended.attemptCosts).toEqual([{ attempt: 1, market: 'spot', instanceType: 't3.micro', seconds: 60, onDemandPricePerHour: 0.0104 }]);
    expect(savedUsd(ended.attemptCosts!)).toBeNull();
  });

  test('a running job shows its saving so far', () => {
    const job = makeJob({ status: JobStatus.Running, attempt: 1, instanceId: 'i-1', launchedAt: at(0).toISOString(), startedAt: at(0).toISOString(), pricePerHour: 0.01, onDemandPricePerHour: 0.05 });
    const fields = Object.fromEntries(jobView(job, at(3600)).fields.map((f) => [f.label, f.value]));
    expect(fields).toMatchObject({ Cost: '≈ $0.01 so far', Saved: '≈ $0.04 against on-demand so far' });
  });

  test('no attempt ran: no saving (null), never NaN', () => {
    expect(savedUsd([])).toBeNull();
    expect(savedUsd([{ attempt: 1, market: 'spot', instanceType: 't3.micro', pricePerHour: Number.NaN, seconds: 10, onDemandPricePerHour: 1 }])).toBeNull();
  });
});

describe('on-demand prices', () => {
  test('the default table prices every default worker type', () => {
    for (const type of DEFAULT_WORKER_INSTANCE_TYPES) expect(DEFAULT_ON_DEMAND_PRICES[type]).toBeGreaterThan(0);
  });

  test("the operator's price wins over the default table; other types keep the default; unknown types stay unknown", () => {
    const priceOf = onDemandPriceTable({ 'm5.large': 0.107, 'x9.odd': 2 });
    expect(priceOf('m5.large')).toBe(0.107);
    expect(priceOf('t3.micro')).toBe(0.0104);
    expect(priceOf('x9.odd')).toBe(2);
    expect(priceOf('z1.unknown')).toBeUndefined();
    expect(priceOf('constructor')).toBeUndefined();
  });

  test('SCHED_ON_DEMAND_PRICES is read as TYPE=USD pairs', () => {
    expect(parseOnDemandPrices('m5.large=0.096, c5.xlarge=0.17')).toEqual({ ok: true, prices: { 'm5.large': 0.096, 'c5.xlarge': 0.17 } });
    expect(parseOnDemandPrices('')).toEqual({ ok: true, prices: {} });
  });

  test.each([
    ['m5.large', /needs TYPE=USD/],
    ['m5.large=', /is not a price/],
    ['m5.large=-1', /is not a price/],
    ['m5.large=0', /is not a price/],
    ['m5.large=$0.09', /is not a price/],
    ['m5.large=9600', /at most 1000/],
    ['M5 LARGE=0.1', /is not an instance type/],
    ['m5.large=0.1,m5.large=0.2', /given twice/],
  ])('%s is refused with a clear error', (text, problem) => {
    const parsed = parseOnDemandPrices(text);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.problems.join('\n')).toMatch(problem);
  });

  test('the configuration reports a bad SCHED_ON_DEMAND_PRICES by name and carries a good one', () => {
    const bad = loadConfig({ SCHED_ON_DEMAND_PRICES: 'm5.large=cheap' }, { stdinIsTTY: false });
    expect(!bad.ok && bad.problems.join('\n')).toMatch(/^SCHED_ON_DEMAND_PRICES: "cheap" is not a price/m);
    const good = loadConfig({ SCHED_ON_DEMAND_PRICES: 'm5.large=0.1' }, { stdinIsTTY: false });
    expect(good.ok && good.config.spot.onDemandPrices).toEqual({ 'm5.large': 0.1 });
  });
});

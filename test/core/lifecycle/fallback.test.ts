/**
 * On-demand on purpose (--on-demand-after, --on-demand-wait, "Run on-demand"), --retries 0 and
 * --retry-exit, decided by the pure lifecycle.
 */
import { describe, expect, test } from 'vitest';
import { JobStatus, type Job } from '../../../bot/core/job.js';
import type { InterruptionCause } from '../../../bot/core/job-event.js';
import { clientTokenFor } from '../../../bot/core/lifecycle/attempts.js';
import { waitingOnSpotCapacity } from '../../../bot/core/lifecycle/fallback.js';
import { nextTimedDecisionMs } from '../../../bot/core/lifecycle/deadlines.js';
import { decide, DEFAULT_TIMINGS } from '../../../bot/core/lifecycle/lifecycle.js';
import type { Effect, Observation } from '../../../bot/core/lifecycle/observation.js';
import { describeEvent, jobReason } from '../../../bot/core/view/event-words.js';
import { makeJob, type JobOverrides } from '../../harness/jobs.js';

const T0 = new Date('2026-01-15T10:05:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const launches = (effects: Effect[]) => effects.filter((e): e is Extract<Effect, { kind: 'launch' }> => e.kind === 'launch');
const words = (job: Job) => job.events.map(describeEvent);

const running = (over: JobOverrides = {}) =>
  makeJob({
    status: JobStatus.Running,
    attempt: 1,
    market: 'spot',
    instanceId: 'i-1',
    instanceType: 't3.micro',
    requestedAt: T0.toISOString(),
    launchedAt: T0.toISOString(),
    startedAt: T0.toISOString(),
    ...over,
  });

const terminated: Observation = { kind: 'instance', instance: { instanceId: 'i-1', state: 'terminated' } };
const noCapacity = (attempt = 1): Observation => ({
  kind: 'spotRequestFailed',
  attempt,
  code: 'InsufficientInstanceCapacity',
  message: 'no spot capacity in t3.micro/us-west-2a',
  permanent: false,
  capacity: true,
  refused: [{ instanceType: 't3.micro', zone: 'us-west-2a' }],
});

/** A job whose first launch was just refused for capacity at T0. */
function refusedAtT0(spec: Partial<Job['spec']> = {}): Job {
  const due = decide(makeJob({ runAt: T0.toISOString(), spec }), { kind: 'tick' }, T0).job;
  return decide(due, noCapacity(), T0).job;
}

describe('--on-demand-after N', () => {
  test('the attempt after the N-th interruption launches on-demand, with a token of its own, and says why once', () => {
    const first = decide(running({ spec: { onDemandAfter: 1 } }), terminated, at(10));
    expect(first.job.attempt).toBe(2);
    expect(first.job.market).toBe('on-demand');
    const [launch] = launches(first.effects);
    expect(launch).toMatchObject({ market: 'on-demand', attempt: 2, clientToken: `${first.job.id}.2.0.od` });
    expect(words(first.job)).toContain('running on-demand from now on: interrupted 1 time (--on-demand-after 1)');

    // On-demand stays on-demand: the next attempt says nothing more about it.
    const lost = { ...first.job, status: JobStatus.Running, instanceId: 'i-2', launchedAt: at(20).toISOString() };
    const second = decide(lost, { kind: 'instance', instance: { instanceId: 'i-2', state: 'terminated' } }, at(30));
    expect(launches(second.effects)[0]?.market).toBe('on-demand');
    expect(second.job.events.filter((e) => e.kind === 'on-demand')).toHaveLength(1);
  });

  test('before N interruptions the attempts stay spot', () => {
    const d = decide(running({ spec: { onDemandAfter: 2 } }), terminated, at(10));
    expect(d.job.market).toBe('spot');
    expect(launches(d.effects)[0]).toMatchObject({ market: 'spot', clientToken: `${d.job.id}.2.0` });
    expect(d.job.events.some((e) => e.kind === 'on-demand')).toBe(false);
  });

  test('0: the first attempt is on-demand', () => {
    const d = decide(makeJob({ runAt: T0.toISOString(), spec: { onDemandAfter: 0 } }), { kind: 'tick' }, T0);
    expect(launches(d.effects)[0]?.market).toBe('on-demand');
    expect(words(d.job)).toContain('running on-demand from now on: asked for from the start (--on-demand-after 0)');
  });

  test('without it, every attempt is spot and the job records its market', () => {
    const d = decide(makeJob({ runAt: T0.toISOString() }), { kind: 'tick' }, T0);
    expect(d.job.market).toBe('spot');
    expect(launches(d.effects)[0]?.market).toBe('spot');
  });
});

describe('--on-demand-wait', () => {
  test('launch refused for capacity: woken when the wait is over, then on-demand at once', () => {
    const job = refusedAtT0({ onDemandWaitSeconds: 20 });
    expect(job.capacityRefusedSince).toBe(T0.toISOString());
    expect(waitingOnSpotCapacity(job)).toBe(true);

    const before = decide(job, { kind: 'tick' }, at(19));
    expect(launches(before.effects)).toEqual([]);
    expect(nextTimedDecisionMs(before.job, DEFAULT_TIMINGS)).toBe(at(20).getTime());

    const due = decide(job, { kind: 'tick' }, at(20));
    expect(launches(due.effects)).toEqual([{ kind: 'launch', jobId: job.id, attempt: 1, market: 'on-demand', pools: [{ instanceType: 't3.micro' }], clientToken: `${job.id}.1.0.od` }]);
    expect(due.job.market).toBe('on-demand');
    expect(due.job.capacityRefusedSince).toBeUndefined();
    expect(words(due.job)).toContain('running on-demand from now on: no spot capacity in any pool for 20s (--on-demand-wait)');
    expect(waitingOnSpotCapacity(due.job)).toBe(false);
  });

  test('from the first refusal, the job\'s due timer is the end of the wait', () => {
    const due = decide(makeJob({ runAt: T0.toISOString(), spec: { onDemandWaitSeconds: 20 } }), { kind: 'tick' }, T0).job;
    expect(nextTimedDecisionMs(due, DEFAULT_TIMINGS)).toBeUndefined();
    const d = decide(due, noCapacity(), T0);
    expect(nextTimedDecisionMs(d.job, DEFAULT_TIMINGS)).toBe(at(20).getTime());
  });

  test('a refusal seen after the wait switches at once, before the no-capacity give-up', () => {
    const job = refusedAtT0({ onDemandWaitSeconds: 20 });
    const d = decide(job, noCapacity(), at(4000));
    expect(d.job.status).toBe(JobStatus.Requested);
    expect(launches(d.effects)[0]?.market).toBe('on-demand');
  });

  test('a spot request held in capacity-not-available: withdrawn, never adopted, on-demand launched', () => {
    const job = makeJob({ status: JobStatus.Requested, attempt: 1, market: 'spot', requestedAt: T0.toISOString(), spotRequestId: 'sir-1', spec: { onDemandWaitSeconds: 60 } });
    const held: Observation = { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'open', statusCode: 'capacity-not-available' } };
    const early = decide(job, held, at(30));
    expect(launches(early.effects)).toEqual([]);
    expect(nextTimedDecisionMs(early.job, DEFAULT_TIMINGS)).toBe(at(60).getTime());

    const d = decide(early.job, held, at(60));
    expect(d.effects).toContainEqual({ kind: 'cancelSpotRequest', requestId: 'sir-1' });
    expect(launches(d.effects)[0]?.market).toBe('on-demand');
    expect(d.job.abandonedRequestIds).toEqual(['sir-1']);
    expect(d.job.spotRequestId).toBeUndefined();
  });

  test('without it, a capacity refusal never launches on-demand', () => {
    const job = refusedAtT0();
    const d = decide(job, { kind: 'tick' }, at(3000));
    expect(nextTimedDecisionMs(d.job, DEFAULT_TIMINGS)).toBeUndefined();
    expect(launches(d.effects).every((l) => l.market === 'spot')).toBe(true);
  });
});

describe('"Run on-demand"', () => {
  test('while waiting on capacity: the attempt launches on-demand now, and the thread names who asked', () => {
    const job = refusedAtT0();
    const d = decide(job, { kind: 'runOnDemand', by: '<@U123>' }, at(5));
    expect(launches(d.effects)[0]).toMatchObject({ market: 'on-demand', attempt: 1, clientToken: `${job.id}.1.0.od` });
    expect(words(d.job)).toContain('running on-demand from now on: asked by <@U123>');
    // Pressed twice: the second press changes nothing.
    const again = decide(d.job, { kind: 'runOnDemand', by: '<@U123>' }, at(6));
    expect(again.effects).toEqual([]);
  });

  test('ignored when the job is not waiting on capacity (running, launched, ended)', () => {
    for (const job of [running(), makeJob({ status: JobStatus.Requested, attempt: 1, market: 'spot', instanceId: 'i-1' }), makeJob({ status: JobStatus.Succeeded, attempt: 1 })]) {
      const d = decide(job, { kind: 'runOnDemand', by: 'someone' }, at(5));
      expect(d.effects).toEqual([]);
      expect(d.job.market).toBe(job.market);
    }
  });

  test('the spot and on-demand tokens of one attempt differ', () => {
    expect(clientTokenFor('j-1', 1, 0, 'spot')).not.toBe(clientTokenFor('j-1', 1, 0, 'on-demand'));
  });
});

describe('--retries 0 never recovers', () => {
  const causes: [string, Observation, JobOverrides][] = [
    ['instance terminated', terminated, {}],
    ['instance gone from EC2', { kind: 'instance', instance: { instanceId: 'i-1', state: 'missing' } }, { launchedAt: at(-600).toISOString() }],
    ['instance stopped', { kind: 'instance', instance: { instanceId: 'i-1', state: 'stopped' } }, {}],
    ['spot reclaimed', { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode: 'instance-terminated-no-capacity' } }, { spotRequestId: 'sir-1' }],
    ['terminated outside Sched', { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode: 'instance-terminated-by-user' } }, { spotRequestId: 'sir-1' }],
    ['launch timeout', { kind: 'tick' }, { status: JobStatus.Launching, startedAt: undefined, launchedAt: at(-3600).toISOString() }],
    ['retry-exit code', { kind: 'agent', status: 'finished', attempt: 1, exitCode: 137 }, { spec: { interruptionsTolerated: 0, retryExitCodes: [137] } }],
  ];
  test.each(causes)('%s: failed, no new attempt', (_name, obs, over) => {
    const job = running({ spec: { interruptionsTolerated: 0, onDemandAfter: 0 }, ...over });
    const d = decide(job, obs, at(1));
    expect(d.job.status).toBe(JobStatus.Failed);
    expect(d.job.attempt).toBe(1);
    expect(launches(d.effects)).toEqual([]);
  });
});

describe('--retry-exit CODES', () => {
  const finished = (exitCode: number, attempt = 1): Observation => ({ kind: 'agent', status: 'finished', attempt, exitCode, logTail: 'Killed\n' });

  test('a listed code starts a new attempt, counted as an interruption, said in the thread', () => {
    const job = running({ spec: { retryExitCodes: [137, 143] } });
    const d = decide(job, finished(137), at(60));
    expect(d.job.status).toBe(JobStatus.Requested);
    expect(d.job.attempt).toBe(2);
    expect(d.job.interruptions).toBe(1);
    expect(d.job.exitCode).toBeUndefined();
    expect(d.effects).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    expect(launches(d.effects)).toHaveLength(1);
    expect(words(d.job)).toContain('attempt 1 interrupted: the container exited with code 137, which --retry-exit retries; requesting a new instance (attempt 2)');
  });

  test('an unlisted code fails the job as before', () => {
    const d = decide(running({ spec: { retryExitCodes: [137] } }), finished(1), at(60));
    expect(d.job.status).toBe(JobStatus.Failed);
    expect(d.job.endReason).toEqual({ reason: 'exit-code', exitCode: 1 });
  });

  test('retries spent: the job fails with the exit code', () => {
    const job = running({ interruptions: 2, attempt: 3, spec: { interruptionsTolerated: 2, retryExitCodes: [137] } });
    const d = decide(job, finished(137, 3), at(60));
    expect(d.job.status).toBe(JobStatus.Failed);
    expect(d.job.endReason).toEqual({ reason: 'exit-code', exitCode: 137 });
    expect(jobReason(d.job)).toBe('the container exited with code 137');
    expect(launches(d.effects)).toEqual([]);
  });

  test('exit 0 always succeeds', () => {
    expect(decide(running({ spec: { retryExitCodes: [137] } }), finished(0), at(60)).job.status).toBe(JobStatus.Succeeded);
  });

  test('with --on-demand-after, a retried exit counts as an interruption', () => {
    const d = decide(running({ spec: { retryExitCodes: [137], onDemandAfter: 1 } }), finished(137), at(60));
    expect(launches(d.effects)[0]?.market).toBe('on-demand');
  });
});

test('the words of a retry-exit interruption', () => {
  const cause: InterruptionCause = { cause: 'retry-exit', exitCode: 143 };
  expect(describeEvent({ at: T0.toISOString(), kind: 'interrupted', attempt: 2, compute: 'ec2', interruption: cause })).toBe(
    'attempt 2 interrupted: the container exited with code 143, which --retry-exit retries; requesting a new instance (attempt 3)',
  );
});

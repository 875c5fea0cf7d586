import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { isTerminal, JobStatus, MAX_EVENTS, type Job, type JobStatus as Status } from '../../../bot/core/job.js';
import { decide, DEFAULT_TIMINGS } from '../../../bot/core/lifecycle/lifecycle.js';
import { nextTimedDecisionMs } from '../../../bot/core/lifecycle/deadlines.js';
import { describeEvent, jobReason } from '../../../bot/core/view/event-words.js';
import type { Effect, InstanceState, Observation } from '../../../bot/core/lifecycle/observation.js';
import { SPOT_STATUS_TABLE } from '../../../bot/core/lifecycle/spot-status.js';
import { makeJob } from '../../harness/jobs.js';
import { propertySeeds } from '../../harness/property-seed.js';

const T0 = new Date('2026-01-15T10:05:00.000Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const kinds = (effects: Effect[]) => effects.map((e) => e.kind);

/** Feeds observations in order, each `step` seconds apart; returns every decision. */
function run(job: Job, observations: Observation[], step = 1) {
  let current = job;
  const all: { job: Job; effects: Effect[] }[] = [];
  observations.forEach((obs, i) => {
    const d = decide(current, obs, at(i * step));
    current = d.job;
    all.push(d);
  });
  return { job: current, decisions: all, effects: all.flatMap((d) => d.effects) };
}

const requested = (over: Partial<Job> = {}) =>
  makeJob({ status: JobStatus.Requested, attempt: 1, requestedAt: T0.toISOString(), spotRequestId: 'sir-1', ...over });
const running = (over: Partial<Job> = {}) =>
  makeJob({
    status: JobStatus.Running,
    attempt: 1,
    spotRequestId: 'sir-1',
    instanceId: 'i-1',
    requestedAt: T0.toISOString(),
    launchedAt: T0.toISOString(),
    startedAt: T0.toISOString(),
    ...over,
  });

describe('decide: the happy path', () => {
  test('scheduled → requested when due, not before', () => {
    const job = makeJob({ runAt: at(60).toISOString() });
    expect(decide(job, { kind: 'tick' }, at(59)).job.status).toBe(JobStatus.Scheduled);
    const d = decide(job, { kind: 'tick' }, at(60));
    expect(d.job.status).toBe(JobStatus.Requested);
    expect(d.job.attempt).toBe(1);
    expect(d.effects).toContainEqual({ kind: 'launch', jobId: job.id, attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], clientToken: `${job.id}.1.0` });
  });

  test('requested → launching → running → succeeded, with terminate and callback', () => {
    const job = makeJob({ spec: { callbackUrl: 'https://example.com/cb' } });
    const r = run(job, [
      { kind: 'tick' },
      { kind: 'spotRequested', attempt: 1, requestId: 'sir-1' },
      { kind: 'spot', request: { requestId: 'sir-1', jobId: job.id, attempt: 1, state: 'active', statusCode: 'fulfilled', instanceId: 'i-1' } },
      { kind: 'agent', status: 'started', attempt: 1 },
      { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0, logTail: 'done\n' },
    ]);
    expect(r.decisions.map((d) => d.job.status)).toEqual(['requested', 'requested', 'launching', 'running', 'succeeded']);
    expect(r.job).toMatchObject({ exitCode: 0, logTail: 'done\n', instanceId: 'i-1', callback: { state: 'pending', attempts: 0 } });
    const last = r.decisions.at(-1)!.effects;
    expect(last).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    expect(last).toContainEqual(expect.objectContaining({ kind: 'sendCallback', url: 'https://example.com/cb', tryNumber: 1 }));
    expect(r.job.cleanedUp).toBe(false);
  });

  test('a non-zero exit fails the job with the code', () => {
    const d = decide(running(), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 3 }, at(10));
    expect(d.job).toMatchObject({ status: 'failed', exitCode: 3 });
    expect(jobReason(d.job)).toBe('the container exited with code 3');
  });

  test('a terminal job is cleaned up once its instance is seen terminated', () => {
    const done = decide(running(), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(10)).job;
    const seen = decide(done, { kind: 'instance', instance: { instanceId: 'i-1', jobId: done.id, attempt: 1, state: 'terminated' } }, at(20));
    expect(seen.job.cleanedUp).toBe(true);
    const stillUp = decide(done, { kind: 'instance', instance: { instanceId: 'i-1', jobId: done.id, attempt: 1, state: 'running' } }, at(20));
    expect(stillUp.effects).toEqual([{ kind: 'terminateInstance', instanceId: 'i-1' }]);
  });
});

describe('decide: interruptions and retries', () => {
  test('an instance terminated under a running job starts attempt 2', () => {
    const job = running();
    const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'terminated' } }, at(5));
    expect(d.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1 });
    expect(d.job.instanceId).toBeUndefined();
    expect(kinds(d.effects)).toEqual(expect.arrayContaining(['cancelSpotRequest', 'terminateInstance', 'launch']));
  });

  test('retries spent → failed', () => {
    const job = running({ interruptions: 3, attempt: 4, spec: { interruptionsTolerated: 3 } as Job['spec'] });
    const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 4, state: 'missing' } }, at(600));
    expect(d.job.status).toBe('failed');
    expect(jobReason(d.job)).toMatch(/retries spent/);
    expect(kinds(d.effects)).not.toContain('launch');
  });

  test('--retries 0 fails on the first interruption', () => {
    const job = running({ spec: { interruptionsTolerated: 0 } as Job['spec'] });
    const d = decide(job, { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode: 'instance-terminated-no-capacity' } }, at(5));
    expect(d.job.status).toBe('failed');
  });

  test('retries spent: the attempt is released and its cost counted once, not once per step', () => {
    const job = running({ pricePerHour: 3.6, spec: { interruptionsTolerated: 0 } as Job['spec'] });
    const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'terminated' } }, at(600));
    expect(d.job).toMatchObject({ status: 'failed', interruptions: 1, costUsd: 0.6, cleanedUp: true });
    expect(kinds(d.effects).filter((k) => k !== 'notify')).toEqual(['cancelSpotRequest', 'terminateInstance']);
  });

  test('a vanished request with --retries 0: failed, cleaned up and withdrawn once; seen again, nothing more', () => {
    const job = requested({ spec: { interruptionsTolerated: 0 } as Job['spec'] });
    const missing: Observation = { kind: 'spot', request: { requestId: 'sir-1', jobId: job.id, attempt: 1, state: 'missing' } };
    const once = decide(job, missing, at(DEFAULT_TIMINGS.requestVisibilityGraceSeconds));
    expect(once.job).toMatchObject({ status: 'failed', cleanedUp: true });
    expect(kinds(once.effects).filter((k) => k !== 'notify')).toEqual(['cancelSpotRequest']);
    const twice = decide(once.job, missing, at(DEFAULT_TIMINGS.requestVisibilityGraceSeconds));
    expect(twice).toEqual({ job: once.job, effects: [] });
  });

  test('a request ended by someone else (terminated-by-user) loses the container: an interruption', () => {
    for (const statusCode of ['instance-terminated-by-user', 'spot-instance-terminated-by-user', 'canceled-before-fulfillment']) {
      const job = running();
      const d = decide(job, { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode } }, at(5));
      expect(d.job, statusCode).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1 });
      const event = d.job.events.find((e) => e.kind === 'interrupted');
      expect(event && describeEvent(event), statusCode).toBe(`attempt 1 interrupted: spot ${statusCode} outside Sched; requesting a new instance (attempt 2)`);
    }
  });

  test('terminated-by-user after Sched itself ended the job is the expected end: cleaned up, nothing more', () => {
    const done = decide(running(), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(10)).job;
    const seen = decide(done, { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode: 'instance-terminated-by-user', instanceId: 'i-1' } }, at(20));
    expect(seen.job.status).toBe('succeeded');
    expect(seen.effects).toEqual([]);
  });

  test('the notice alone does not interrupt: the container may still finish', () => {
    const job = running({ spec: { interruptionsTolerated: 0 } as Job['spec'] });
    const d = decide(job, { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'active', statusCode: 'marked-for-termination' } }, at(5));
    expect(d.job.status).toBe('running');
    expect(d.job.interruptionNoticeAt).toBe(at(5).toISOString());
    expect(decide(d.job, { kind: 'agent', status: 'interrupting', attempt: 1 }, at(6)).effects).toEqual([]);
  });

  test('a rebalance recommendation is recorded once per live attempt, as a warning that changes nothing else', () => {
    for (const job of [running(), running({ status: JobStatus.Launching, startedAt: undefined }), requested()]) {
      const d = decide(job, { kind: 'agent', status: 'rebalance', attempt: 1 }, at(5));
      const { events, updatedAt, ...rest } = d.job;
      const { events: before, updatedAt: _was, ...unchanged } = job;
      expect(rest, job.status).toEqual(unchanged);
      expect(events.slice(before.length)).toEqual([{ kind: 'rebalance-recommended', attempt: 1, at: at(5).toISOString() }]);
      expect(d.effects).toEqual([{ kind: 'notify', jobId: job.id, event: events.at(-1) }]);
      expect(updatedAt).toBe(at(5).toISOString());
      // Repeats (the agent retries, a redelivery) change nothing.
      expect(decide(d.job, { kind: 'agent', status: 'rebalance', attempt: 1 }, at(6))).toEqual({ job: d.job, effects: [] });
    }
  });

  test('a rebalance recommendation of another attempt, or for a job that has ended, is ignored; a later attempt gets its own', () => {
    const warned = decide(running(), { kind: 'agent', status: 'rebalance', attempt: 1 }, at(5)).job;
    expect(decide(running(), { kind: 'agent', status: 'rebalance', attempt: 2 }, at(5)).effects).toEqual([]);
    const done = decide(running(), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(5)).job;
    expect(decide(done, { kind: 'agent', status: 'rebalance', attempt: 1 }, at(6)).effects).toEqual([]);
    const second = { ...warned, attempt: 2 };
    const d = decide(second, { kind: 'agent', status: 'rebalance', attempt: 2 }, at(7));
    expect(d.job.events.filter((e) => e.kind === 'rebalance-recommended')).toEqual([
      { kind: 'rebalance-recommended', attempt: 1, at: at(5).toISOString() },
      { kind: 'rebalance-recommended', attempt: 2, at: at(7).toISOString() },
    ]);
  });

  test('a launch that never starts the container is given up after the launch timeout', () => {
    const job = running({ status: JobStatus.Launching, startedAt: undefined });
    expect(decide(job, { kind: 'tick' }, at(DEFAULT_TIMINGS.launchTimeoutSeconds - 1)).job.status).toBe('launching');
    expect(decide(job, { kind: 'tick' }, at(DEFAULT_TIMINGS.launchTimeoutSeconds)).job).toMatchObject({ status: 'requested', attempt: 2 });
  });

  test('the container time limit fails the job: on EC2 after a grace for the agent\'s own report, locally at the deadline', () => {
    const job = running({ spec: { ...makeJob().spec, timeoutSeconds: 60 } });
    expect(decide(job, { kind: 'tick' }, at(60 + DEFAULT_TIMINGS.timeoutGraceSeconds - 1)).job.status).toBe('running');
    expect(decide(job, { kind: 'tick' }, at(60 + DEFAULT_TIMINGS.timeoutGraceSeconds)).job.status).toBe('failed');
    expect(nextTimedDecisionMs(job, DEFAULT_TIMINGS)).toBe(at(60 + DEFAULT_TIMINGS.timeoutGraceSeconds).getTime());
    const local = { ...job, compute: 'local' as const };
    expect(decide(local, { kind: 'tick' }, at(59)).job.status).toBe('running');
    expect(nextTimedDecisionMs(local, DEFAULT_TIMINGS)).toBe(at(60).getTime());
    const d = decide(local, { kind: 'tick' }, at(60));
    expect(d.job).toMatchObject({ status: 'failed' });
    expect(jobReason(d.job)).toBe('timed out after 60 s');
    expect(d.effects).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
  });

  test('the agent\'s timed-out finished ends the job as a timeout, its run time the agent\'s own', () => {
    const job = running({ spec: { ...makeJob().spec, timeoutSeconds: 60 } });
    // The report arrives 200 s after the start (the bot was down): the container ran 61 s.
    const d = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 143, logTail: 'bye', timedOut: true, ranSeconds: 61 }, at(200));
    expect(d.job).toMatchObject({ status: 'failed', endReason: { reason: 'timeout', seconds: 60 }, exitCode: 143, logTail: 'bye', startedAt: at(139).toISOString(), finishedAt: at(200).toISOString() });
    expect(d.job.events.at(-1)).toMatchObject({ kind: 'failed', ranSeconds: 61 });
    const ok = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0, ranSeconds: 30 }, at(200));
    expect(ok.job.events.at(-1)).toMatchObject({ kind: 'succeeded', ranSeconds: 30 });
  });

  test('a started reported late counts from when the agent started, not from the report', () => {
    const job = running({ status: JobStatus.Launching, startedAt: undefined, spec: { ...makeJob().spec, timeoutSeconds: 60 } });
    const d = decide(job, { kind: 'agent', status: 'started', attempt: 1, ranSeconds: 45 }, at(100));
    expect(d.job).toMatchObject({ status: 'running', startedAt: at(55).toISOString() });
    expect(nextTimedDecisionMs(d.job, { ...DEFAULT_TIMINGS, timeoutGraceSeconds: 0 })).toBe(at(115).getTime());
    expect(nextTimedDecisionMs(job, DEFAULT_TIMINGS)).toBe(at(DEFAULT_TIMINGS.launchTimeoutSeconds).getTime());
  });

  test('an old attempt\'s notification or instance changes nothing', () => {
    const job = running({ attempt: 2 });
    expect(decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(1)).job).toEqual(job);
    expect(decide(job, { kind: 'instance', instance: { instanceId: 'i-0', jobId: job.id, attempt: 1, state: 'terminated' } }, at(1)).job).toEqual(job);
  });
});

describe('decide: replacement on the two-minute notice', () => {
  const notice: Observation = { kind: 'agent', status: 'interrupting', attempt: 1 };
  const words = (job: Job, kind: string) => job.events.filter((e) => e.kind === kind).map(describeEvent);
  const actions = (effects: Effect[]) => effects.filter((e) => e.kind !== 'notify');
  const live = (over: Partial<Job> = {}) => running({ instanceType: 'm7g.large', zone: 'us-west-2a', pricePerHour: 3.6, ...over });
  /** Attempt 1 given the notice at 600 s, attempt 2 launched in us-west-2b at once. */
  const replaced = (over: Partial<Job> = {}) => {
    const noticed = decide(live(over), notice, at(600)).job;
    return decide(noticed, { kind: 'spotRequested', attempt: 2, requestId: 'sir-2', instanceId: 'i-2', pool: { instanceType: 'm7g.large', zone: 'us-west-2b' }, pricePerHour: 1.8 }, at(601)).job;
  };

  test('the notice launches the next attempt at once, keeps the old instance working, and counts the interruption and its cost', () => {
    for (const status of [JobStatus.Running, JobStatus.Launching]) {
      const job = live({ status, ...(status === JobStatus.Launching && { startedAt: undefined }) });
      const d = decide(job, notice, at(600));
      expect(d.job, status).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1, costUsd: 0.6 });
      expect(d.job.draining).toEqual({ attempt: 1, instanceId: 'i-1', spotRequestId: 'sir-1', instanceType: 'm7g.large', zone: 'us-west-2a', pricePerHour: 3.6, noticeAt: at(600).toISOString(), cause: 'notice', deadlineAt: at(750).toISOString() });
      // Nothing of attempt 1 is released: AWS takes it when it will.
      expect(actions(d.effects)).toEqual([
        { kind: 'launch', jobId: job.id, attempt: 2, market: 'spot', pools: [{ instanceType: 't3.micro' }], avoid: [{ instanceType: 'm7g.large', zone: 'us-west-2a' }], clientToken: `${job.id}.2.0` },
      ]);
      expect(words(d.job, 'replacing')).toEqual([
        'AWS gave the two-minute notice for attempt 1; launching a replacement now (attempt 2, interruption 1 of 3 tolerated) while attempt 1 works on until AWS takes it',
      ]);
    }
    const launched = replaced();
    expect(launched).toMatchObject({ instanceId: 'i-2', zone: 'us-west-2b', draining: { attempt: 1, instanceId: 'i-1' } });
    expect(words(launched, 'replacement-launched')).toEqual(['AWS gave the two-minute notice; replacement launched in m7g.large (us-west-2b) (attempt 2) while attempt 1 works on']);
  });

  test('a request that is both the draining attempt\'s and the one the job ends with is cancelled once', () => {
    // Found by the property below (seed 799176324): the replacement's request shows up under the
    // draining attempt's id, held for capacity with the retries spent.
    const noticed = decide(live({ interruptions: 2, instanceId: undefined }), notice, at(600)).job;
    const held = decide(noticed, { kind: 'spot', request: { requestId: 'sir-1', attempt: 2, state: 'open', statusCode: 'instance-hibernated-no-capacity' } }, at(600));
    expect(held.job.status).toBe('failed');
    expect(actions(held.effects)).toEqual([{ kind: 'cancelSpotRequest', requestId: 'sir-1' }]);
  });

  test('with no retries left (--retries 0, or spent) the notice is only recorded; the instance going fails the job', () => {
    for (const job of [live({ spec: { interruptionsTolerated: 0 } as Job['spec'] }), live({ attempt: 3, interruptions: 2, spec: { interruptionsTolerated: 2 } as Job['spec'] })]) {
      const attempt = job.attempt;
      const d = decide(job, { kind: 'agent', status: 'interrupting', attempt }, at(600));
      expect(d.job).toMatchObject({ status: 'running', attempt, interruptions: job.interruptions, interruptionNoticeAt: at(600).toISOString() });
      expect(d.job.draining).toBeUndefined();
      expect(actions(d.effects)).toEqual([]);
      // It may still finish...
      expect(decide(d.job, { kind: 'agent', status: 'finished', attempt, exitCode: 0 }, at(650)).job.status).toBe('succeeded');
      // ...or be taken, as today.
      const gone = decide(d.job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt, state: 'terminated' } }, at(720));
      expect(gone.job.status).toBe('failed');
      expect(jobReason(gone.job)).toMatch(/retries spent/);
    }
  });

  test('the old attempt finishing after all ends the job once with its exit code, stops the replacement, sends one callback', () => {
    for (const exitCode of [0, 3]) {
      const job = replaced({ spec: { callbackUrl: 'https://example.com/cb' } as Job['spec'] });
      const d = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode, logTail: 'done\n' }, at(660));
      expect(d.job).toMatchObject({ status: exitCode === 0 ? 'succeeded' : 'failed', exitCode, logTail: 'done\n', attempt: 2 });
      expect(d.job.draining).toBeUndefined();
      const acts = actions(d.effects);
      expect(acts).toEqual(expect.arrayContaining([
        { kind: 'terminateInstance', instanceId: 'i-1' },
        { kind: 'cancelSpotRequest', requestId: 'sir-1' },
        { kind: 'terminateInstance', instanceId: 'i-2' },
        { kind: 'cancelSpotRequest', requestId: 'sir-2' },
      ]));
      expect(acts.filter((e) => e.kind === 'sendCallback')).toHaveLength(1);
      expect(words(d.job, 'finished-after-all')).toEqual([`attempt 1 finished after all (exit ${exitCode}); replacement stopped`]);
      // The replacement's later reports find the job ended: nothing more, no second callback.
      for (const late of [{ status: 'started' }, { status: 'finished', exitCode: 0 }, { status: 'interrupting' }] as const) {
        const again = decide(d.job, { kind: 'agent', attempt: 2, ...late }, at(700));
        expect(again).toEqual({ job: d.job, effects: [] });
      }
      // A repeat of the old attempt's report is not acted on twice.
      expect(actions(decide(d.job, { kind: 'agent', status: 'finished', attempt: 1, exitCode }, at(700)).effects)).toEqual([]);
    }
  });

  test('the old attempt exiting with a --retry-exit code lets the replacement be that retry', () => {
    const job = replaced({ spec: { retryExitCodes: [137] } as Job['spec'] });
    const d = decide(job, { kind: 'agent', status: 'finished', attempt: 1, exitCode: 137 }, at(660));
    expect(d.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1 });
    expect(d.job.draining).toBeUndefined();
    expect(actions(d.effects)).toEqual([{ kind: 'cancelSpotRequest', requestId: 'sir-1' }, { kind: 'terminateInstance', instanceId: 'i-1' }]);
    expect(words(d.job, 'drain-released')).toEqual(["attempt 1's instance i-1 terminated: its container exited with a --retry-exit code, and the replacement is that retry"]);
  });

  test("the draining attempt's time after the notice goes on its own attempt record", () => {
    const d = decide(replaced(), { kind: 'agent', status: 'started', attempt: 2 }, at(660));
    expect(d.job.attemptCosts).toEqual([expect.objectContaining({ attempt: 1, seconds: 600 + 60, costUsd: 0.66, pricePerHour: 3.6 })]);
  });

  test("the job's due timer fires at the drain deadline", () => {
    const job = replaced();
    expect(nextTimedDecisionMs(job, DEFAULT_TIMINGS)).toBe(at(600 + DEFAULT_TIMINGS.drainDeadlineSeconds).getTime());
  });

  test('the notice seen on the spot request (marked-for-termination) replaces at once too', () => {
    const job = live();
    const d = decide(job, { kind: 'spot', request: { requestId: 'sir-1', jobId: job.id, attempt: 1, state: 'active', statusCode: 'marked-for-termination', instanceId: 'i-1' } }, at(600));
    expect(d.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1, draining: { attempt: 1, instanceId: 'i-1', cause: 'notice' } });
    expect(actions(d.effects).map((e) => e.kind)).toEqual(['launch']);
    // The agent's report of the same notice then changes nothing more.
    expect(actions(decide(d.job, notice, at(605)).effects)).toEqual([]);
  });

  test("the old attempt's other reports change nothing", () => {
    const job = replaced();
    for (const status of ['started', 'rebalance', 'interrupting'] as const) {
      expect(decide(job, { kind: 'agent', status, attempt: 1 }, at(620)), status).toEqual({ job, effects: [] });
    }
  });

  test("the replacement's `started` terminates the draining instance and pays its time since the notice", () => {
    const job = replaced();
    const d = decide(job, { kind: 'agent', status: 'started', attempt: 2 }, at(660));
    expect(d.job).toMatchObject({ status: 'running', attempt: 2, costUsd: 0.66 });
    expect(d.job.draining).toBeUndefined();
    expect(actions(d.effects)).toEqual([{ kind: 'cancelSpotRequest', requestId: 'sir-1' }, { kind: 'terminateInstance', instanceId: 'i-1' }]);
    expect(words(d.job, 'drain-released')).toEqual(["attempt 1's instance i-1 terminated: the replacement has started"]);
  });

  test('the draining instance seen gone is forgotten (nothing to terminate); seen stopped, it is terminated', () => {
    const job = replaced();
    for (const state of ['terminated', 'shutting-down', 'missing'] as const) {
      const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state } }, at(700));
      expect(d.job.draining, state).toBeUndefined();
      expect(d.job.status).toBe('requested');
      expect(actions(d.effects)).toEqual([{ kind: 'cancelSpotRequest', requestId: 'sir-1' }]);
      expect(words(d.job, 'drain-released')).toEqual(["attempt 1's instance i-1 is gone (AWS took it)"]);
    }
    const stopped = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'stopped' } }, at(700));
    expect(actions(stopped.effects)).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    // Still running: nothing to do.
    expect(decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'running' } }, at(700))).toEqual({ job, effects: [] });
  });

  test('150 s after the notice the draining instance is terminated as a backstop, its time paid up to then only', () => {
    const job = replaced();
    expect(decide(job, { kind: 'tick' }, at(600 + 149)).job.draining).toBeDefined();
    const d = decide(job, { kind: 'tick' }, at(600 + DEFAULT_TIMINGS.drainDeadlineSeconds));
    expect(d.job.draining).toBeUndefined();
    expect(actions(d.effects)).toEqual([{ kind: 'cancelSpotRequest', requestId: 'sir-1' }, { kind: 'terminateInstance', instanceId: 'i-1' }]);
    expect(words(d.job, 'drain-released')).toEqual(["attempt 1's instance i-1 terminated: AWS's two-minute deadline has passed"]);
    // Seen gone much later: the time after the deadline is not charged.
    const late = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'terminated' } }, at(2000));
    expect(late.job.costUsd).toBeCloseTo(0.6 + 0.15, 6);
  });

  test('the job ending otherwise (cancel, the replacement finishing) also terminates the draining instance', () => {
    const job = replaced();
    for (const obs of [{ kind: 'cancel', by: 'U1' }, { kind: 'agent', status: 'finished', attempt: 2, exitCode: 0 }] as Observation[]) {
      const d = decide(job, obs, at(700));
      expect(d.job.draining).toBeUndefined();
      expect(actions(d.effects)).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    }
  });

  test('a replacement given the notice in turn is replaced too; the older draining instance is terminated', () => {
    const job = replaced();
    const d = decide(job, { kind: 'agent', status: 'interrupting', attempt: 2 }, at(700));
    expect(d.job).toMatchObject({ attempt: 3, interruptions: 2, draining: { attempt: 2, instanceId: 'i-2' } });
    expect(actions(d.effects)).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    expect(actions(d.effects)).not.toContainEqual({ kind: 'terminateInstance', instanceId: 'i-2' });
  });

  test('--on-rebalance replace: a rebalance recommendation replaces too, without a deadline; the default only warns', () => {
    const warn = decide(live(), { kind: 'agent', status: 'rebalance', attempt: 1 }, at(600));
    expect(warn.job).toMatchObject({ status: 'running', attempt: 1 });
    expect(actions(warn.effects)).toEqual([]);

    const job = live({ spec: { onRebalance: 'replace' } as Job['spec'] });
    const d = decide(job, { kind: 'agent', status: 'rebalance', attempt: 1 }, at(600));
    expect(d.job).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1, draining: { attempt: 1, cause: 'rebalance', instanceId: 'i-1' } });
    expect(d.job.draining?.deadlineAt).toBeUndefined();
    expect(words(d.job, 'replacing')).toEqual([
      "AWS recommends moving off attempt 1's instance (rebalance recommendation); launching a replacement now (attempt 2, interruption 1 of 3 tolerated) while attempt 1 works on",
    ]);
    // No deadline: still draining long after.
    expect(decide(d.job, { kind: 'tick' }, at(6000)).job.draining).toBeDefined();
    // Its notice, later, sets one.
    const noticed = decide(d.job, notice, at(700)).job;
    expect(noticed).toMatchObject({ attempt: 2, draining: { cause: 'rebalance', deadlineAt: at(850).toISOString() } });
    // The replacement starting lets it go.
    const started = decide(d.job, { kind: 'agent', status: 'started', attempt: 2 }, at(900));
    expect(actions(started.effects)).toContainEqual({ kind: 'terminateInstance', instanceId: 'i-1' });
    // With no retries left, only the warning.
    const spent = decide(live({ spec: { onRebalance: 'replace', interruptionsTolerated: 0 } as Job['spec'] }), { kind: 'agent', status: 'rebalance', attempt: 1 }, at(600));
    expect(spent.job).toMatchObject({ status: 'running', attempt: 1 });
    expect(spent.job.events.at(-1)).toMatchObject({ kind: 'rebalance-recommended' });
  });
});

describe('decide: spot requests', () => {
  test('capacity: tell once, then fall back to the next instance type', () => {
    const job = requested({ spec: { instanceTypes: ['m7g.large', 'm6g.large'] } as Job['spec'] });
    const obs: Observation = { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'open', statusCode: 'capacity-not-available' } };
    const first = decide(job, obs, at(10));
    expect(first.job.status).toBe('requested');
    expect(first.effects.filter((e) => e.kind === 'notify')).toHaveLength(1);
    expect(decide(first.job, obs, at(20)).effects).toEqual([]);
    const later = decide(first.job, obs, at(DEFAULT_TIMINGS.capacityFallbackSeconds));
    expect(later.job).toMatchObject({ instanceTypeIndex: 1, abandonedRequestIds: ['sir-1'], attempt: 1 });
    expect(later.effects).toContainEqual({ kind: 'cancelSpotRequest', requestId: 'sir-1' });
    expect(later.effects).toContainEqual(expect.objectContaining({ kind: 'launch', pools: [{ instanceType: 'm6g.large' }], attempt: 1 }));
    // The abandoned request is never adopted again.
    expect(decide(later.job, obs, at(DEFAULT_TIMINGS.capacityFallbackSeconds + 1)).job.spotRequestId).toBeUndefined();
  });

  test('every pool refused for capacity: say which, retry them all on a later tick, fail when none can be had for long', () => {
    const job = requested({ spotRequestId: undefined, spec: { instanceTypes: ['m7g.large', 'm6g.large'] } as Job['spec'] });
    const refused: Observation = {
      kind: 'spotRequestFailed',
      attempt: 1,
      code: 'InsufficientInstanceCapacity',
      message: 'no spot capacity in m7g.large/us-west-2a, m6g.large/us-west-2a',
      permanent: false,
      capacity: true,
      refused: [
        { instanceType: 'm7g.large', zone: 'us-west-2a', subnetId: 'subnet-1' },
        { instanceType: 'm6g.large', zone: 'us-west-2a', subnetId: 'subnet-1' },
      ],
    };
    const first = decide(job, refused, at(0));
    expect(first.job).toMatchObject({ status: 'requested', instanceTypeIndex: 0, capacityRefusedSince: at(0).toISOString() });
    const said = first.job.events.at(-1)!;
    expect(said).toMatchObject({ kind: 'waiting', wait: 'pools-refused', retryInSeconds: DEFAULT_TIMINGS.requestRetrySeconds });
    expect(describeEvent(said)).toBe(`no spot capacity in m7g.large (us-west-2a), m6g.large (us-west-2a); trying again in ${DEFAULT_TIMINGS.requestRetrySeconds} s`);
    // The next try launches every type again (the fleet walks all their pools), said once.
    const retried = decide(first.job, { kind: 'tick' }, at(DEFAULT_TIMINGS.requestRetrySeconds));
    expect(retried.effects).toContainEqual(expect.objectContaining({ kind: 'launch', pools: [{ instanceType: 'm7g.large' }, { instanceType: 'm6g.large' }] }));
    const again = decide(retried.job, refused, at(DEFAULT_TIMINGS.requestRetrySeconds));
    expect(again.effects).toEqual([]);
    expect(again.job.capacityRefusedSince).toBe(at(0).toISOString());
    const gaveUp = decide(again.job, refused, at(DEFAULT_TIMINGS.capacityGiveUpSeconds));
    expect(gaveUp.job.status).toBe('failed');
    expect(jobReason(gaveUp.job)).toContain('EC2 could not place any of the instance types (m7g.large, m6g.large): InsufficientInstanceCapacity');
  });

  test('a launch lists every remaining instance type; the words name them', () => {
    const job = makeJob({ spec: { instanceTypes: ['m7g.medium', 'm6g.medium', 't4g.medium'] } });
    const d = decide(job, { kind: 'tick' }, at(0));
    expect(d.effects).toContainEqual(
      expect.objectContaining({ kind: 'launch', pools: [{ instanceType: 'm7g.medium' }, { instanceType: 'm6g.medium' }, { instanceType: 't4g.medium' }] }),
    );
    expect(describeEvent(d.job.events.at(-1)!)).toBe('spot request issued for m7g.medium, m6g.medium, t4g.medium (attempt 1)');
  });

  test('launched without a spot request: instance, type, zone and price recorded at once, no relaunch on tick', () => {
    const job = requested({ spotRequestId: undefined, spec: { instanceTypes: ['m7g.medium', 'm6g.medium'] } as Job['spec'] });
    const launched = decide(
      job,
      { kind: 'spotRequested', attempt: 1, instanceId: 'i-7', pool: { instanceType: 'm6g.medium', zone: 'us-west-2b', subnetId: 'subnet-2' }, pricePerHour: 0.0123 },
      at(1),
    );
    expect(launched.job).toMatchObject({ instanceId: 'i-7', instanceType: 'm6g.medium', zone: 'us-west-2b', pricePerHour: 0.0123 });
    expect(launched.job.spotRequestId).toBeUndefined();
    expect(launched.job.events.filter((e) => 'wait' in e && e.wait === 'pools-refused')).toEqual([]);
    // Long after the retry interval: the instance is known, so nothing is launched again.
    expect(kinds(decide(launched.job, { kind: 'tick' }, at(10 * DEFAULT_TIMINGS.requestRetrySeconds)).effects)).not.toContain('launch');
    // Before the change the job relaunched here: the same observation twice changes nothing.
    expect(decide(launched.job, { kind: 'spotRequested', attempt: 1, instanceId: 'i-7', pool: { instanceType: 'm6g.medium', zone: 'us-west-2b' } }, at(2)).job).toEqual(launched.job);
    const seen = decide(launched.job, { kind: 'instance', instance: { instanceId: 'i-7', jobId: job.id, attempt: 1, state: 'running', zone: 'us-west-2b' } }, at(3));
    expect(seen.job.status).toBe('launching');
  });

  test('launched after pools refused: one event says where it had no capacity and where it went instead', () => {
    const job = requested({ spotRequestId: undefined });
    const d = decide(
      job,
      {
        kind: 'spotRequested',
        attempt: 1,
        instanceId: 'i-8',
        requestId: 'sir-8',
        pool: { instanceType: 'm6g.medium', zone: 'us-west-2b', subnetId: 'subnet-2' },
        refused: [
          { instanceType: 'm7g.medium', zone: 'us-west-2a', subnetId: 'subnet-1' },
          { instanceType: 'm7g.medium', zone: 'us-west-2b', subnetId: 'subnet-2' },
        ],
      },
      at(1),
    );
    expect(d.job).toMatchObject({ spotRequestId: 'sir-8', instanceId: 'i-8' });
    const events = d.job.events.filter((e) => 'wait' in e && e.wait === 'pools-refused');
    expect(events).toHaveLength(1);
    expect(describeEvent(events[0]!)).toBe('no spot capacity in m7g.medium (us-west-2a), m7g.medium (us-west-2b); launched in m6g.medium (us-west-2b) instead');
    expect(d.effects.filter((e) => e.kind === 'notify')).toHaveLength(1);
  });

  test('the attempt after an interruption avoids the interrupted pool', () => {
    const job = running({ instanceType: 'm7g.medium', zone: 'us-west-2a', spec: { instanceTypes: ['m7g.medium', 'm6g.medium'] } as Job['spec'] });
    const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-1', jobId: job.id, attempt: 1, state: 'terminated' } }, at(10));
    expect(d.job).toMatchObject({ attempt: 2, status: 'requested', avoidPools: [{ instanceType: 'm7g.medium', zone: 'us-west-2a' }] });
    expect(d.job.zone).toBeUndefined();
    expect(d.effects).toContainEqual(expect.objectContaining({ kind: 'launch', attempt: 2, avoid: [{ instanceType: 'm7g.medium', zone: 'us-west-2a' }] }));
    // A retry of that launch avoids it too; a fresh due attempt (a new job) avoids nothing.
    const retried = decide({ ...d.job, requestedAt: at(10).toISOString() }, { kind: 'tick' }, at(10 + DEFAULT_TIMINGS.requestRetrySeconds));
    expect(retried.effects).toContainEqual(expect.objectContaining({ kind: 'launch', attempt: 2, avoid: [{ instanceType: 'm7g.medium', zone: 'us-west-2a' }] }));
    const fresh = decide(makeJob(), { kind: 'tick' }, at(0));
    expect(fresh.effects.find((e) => e.kind === 'launch')).not.toHaveProperty('avoid');
  });

  test('the zone of an adopted instance is recorded from its description', () => {
    const job = requested({ spotRequestId: undefined });
    const d = decide(job, { kind: 'instance', instance: { instanceId: 'i-5', jobId: job.id, attempt: 1, state: 'pending', instanceType: 't3.micro', zone: 'us-west-2c' } }, at(2));
    expect(d.job).toMatchObject({ instanceId: 'i-5', zone: 'us-west-2c', status: 'launching' });
  });

  test('bad-parameters and system-error fail with the reason', () => {
    for (const statusCode of ['bad-parameters', 'system-error']) {
      const d = decide(requested(), { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'closed', statusCode, statusMessage: 'bad AMI' } }, at(5));
      expect(d.job.status).toBe('failed');
      expect(jobReason(d.job)).toContain(statusCode);
    }
  });

  test('a refused RequestSpotInstances call: permanent fails, transient retries later', () => {
    const job = requested({ spotRequestId: undefined });
    expect(decide(job, { kind: 'spotRequestFailed', attempt: 1, code: 'InvalidAMIID.NotFound', message: 'no such AMI', permanent: true }, at(1)).job.status).toBe('failed');
    const retry = decide(job, { kind: 'spotRequestFailed', attempt: 1, code: 'RequestLimitExceeded', message: 'slow down', permanent: false }, at(1));
    expect(retry.job.status).toBe('requested');
    expect(kinds(decide(retry.job, { kind: 'tick' }, at(1 + DEFAULT_TIMINGS.requestRetrySeconds - 1)).effects)).toEqual([]);
    expect(kinds(decide(retry.job, { kind: 'tick' }, at(1 + DEFAULT_TIMINGS.requestRetrySeconds)).effects)).toContain('launch');
  });

  test('a request that vanished before launching is an interruption: a new attempt, bounded by the retries', () => {
    const job = requested();
    const obs: Observation = { kind: 'spot', request: { requestId: 'sir-1', attempt: 1, state: 'missing' } };
    expect(decide(job, obs, at(10)).effects).toEqual([]);
    const d = decide(job, obs, at(DEFAULT_TIMINGS.requestVisibilityGraceSeconds));
    expect(d.job).toMatchObject({ attempt: 2, interruptions: 1, status: 'requested' });
    expect(kinds(d.effects)).toContain('launch');
    const spent = decide({ ...job, interruptions: job.spec.interruptionsTolerated }, obs, at(DEFAULT_TIMINGS.requestVisibilityGraceSeconds));
    expect(spent.job.status).toBe('failed');
  });

  test('a request recorded by nobody (crash after RequestSpotInstances) is adopted by its tags', () => {
    const job = requested({ spotRequestId: undefined });
    const d = decide(job, { kind: 'spot', request: { requestId: 'sir-9', jobId: job.id, attempt: 1, state: 'active', statusCode: 'fulfilled', instanceId: 'i-9' } }, at(3));
    expect(d.job).toMatchObject({ spotRequestId: 'sir-9', instanceId: 'i-9', status: 'launching' });
  });
});

describe('decide: words for local compute', () => {
  test('no spot request or instance is mentioned when jobs run on this machine', () => {
    const job = makeJob({ runAt: T0.toISOString(), compute: 'local' });
    const requested = decide(job, { kind: 'tick' }, T0);
    expect(describeEvent(requested.job.events.at(-1)!)).toBe('starting on this machine (attempt 1)');
    const refused = decide(requested.job, { kind: 'spotRequestFailed', attempt: 1, code: 'ContainerCliMissing', message: 'neither docker nor podman is installed', permanent: true }, T0);
    expect(jobReason(refused.job)).toBe('the job could not start on this machine: ContainerCliMissing: neither docker nor podman is installed');
  });
});

describe('decide: cancel and callbacks', () => {
  test('cancel while requested withdraws the request; while running terminates too', () => {
    const r = decide(requested(), { kind: 'cancel', by: 'U1' }, at(1));
    expect(r.job).toMatchObject({ status: 'cancelled' });
    expect(jobReason(r.job)).toBe('cancelled by U1');
    expect(r.effects).toContainEqual({ kind: 'cancelSpotRequest', requestId: 'sir-1' });
    const s = decide(running(), { kind: 'cancel', by: 'U1' }, at(1));
    expect(kinds(s.effects)).toEqual(expect.arrayContaining(['cancelSpotRequest', 'terminateInstance']));
  });

  test('jobs whose callbacks failed together retry apart (equal jitter, fixed by job and try)', () => {
    const fail: Observation = { kind: 'callbackResult', tryNumber: 1, ok: false, statusCode: 503, error: 'HTTP 503', permanent: false };
    const delays = Array.from({ length: 50 }, (_, i) => {
      const ended = decide(running({ id: `j-spread${String(i).padStart(4, '0')}`, spec: { callbackUrl: 'https://example.com/cb' } as Job['spec'] }), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(0)).job;
      const once = decide(ended, fail, at(1)).job;
      expect(decide(ended, fail, at(1)).job.callback?.nextAt).toBe(once.callback?.nextAt);
      return (Date.parse(once.callback!.nextAt!) - at(1).getTime()) / 1000;
    });
    for (const d of delays) expect(d >= 2.5 && d <= 5).toBe(true);
    expect(new Set(delays).size).toBeGreaterThan(40);
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(1.5);
  });

  test('callback retried with back-off, then given up; a repeated result is not counted twice', () => {
    let job = decide(running({ spec: { callbackUrl: 'https://example.com/cb' } as Job['spec'] }), { kind: 'agent', status: 'finished', attempt: 1, exitCode: 0 }, at(0)).job;
    const fail = (tryNumber: number): Observation => ({ kind: 'callbackResult', tryNumber, ok: false, statusCode: 503, error: 'HTTP 503', permanent: false });
    job = decide(job, fail(1), at(1)).job;
    // 5 s with equal jitter: between 2.5 s and 5 s after the failure.
    expect(job.callback).toMatchObject({ state: 'pending', attempts: 1 });
    const nextAt = Date.parse(job.callback!.nextAt!);
    expect(nextAt).toBeGreaterThanOrEqual(at(3.5).getTime());
    expect(nextAt).toBeLessThanOrEqual(at(6).getTime());
    expect(decide(job, fail(1), at(2)).job).toEqual(job);
    expect(kinds(decide(job, { kind: 'tick' }, new Date(nextAt - 1)).effects)).toEqual([]);
    expect(decide(job, { kind: 'tick' }, new Date(nextAt)).effects).toContainEqual(expect.objectContaining({ kind: 'sendCallback', tryNumber: 2 }));
    const permanent = decide(job, { kind: 'callbackResult', tryNumber: 2, ok: false, statusCode: 404, permanent: true }, at(7)).job;
    expect(permanent.callback?.state).toBe('failed');
    const delivered = decide(job, { kind: 'callbackResult', tryNumber: 2, ok: true, statusCode: 200, permanent: false }, at(7)).job;
    expect(delivered.callback).toMatchObject({ state: 'delivered', attempts: 2 });
  });
});

// ---- properties ----

const STATUSES: Status[] = Object.values(JobStatus);
const CODES = [...Object.keys(SPOT_STATUS_TABLE), 'a-code-from-the-future'];
const STATES: InstanceState[] = ['pending', 'running', 'shutting-down', 'terminated', 'stopping', 'stopped', 'missing'];

const jobArb = fc
  .record({
    status: fc.constantFrom(...STATUSES),
    attempt: fc.integer({ min: 1, max: 4 }),
    interruptions: fc.integer({ min: 0, max: 3 }),
    interruptionsTolerated: fc.integer({ min: 0, max: 3 }),
    spotRequestId: fc.option(fc.constantFrom('sir-1', 'sir-2'), { nil: undefined }),
    instanceId: fc.option(fc.constantFrom('i-1', 'i-2'), { nil: undefined }),
    callback: fc.boolean(),
    timeout: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
    types: fc.integer({ min: 1, max: 3 }),
    fallback: fc.record({ onDemandAfter: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }), onDemandWaitSeconds: fc.option(fc.constantFrom(20, 600), { nil: undefined }), retryExitCodes: fc.option(fc.constant(137).map((code) => [code]), { nil: undefined }) }),
    onRebalance: fc.constantFrom(undefined, 'replace' as const, 'warn' as const),
    drain: fc.option(fc.constantFrom('notice' as const, 'rebalance' as const), { nil: undefined }),
  })
  .map((r) =>
    makeJob({
      // A replaced attempt still at work, on active jobs past their first attempt (its instance
      // id is its own: only instance observations name it).
      ...(r.drain && r.attempt > 1 && !isTerminal(r.status) && r.status !== JobStatus.Scheduled && {
        draining: { attempt: r.attempt - 1, instanceId: 'i-9', pricePerHour: 0.01, noticeAt: T0.toISOString(), cause: r.drain, ...(r.drain === 'notice' && { deadlineAt: at(150).toISOString() }) },
      }),
      status: r.status,
      attempt: r.status === JobStatus.Scheduled ? 0 : r.attempt,
      interruptions: Math.min(r.interruptions, r.interruptionsTolerated),
      spotRequestId: r.status === JobStatus.Scheduled ? undefined : r.spotRequestId,
      instanceId: r.status === JobStatus.Scheduled ? undefined : r.instanceId,
      requestedAt: T0.toISOString(),
      launchedAt: r.status === JobStatus.Launching || r.status === JobStatus.Running ? T0.toISOString() : undefined,
      startedAt: r.status === JobStatus.Running ? T0.toISOString() : undefined,
      runAt: T0.toISOString(),
      spec: {
        interruptionsTolerated: r.interruptionsTolerated,
        callbackUrl: r.callback ? 'https://example.com/cb' : undefined,
        timeoutSeconds: r.timeout,
        instanceTypes: ['t3.micro', 'm7g.large', 'c7g.large'].slice(0, r.types),
        ...r.fallback,
        ...(r.onRebalance && { onRebalance: r.onRebalance }),
      },
    }),
  );

const obsArb: fc.Arbitrary<Observation> = fc.oneof(
  fc.constant<Observation>({ kind: 'tick' }),
  fc.record({ by: fc.constantFrom('U1', 'api') }).map((r): Observation => ({ kind: 'cancel', by: r.by })),
  fc.constant<Observation>({ kind: 'runOnDemand', by: 'U1' }),
  fc
    .record({ requestId: fc.constantFrom('sir-1', 'sir-2', 'sir-3'), attempt: fc.integer({ min: 0, max: 5 }), state: fc.constantFrom('open', 'active', 'closed', 'cancelled', 'failed', 'missing'), statusCode: fc.constantFrom(...CODES), instanceId: fc.option(fc.constantFrom('i-1', 'i-2', 'i-3'), { nil: undefined }) })
    // A `missing` request is what correlate synthesises for a recorded id EC2 no longer lists:
    // it carries neither a status code nor an instance.
    .map((r): Observation => ({ kind: 'spot', request: r.state === 'missing' ? { requestId: r.requestId, attempt: r.attempt, state: 'missing' } : { ...r } })),
  fc
    .record({ instanceId: fc.constantFrom('i-1', 'i-2', 'i-3', 'i-4', 'i-9'), attempt: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }), state: fc.constantFrom(...STATES) })
    // i-9 is the draining attempt's instance of the jobs that have one; its tag names no other attempt.
    .map((r): Observation => ({ kind: 'instance', instance: r.instanceId === 'i-9' ? { ...r, attempt: undefined } : r })),
  fc
    .record({ status: fc.constantFrom('started' as const, 'finished' as const, 'interrupting' as const, 'rebalance' as const), attempt: fc.integer({ min: 0, max: 5 }), exitCode: fc.option(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constant(137)), { nil: undefined }) })
    .map((r): Observation => ({ kind: 'agent', ...r })),
  fc
    .record({
      attempt: fc.integer({ min: 0, max: 5 }),
      requestId: fc.option(fc.constantFrom('sir-1', 'sir-4'), { nil: undefined }),
      instanceId: fc.option(fc.constantFrom('i-4', 'i-5'), { nil: undefined }),
      zone: fc.constantFrom('us-west-2a', 'us-west-2b'),
      price: fc.option(fc.constantFrom(0.01, 0.02), { nil: undefined }),
      refused: fc.boolean(),
    })
    .map(
      (r): Observation => ({
        kind: 'spotRequested',
        attempt: r.attempt,
        ...(r.requestId !== undefined && { requestId: r.requestId }),
        ...(r.instanceId !== undefined && { instanceId: r.instanceId }),
        pool: { instanceType: 'm7g.large', zone: r.zone },
        ...(r.price !== undefined && { pricePerHour: r.price }),
        ...(r.refused && { refused: [{ instanceType: 't3.micro', zone: 'us-west-2a' }] }),
      }),
    ),
  fc
    .record({ attempt: fc.integer({ min: 0, max: 5 }), permanent: fc.boolean(), capacity: fc.boolean() })
    .map((r): Observation => ({ kind: 'spotRequestFailed', code: r.capacity ? 'InsufficientInstanceCapacity' : 'X', message: 'x', ...r, ...(r.capacity && { refused: [{ instanceType: 't3.micro', zone: 'us-west-2a' }] }) })),
  fc.record({ tryNumber: fc.integer({ min: 1, max: 3 }), ok: fc.boolean(), permanent: fc.boolean() }).map((r): Observation => ({ kind: 'callbackResult', ...r })),
);

const stepsArb = fc.array(fc.tuple(obsArb, fc.integer({ min: 0, max: 1200 })), { minLength: 1, maxLength: 30 });

const LIVE = new Set(['pending', 'running', 'stopping', 'stopped']);

describe.each(propertySeeds())('decide: properties (seed %i)', (seed) => {
  test('terminal stays terminal; attempts and interruptions never decrease; no live instance is left behind', () => {
    fc.assert(
      fc.property(jobArb, stepsArb, (start, steps) => {
        let job = start;
        let clock = T0.getTime();
        for (const [obs, dt] of steps) {
          clock += dt * 1000;
          const { job: next, effects } = decide(job, obs, new Date(clock));
          const terminated = new Set(effects.flatMap((e) => (e.kind === 'terminateInstance' ? [e.instanceId] : [])));
          if (isTerminal(job.status)) expect(next.status).toBe(job.status);
          expect(next.attempt).toBeGreaterThanOrEqual(job.attempt);
          expect(next.interruptions).toBeGreaterThanOrEqual(job.interruptions);
          expect(next.interruptions).toBeLessThanOrEqual(job.spec.interruptionsTolerated + 1);
          expect(next.version).toBe(job.version);
          expect(next.events.length).toBeLessThanOrEqual(MAX_EVENTS);
          // The instance of an attempt that ends (job over, or a new attempt) is terminated.
          // (A notice keeps it working as the draining attempt until it is let go.)
          if (job.instanceId && ((!isTerminal(job.status) && isTerminal(next.status)) || next.attempt > job.attempt)) {
            expect(terminated.has(job.instanceId) || next.draining?.instanceId === job.instanceId).toBe(true);
          }
          // A draining instance let go while still up is terminated (unless EC2 shows it gone).
          if (job.draining?.instanceId && !next.draining && !(obs.kind === 'instance' && obs.instance.instanceId === job.draining.instanceId && !LIVE.has(obs.instance.state))) {
            expect(terminated.has(job.draining.instanceId)).toBe(true);
          }
          if (isTerminal(next.status)) expect(next.draining).toBeUndefined();
          // A live instance of an ended job, whenever seen, is terminated.
          if (isTerminal(job.status) && obs.kind === 'instance' && obs.instance.instanceId === job.instanceId && LIVE.has(obs.instance.state)) {
            expect(terminated.has(obs.instance.instanceId)).toBe(true);
          }
          // A terminal job is only "cleaned up" when nothing of it can still be running.
          if (isTerminal(next.status) && next.cleanedUp && !job.cleanedUp && next.instanceId) {
            expect(obs.kind === 'instance' && !LIVE.has(obs.instance.state)).toBe(true);
          }
          // Only non-terminal jobs request instances.
          if (effects.some((e) => e.kind === 'launch')) expect(isTerminal(next.status)).toBe(false);
          // One decision, one set of effects: nothing is asked for twice in one step.
          const asked = effects.filter((e) => e.kind !== 'notify').map((e) => JSON.stringify(e));
          expect(new Set(asked).size).toBe(asked.length);
          job = next;
        }
      }),
      { numRuns: 2000, seed },
    );
  });

  test('the same observation twice changes nothing more and repeats no request, callback or message', () => {
    fc.assert(
      fc.property(jobArb, obsArb, fc.integer({ min: 0, max: 3600 }), (job, obs, dt) => {
        const now = new Date(T0.getTime() + dt * 1000);
        const once = decide(job, obs, now);
        const twice = decide(once.job, obs, now);
        expect(twice.job).toEqual(once.job);
        // Only terminate/cancel may repeat: they are idempotent on EC2; and a wake-up timer, re-armed for the same time.
        for (const effect of twice.effects) expect(['terminateInstance', 'cancelSpotRequest']).toContain(effect.kind);
      }),
      { numRuns: 3000, seed },
    );
  });

  test('decide never throws and never mutates its input', () => {
    fc.assert(
      fc.property(jobArb, obsArb, (job, obs) => {
        const copy = structuredClone(job);
        decide(job, obs, at(100));
        expect(job).toEqual(copy);
      }),
      { numRuns: 2000, seed },
    );
  });
});

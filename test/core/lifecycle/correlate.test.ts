import { describe, expect, test } from 'vitest';
import { findOrphans, indexSnapshot, observationsFor, stillOrphaned } from '../../../bot/core/lifecycle/correlate.js';
import { decide } from '../../../bot/core/lifecycle/lifecycle.js';
import { JobStatus, type Job } from '../../../bot/core/job.js';
import type { FleetSnapshot, InstanceView, SpotRequestView } from '../../../bot/core/lifecycle/observation.js';
import { makeJob } from '../../harness/jobs.js';

describe('orphans', () => {
  test('an instance launched by a request given up for another type is an orphan, and never adopted', () => {
    const job = makeJob({ status: JobStatus.Requested, attempt: 1, abandonedRequestIds: ['sir-a'], spotRequestId: 'sir-b' });
    const instance = { instanceId: 'i-a', jobId: job.id, attempt: 1, state: 'running' as const, spotRequestId: 'sir-a' };
    expect(findOrphans([job], { requests: [], instances: [instance] }).instances).toEqual([instance]);
    expect(decide(job, { kind: 'instance', instance }, new Date('2026-01-15T10:10:00Z')).job).toEqual(job);
    expect(stillOrphaned(instance, job)).toBe(true);
  });

  test('judged again on the stored job: a newer attempt, a new job or a live one is spared', () => {
    const stored = makeJob({ status: JobStatus.Requested, attempt: 2 });
    expect(stillOrphaned({ jobId: stored.id, attempt: 2, requestId: 'sir-2' }, stored)).toBe(false);
    expect(stillOrphaned({ jobId: stored.id, attempt: 1, requestId: 'sir-1' }, stored)).toBe(true);
    expect(stillOrphaned({ jobId: stored.id, attempt: 3 }, stored)).toBe(false);
    expect(stillOrphaned({ jobId: 'j-gone', attempt: 1 }, undefined)).toBe(true);
    expect(stillOrphaned({ jobId: stored.id, attempt: 2 }, { ...stored, status: JobStatus.Succeeded })).toBe(true);
    expect(stillOrphaned({ attempt: 1 }, undefined)).toBe(false);
  });
});

// One live job on its second instance type (its first request given up), and one that has ended
// but is still listed as active (its callback is pending).
const live = makeJob({ status: JobStatus.Requested, attempt: 1, instanceTypeIndex: 1, spotRequestId: 'sir-new', abandonedRequestIds: ['sir-old'] });
const ended = makeJob({ status: JobStatus.Succeeded, attempt: 1, finishedAt: '2026-01-15T10:20:00.000Z' });

const instance = (instanceId: string, over: Partial<InstanceView>): InstanceView => ({ instanceId, state: 'running', ...over });
const request = (requestId: string, over: Partial<SpotRequestView>): SpotRequestView => ({ requestId, state: 'active', ...over });

describe('findOrphans: what no current attempt of an active job wants', () => {
  const rows: { name: string; instances?: InstanceView[]; requests?: SpotRequestView[]; orphans: string[] }[] = [
    // Spared.
    { name: 'the current request and instance of a live job', requests: [request('sir-new', { jobId: live.id, attempt: 1 })], instances: [instance('i-new', { jobId: live.id, attempt: 1, spotRequestId: 'sir-new' })], orphans: [] },
    { name: 'an untagged instance or request: not Sched\'s', requests: [request('sir-host', {})], instances: [instance('i-host', {})], orphans: [] },
    // Requests given up for another instance type keep the attempt's tags.
    { name: 'an active request the job gave up', requests: [request('sir-old', { jobId: live.id, attempt: 1 })], orphans: ['sir-old'] },
    { name: 'an instance launched by a request the job gave up', instances: [instance('i-old', { jobId: live.id, attempt: 1, spotRequestId: 'sir-old' })], orphans: ['i-old'] },
    // An ended job wants nothing, even on its current attempt.
    { name: 'the instance of an ended job', instances: [instance('i-ended', { jobId: ended.id, attempt: 1 })], orphans: ['i-ended'] },
    { name: 'the request of an ended job', requests: [request('sir-ended', { jobId: ended.id, attempt: 1 })], orphans: ['sir-ended'] },
    // Only what can still launch or bill is a candidate.
    ...(['pending', 'running', 'stopping', 'stopped'] as const).map((state) => ({ name: `a ${state} instance of an unknown job`, instances: [instance(`i-${state}`, { jobId: 'job-gone', attempt: 1, state })], orphans: [`i-${state}`] })),
    ...(['shutting-down', 'terminated'] as const).map((state) => ({ name: `a ${state} instance of an unknown job is left alone`, instances: [instance(`i-${state}`, { jobId: 'job-gone', attempt: 1, state })], orphans: [] })),
    ...['open', 'active'].map((state) => ({ name: `an ${state} request of an unknown job`, requests: [request(`sir-${state}`, { jobId: 'job-gone', attempt: 1, state })], orphans: [`sir-${state}`] })),
    ...['closed', 'cancelled', 'failed'].map((state) => ({ name: `a ${state} request of an unknown job is left alone`, requests: [request(`sir-${state}`, { jobId: 'job-gone', attempt: 1, state })], orphans: [] })),
  ];

  for (const { name, instances = [], requests = [], orphans } of rows) {
    test(name, () => {
      const found = findOrphans([live, ended], { instances, requests });
      expect([...found.instances.map((i) => i.instanceId), ...found.requests.map((r) => r.requestId)]).toEqual(orphans);
    });
  }
});

describe('stillOrphaned: the candidate judged on the job as stored now', () => {
  const stored = makeJob({ status: JobStatus.Requested, attempt: 2, spotRequestId: 'sir-2b', abandonedRequestIds: ['sir-2a'] });
  const rows: { name: string; resource: Parameters<typeof stillOrphaned>[0]; current: Job | undefined; orphaned: boolean }[] = [
    { name: 'the current request', resource: { jobId: stored.id, attempt: 2, requestId: 'sir-2b' }, current: stored, orphaned: false },
    { name: 'the current instance', resource: { jobId: stored.id, attempt: 2, spotRequestId: 'sir-2b' }, current: stored, orphaned: false },
    { name: 'a request the job gave up, on its current attempt', resource: { jobId: stored.id, attempt: 2, requestId: 'sir-2a' }, current: stored, orphaned: true },
    { name: 'an instance of a request the job gave up, on its current attempt', resource: { jobId: stored.id, attempt: 2, spotRequestId: 'sir-2a' }, current: stored, orphaned: true },
    { name: 'the current attempt of a job that has since ended', resource: { jobId: stored.id, attempt: 2, requestId: 'sir-2b' }, current: { ...stored, status: JobStatus.Cancelled }, orphaned: true },
    { name: 'an attempt that is over', resource: { jobId: stored.id, attempt: 1 }, current: stored, orphaned: true },
    { name: 'an attempt newer than the stored job', resource: { jobId: stored.id, attempt: 3 }, current: stored, orphaned: false },
    { name: 'a job no longer stored', resource: { jobId: 'job-gone', attempt: 1 }, current: undefined, orphaned: true },
    { name: 'a resource without a job tag', resource: { requestId: 'sir-2a' }, current: undefined, orphaned: false },
  ];

  for (const { name, resource, current, orphaned } of rows) {
    test(name, () => expect(stillOrphaned(resource, current)).toBe(orphaned));
  }
});

describe('observationsFor: what the snapshot says about one job', () => {
  const job = makeJob({ status: JobStatus.Requested, attempt: 2 });
  const mine = (requestId: string, over: Partial<SpotRequestView> = {}) => request(requestId, { jobId: job.id, attempt: 2, ...over });
  const rows: { name: string; job: Job; snapshot: FleetSnapshot; expected: unknown[] }[] = [
    {
      name: 'no request id recorded: the current attempt\'s open request is adopted',
      job,
      snapshot: { requests: [mine('sir-prev', { attempt: 1 }), mine('sir-cur', { state: 'open' })], instances: [] },
      expected: [{ kind: 'spot', request: mine('sir-cur', { state: 'open' }) }],
    },
    {
      name: 'no request id recorded: an active request is adopted, and its instance with it',
      job,
      snapshot: { requests: [mine('sir-cur', { instanceId: 'i-cur' })], instances: [instance('i-cur', { jobId: job.id, attempt: 2 })] },
      expected: [
        { kind: 'spot', request: mine('sir-cur', { instanceId: 'i-cur' }) },
        { kind: 'instance', instance: instance('i-cur', { jobId: job.id, attempt: 2 }) },
      ],
    },
    {
      name: 'a request the job gave up is never adopted; the attempt\'s other one is',
      job: { ...job, abandonedRequestIds: ['sir-given-up'] },
      snapshot: { requests: [mine('sir-given-up'), mine('sir-cur', { state: 'open' })], instances: [] },
      expected: [{ kind: 'spot', request: mine('sir-cur', { state: 'open' }) }],
    },
    {
      name: 'a request the job gave up, alone: nothing is adopted',
      job: { ...job, abandonedRequestIds: ['sir-given-up'] },
      snapshot: { requests: [mine('sir-given-up')], instances: [] },
      expected: [],
    },
    ...['closed', 'cancelled', 'failed'].map((state) => ({
      name: `a ${state} request is not adopted`,
      job,
      snapshot: { requests: [mine(`sir-${state}`, { state })], instances: [] },
      expected: [],
    })),
    {
      name: 'a request of an earlier attempt is not adopted',
      job,
      snapshot: { requests: [mine('sir-prev', { attempt: 1 })], instances: [] },
      expected: [],
    },
    {
      name: 'the recorded request, whatever its state',
      job: { ...job, spotRequestId: 'sir-cur' },
      snapshot: { requests: [mine('sir-other', { state: 'open' }), mine('sir-cur', { state: 'closed' })], instances: [] },
      expected: [{ kind: 'spot', request: mine('sir-cur', { state: 'closed' }) }],
    },
    {
      name: 'the recorded request is not listed: it is reported missing',
      job: { ...job, spotRequestId: 'sir-cur' },
      snapshot: { requests: [mine('sir-other', { state: 'open' })], instances: [] },
      expected: [{ kind: 'spot', request: { requestId: 'sir-cur', jobId: job.id, attempt: 2, state: 'missing' } }],
    },
    {
      name: 'the recorded instance is not listed: it is reported missing',
      job: { ...job, status: JobStatus.Launching, spotRequestId: 'sir-cur', instanceId: 'i-cur' },
      snapshot: { requests: [mine('sir-cur')], instances: [] },
      expected: [
        { kind: 'spot', request: mine('sir-cur') },
        { kind: 'instance', instance: { instanceId: 'i-cur', jobId: job.id, attempt: 2, state: 'missing' } },
      ],
    },
    {
      name: 'the recorded instance is not listed, but its request still names it: not yet tagged, not missing',
      job: { ...job, status: JobStatus.Launching, spotRequestId: 'sir-cur', instanceId: 'i-cur' },
      snapshot: { requests: [mine('sir-cur', { instanceId: 'i-cur' })], instances: [] },
      expected: [{ kind: 'spot', request: mine('sir-cur', { instanceId: 'i-cur' }) }],
    },
    {
      name: 'no request or instance recorded: an instance launched under the attempt\'s tags (RunInstances, no request) is adopted',
      job,
      snapshot: { requests: [], instances: [instance('i-prev', { jobId: job.id, attempt: 1 }), instance('i-cur', { jobId: job.id, attempt: 2 })] },
      expected: [{ kind: 'instance', instance: instance('i-cur', { jobId: job.id, attempt: 2 }) }],
    },
    {
      name: 'no request or instance recorded: a live instance of the attempt is adopted before a terminated one',
      job,
      snapshot: { requests: [], instances: [instance('i-dead', { jobId: job.id, attempt: 2, state: 'terminated' }), instance('i-live', { jobId: job.id, attempt: 2 })] },
      expected: [{ kind: 'instance', instance: instance('i-live', { jobId: job.id, attempt: 2 }) }],
    },
    {
      name: 'an instance of a request the job gave up is not adopted',
      job: { ...job, abandonedRequestIds: ['sir-given-up'] },
      snapshot: { requests: [], instances: [instance('i-given-up', { jobId: job.id, attempt: 2, spotRequestId: 'sir-given-up' })] },
      expected: [],
    },
    {
      name: 'before the first attempt, only time passes',
      job: { ...job, status: JobStatus.Scheduled, attempt: 0 },
      snapshot: { requests: [mine('sir-x', { attempt: 0 })], instances: [] },
      expected: [],
    },
  ];

  // A job that recorded nothing for its attempt sees what it adopts before the tick (which would
  // launch the attempt again); every other job sees the tick first.
  for (const { name, job, snapshot, expected } of rows) {
    const unrecorded = !job.spotRequestId && !job.instanceId;
    test(name, () => expect(observationsFor(job, indexSnapshot(snapshot))).toEqual(unrecorded ? [...expected, { kind: 'tick' }] : [{ kind: 'tick' }, ...expected]));
  }

  test('without a snapshot (EC2 could not be asked), nothing is presumed missing', () => {
    expect(observationsFor({ ...job, spotRequestId: 'sir-cur', instanceId: 'i-cur' }, undefined)).toEqual([{ kind: 'tick' }]);
  });
});

describe('a launch the process died before recording (issue 13: two replicas under kills)', () => {
  // Attempt 1 was written as requested, RunInstances launched it, and the process was killed
  // before it recorded the instance. Another replica's pass finds it after the retry time.
  const job = makeJob({ status: JobStatus.Requested, attempt: 1, requestedAt: '2026-01-15T10:05:00.000Z', runAt: '2026-01-15T10:05:00.000Z' });
  const launched = instance('i-launched', { jobId: job.id, attempt: 1, state: 'running' });
  const afterRetryTime = new Date('2026-01-15T10:06:00.000Z');

  /** What the job driver does with a pass's observations: decide on each in turn. */
  function pass(snapshot: FleetSnapshot) {
    let current = job;
    const effects = [];
    for (const observation of observationsFor(job, indexSnapshot(snapshot))) {
      const decision = decide(current, observation, afterRetryTime);
      current = decision.job;
      effects.push(...decision.effects);
    }
    return { job: current, launches: effects.filter((e) => e.kind === 'launch') };
  }

  test('the pass adopts the running instance and launches nothing again', () => {
    const { job: next, launches } = pass({ requests: [], instances: [launched] });
    expect(launches).toEqual([]);
    expect(next).toMatchObject({ status: JobStatus.Launching, attempt: 1, instanceId: 'i-launched' });
  });

  test('with nothing in EC2 under the attempt\'s tags, the launch is issued again', () => {
    expect(pass({ requests: [], instances: [] }).launches).toHaveLength(1);
  });
});

describe('a replaced attempt still at work (draining)', () => {
  // Attempt 1 got the notice: attempt 2 is launched, attempt 1 works on until it is let go.
  const draining = { attempt: 1, instanceId: 'i-old', spotRequestId: 'sir-old', noticeAt: '2026-01-15T10:10:00.000Z', cause: 'notice' as const };
  const job = makeJob({ status: JobStatus.Requested, attempt: 2, interruptions: 1, spotRequestId: 'sir-new', instanceId: 'i-new', draining });
  const released = { ...job, draining: undefined };
  const oldInstance = instance('i-old', { jobId: job.id, attempt: 1, spotRequestId: 'sir-old' });
  const oldRequest = request('sir-old', { jobId: job.id, attempt: 1, instanceId: 'i-old' });
  // AWS makes a spot request for a RunInstances spot launch; the job may never have recorded its id.
  const unrecorded = request('sir-aws', { jobId: job.id, attempt: 1, instanceId: 'i-old' });
  const snapshot: FleetSnapshot = { instances: [oldInstance, instance('i-new', { jobId: job.id, attempt: 2 })], requests: [oldRequest, unrecorded] };

  test('its instance and requests are spared while it drains, and taken once it is let go or the job ends', () => {
    expect(findOrphans([job], snapshot)).toEqual({ instances: [], requests: [] });
    expect(findOrphans([released], snapshot)).toEqual({ instances: [oldInstance], requests: [oldRequest, unrecorded] });
    expect(findOrphans([{ ...job, status: JobStatus.Succeeded }], snapshot).instances.map((i) => i.instanceId)).toEqual(['i-old', 'i-new']);
  });

  test('judged again on the stored job: spared while draining, an orphan after', () => {
    for (const resource of [oldInstance, oldRequest, unrecorded]) {
      expect(stillOrphaned(resource, job)).toBe(false);
      expect(stillOrphaned(resource, released)).toBe(true);
      expect(stillOrphaned(resource, { ...job, status: JobStatus.Failed })).toBe(true);
    }
    // Another instance of attempt 1 (not the draining one) is no longer wanted.
    expect(stillOrphaned(instance('i-other', { jobId: job.id, attempt: 1 }), job)).toBe(true);
    // Before its instance was known, the whole attempt is spared.
    const early = { ...job, draining: { attempt: 1, noticeAt: draining.noticeAt, cause: 'notice' as const } };
    expect(stillOrphaned(instance('i-other', { jobId: job.id, attempt: 1 }), early)).toBe(false);
  });

  test('each pass observes the draining instance too, as missing once EC2 no longer lists it', () => {
    const observed = observationsFor(job, indexSnapshot(snapshot));
    expect(observed).toContainEqual({ kind: 'instance', instance: oldInstance });
    const gone = observationsFor(job, indexSnapshot({ instances: [], requests: [] }));
    expect(gone).toContainEqual({ kind: 'instance', instance: { instanceId: 'i-old', jobId: job.id, attempt: 1, state: 'missing' } });
    expect(observationsFor(released, indexSnapshot(snapshot)).filter((o) => o.kind === 'instance' && o.instance.instanceId === 'i-old')).toEqual([]);
  });
});

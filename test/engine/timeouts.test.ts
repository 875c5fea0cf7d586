/**
 * Timeouts on time: the job's `--timeout` and the launch timeout fire from a timer at their
 * deadline, not on the next reconcile pass — also right after a restart, while another holder's
 * lease keeps the pass from running. The poll interval is an hour here, so only a timer can act.
 */
import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore, MemoryLeaseStore } from '../../bot/adapters/memory-store.js';
import { systemClock } from '../../bot/clock.js';
import { JobStatus, type Compute, type Job, type JobEvent, type NewJob } from '../../bot/core/job.js';
import { DEFAULT_TIMINGS, type LifecycleTimings } from '../../bot/core/lifecycle/lifecycle.js';
import { describeEvent } from '../../bot/core/view/event-words.js';
import { Engine } from '../../bot/engine/engine.js';
import type { JobStore } from '../../bot/ports.js';
import { eventually } from '../harness/bot-process.js';

const POLL_SECONDS = 3600;
const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

function world(opts: { store?: JobStore; lease?: MemoryLeaseStore; compute?: Compute; timings?: Partial<LifecycleTimings> } = {}) {
  const store = opts.store ?? new MemoryJobStore();
  const fleet = new MemoryFleet();
  const events: JobEvent[] = [];
  const engine = new Engine({
    store,
    fleet,
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: {
      jobChanged: async (_job: Job, changed: JobEvent[]) => {
        events.push(...changed);
      },
    },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
    lease: opts.lease,
    holderId: 'this-bot',
    secret: 'timeouts-test-secret-0123456789abcdefghijkl',
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: POLL_SECONDS,
    compute: opts.compute ?? 'local',
    timings: { ...DEFAULT_TIMINGS, ...opts.timings },
  });
  engines.push(engine);
  return { engine, store, fleet, events };
}

const newJob = (timeoutSeconds?: number): NewJob => ({
  spec: { image: 'alpine:3.20', command: ['sleep', '100'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 2, ...(timeoutSeconds !== undefined && { timeoutSeconds }) },
  runAt: new Date().toISOString(),
  owner: { kind: 'api', id: 'api' },
});

async function ended(engine: Engine, id: string, timeoutMs = 10_000): Promise<Job> {
  return eventually(async () => {
    const job = await engine.getJob(id);
    return job && job.status !== JobStatus.Requested && job.status !== JobStatus.Launching && job.status !== JobStatus.Running ? job : undefined;
  }, `job ${id} to end`, timeoutMs);
}

/** Seconds from the job's deadline (startedAt + timeout) to its end. */
function lateBy(job: Job): number {
  return (Date.parse(job.finishedAt!) - Date.parse(job.startedAt!)) / 1000 - job.spec.timeoutSeconds!;
}

describe('timeouts on time', () => {
  test('--timeout 2s ends a running job within a second of its deadline, from a timer (no pass runs)', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob(2));
    await w.engine.agentReport({ jobId: job.id, attempt: 1, status: 'started' });
    const done = await ended(w.engine, job.id);
    expect(done).toMatchObject({ status: JobStatus.Failed, endReason: { reason: 'timeout', seconds: 2 } });
    expect(lateBy(done)).toBeGreaterThanOrEqual(0);
    expect(lateBy(done)).toBeLessThan(1);
    expect(w.engine.metrics.passes).toBe(0);
    // The instance (here: the local run) is stopped with it.
    expect(w.fleet.liveInstances()).toEqual([]);
    expect(w.events.map(describeEvent)).toContain('failed: timed out after 2 s, 2s');
  });

  test('after a restart the stored running job still ends at its deadline, while the dead bot\'s lease holds off the pass', async () => {
    const store = new MemoryJobStore();
    const first = world({ store });
    const job = await first.engine.createJob(newJob(3));
    await first.engine.agentReport({ jobId: job.id, attempt: 1, status: 'started' });
    // The first bot dies holding the reconcile lease for three poll intervals.
    await first.engine.stop();
    const lease = new MemoryLeaseStore({ clock: systemClock });
    expect(await lease.tryAcquire('reconciler', 'the-dead-bot', POLL_SECONDS * 3000)).toBe(true);

    const second = world({ store, lease });
    await second.engine.start();
    expect(second.engine.armedTimers).toBe(1);
    const done = await ended(second.engine, job.id);
    expect(done.endReason).toEqual({ reason: 'timeout', seconds: 3 });
    expect(lateBy(done)).toBeGreaterThanOrEqual(0);
    expect(lateBy(done)).toBeLessThan(1);
    expect(second.engine.metrics.passes).toBe(0);
  });

  test('on EC2 the bot waits a grace for the agent, whose timed-out report ends the job with the output and its own run time', async () => {
    const w = world({ compute: 'ec2', timings: { timeoutGraceSeconds: 2 } });
    const job = await w.engine.createJob(newJob(1));
    // started reported 4 s late (the bot was down): the agent says it has run that long.
    await w.engine.agentReport({ jobId: job.id, attempt: 1, status: 'started', ranSeconds: 4 });
    const running = (await w.engine.getJob(job.id))!;
    expect(Date.now() - Date.parse(running.startedAt!)).toBeGreaterThanOrEqual(4000);

    const second = world({ compute: 'ec2', timings: { timeoutGraceSeconds: 30 } });
    const other = await second.engine.createJob(newJob(1));
    await second.engine.agentReport({ jobId: other.id, attempt: 1, status: 'started' });
    await new Promise((r) => setTimeout(r, 1500));
    expect((await second.engine.getJob(other.id))!.status).toBe(JobStatus.Running);
    await second.engine.agentReport({ jobId: other.id, attempt: 1, status: 'finished', exitCode: 143, logTail: 'bye\n', timedOut: true, ranSeconds: 1 });
    const done = (await second.engine.getJob(other.id))!;
    expect(done).toMatchObject({ status: JobStatus.Failed, endReason: { reason: 'timeout', seconds: 1 }, exitCode: 143, logTail: 'bye\n' });
    // Its run time is the agent's, not the time until the report.
    expect(Date.parse(done.finishedAt!) - Date.parse(done.startedAt!)).toBe(1000);
    expect(second.events.map(describeEvent)).toContain('failed: timed out after 1 s, 1s');

    // The first job: past its deadline (counted from the agent's start) and the grace at once.
    const first = await ended(w.engine, job.id);
    expect(first.endReason).toEqual({ reason: 'timeout', seconds: 1 });
  });

  test('an instance whose agent never says started is replaced at the launch timeout, from a timer, and the thread says why', async () => {
    const w = world({ compute: 'ec2', timings: { launchTimeoutSeconds: 2 } });
    // The first pass (at start) sees the instance running: launching. None follows for an hour.
    await w.engine.start();
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    const launching = (await w.engine.getJob(job.id))!;
    expect(launching.status).toBe(JobStatus.Launching);
    const replaced = await eventually(async () => {
      const current = (await w.engine.getJob(job.id))!;
      return current.attempt === 2 ? current : undefined;
    }, 'the replacement', 10_000);
    expect(replaced).toMatchObject({ status: JobStatus.Requested, interruptions: 1 });
    const late = (Date.parse(replaced.requestedAt!) - Date.parse(launching.launchedAt!)) / 1000 - 2;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(1);
    expect(w.events.map(describeEvent)).toContain('attempt 1 interrupted: the instance did not start the container within 2s; requesting a new instance (attempt 2)');
    // The first instance is gone, its replacement launched.
    expect(w.fleet.calls.filter((c) => c.op === 'launch')).toHaveLength(2);
  });
});

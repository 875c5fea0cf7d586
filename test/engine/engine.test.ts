import { pino } from 'pino';
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore, MemoryLeaseStore } from '../../bot/adapters/memory-store.js';
import { JobStatus, type Job, type JobEvent, type NewJob } from '../../bot/core/job.js';
import { DEFAULT_CALLBACK_TIMEOUT_MS } from '../../bot/adapters/callback-http.js';
import { DEFAULT_TIMINGS } from '../../bot/core/lifecycle/lifecycle.js';
import { Engine } from '../../bot/engine/engine.js';
import { jobReason } from '../../bot/core/view/event-words.js';
import { eventually } from '../harness/bot-process.js';
import { FakeClock } from '../harness/clock.js';
import type { CallbackPayload } from '../../bot/core/callback.js';
import type { CallbackOutcome, CallbackSender, JobStore, Notifier } from '../../bot/ports.js';
import { notificationToken } from '../../bot/security/hmac.js';

const SECRET = 'engine-test-secret-0123456789abcdefghijkl';

class FakeCallbacks implements CallbackSender {
  sent: { url: string; payload: CallbackPayload; key: string }[] = [];
  outcomes: CallbackOutcome[] = [];
  /** URLs the sender would refuse for good, with the reason. */
  refused = new Map<string, string>();
  async refusal(url: string): Promise<string | undefined> {
    return this.refused.get(url);
  }
  async send(url: string, payload: CallbackPayload, key: string): Promise<CallbackOutcome> {
    this.sent.push({ url, payload, key });
    return this.outcomes.shift() ?? { ok: true, statusCode: 200 };
  }
}

class RecordingNotifier implements Notifier {
  events: { jobId: string; event: JobEvent }[] = [];
  async jobChanged(job: Job, events: JobEvent[]) {
    for (const event of events) this.events.push({ jobId: job.id, event });
  }
}

/** Every engine a test built: stopped after it, so no timer or loop outlives its test. */
const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

function world(opts: { store?: JobStore; clock?: FakeClock; fleet?: MemoryFleet; lease?: MemoryLeaseStore; holderId?: string } = {}) {
  const clock = opts.clock ?? new FakeClock();
  const store = opts.store ?? new MemoryJobStore();
  const fleet = opts.fleet ?? new MemoryFleet();
  const callbacks = new FakeCallbacks();
  const notifier = new RecordingNotifier();
  const engine = new Engine({
    store,
    fleet,
    callbacks,
    notifier,
    clock,
    logger: pino({ level: 'silent' }),
    lease: opts.lease,
    holderId: opts.holderId,
    secret: SECRET,
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: 30,
  });
  engines.push(engine);
  return { clock, store, fleet, callbacks, notifier, engine };
}

const newJob = (over: Partial<NewJob> = {}): NewJob => ({
  spec: { image: 'alpine:3.20', command: ['echo', 'hi'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 2, callbackUrl: 'https://example.com/cb' },
  runAt: '2026-03-01T12:00:00.000Z',
  owner: { kind: 'api', id: 'api' },
  ...over,
});

describe('engine', () => {
  test('a due job runs to success; its instance is terminated and it leaves the active index', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    expect(job.status).toBe(JobStatus.Requested);
    const [request] = w.fleet.requests.values();
    expect(request).toMatchObject({ jobId: job.id, attempt: 1, clientToken: `${job.id}.1.0` });
    // The user data carries this attempt's token, never the secret.
    expect(request!.userData).toContain(Buffer.from(notificationToken(SECRET, job.id, 1)).toString('base64'));
    expect(request!.userData).not.toContain(SECRET);
    expect(request!.userData).not.toContain(Buffer.from(SECRET).toString('base64').slice(0, 20));

    await w.engine.reconcileOnce();
    expect((await w.engine.getJob(job.id))!.status).toBe(JobStatus.Launching);
    expect(await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 })).toBe('ok');
    w.clock.advance(90);
    await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'hi\n' });
    const done = (await w.engine.getJob(job.id))!;
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0, callback: { state: 'delivered' } });
    expect(w.fleet.liveInstances()).toEqual([]);
    expect(w.callbacks.sent).toHaveLength(1);
    expect(w.callbacks.sent[0]!.payload).toMatchObject({ job_id: job.id, status: 'succeeded', exit_code: 0, attempts: 1 });

    await w.engine.reconcileOnce();
    expect((await w.engine.getJob(job.id))!.cleanedUp).toBe(true);
    expect(await w.store.listActive()).toEqual([]);
    expect(w.notifier.events.map((e) => e.event.kind)).toEqual(['created', 'requested', 'launching', 'started', 'succeeded', 'callback']);
  });

  test('cost: instance time at the observed spot price, reported in the callback', async () => {
    const w = world();
    w.fleet.pricePerHour = 0.0416;
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce(); // launching, price seen
    await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    w.clock.advance(1800);
    await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 });
    expect((await w.engine.getJob(job.id))!.costUsd).toBeCloseTo(0.0208, 6);
    expect(w.callbacks.sent[0]!.payload.cost_usd).toBeCloseTo(0.0208, 6);
  });

  test('saving: the fleet gives the on-demand price at launch; the callback carries saved_usd beside cost_usd', async () => {
    const w = world();
    w.fleet.pricePerHour = 0.0416;
    w.fleet.onDemandPricePerHour = 0.0832;
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    w.clock.advance(1800);
    await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 });
    expect((await w.engine.getJob(job.id))!.attemptCosts).toEqual([expect.objectContaining({ attempt: 1, market: 'spot', pricePerHour: 0.0416, onDemandPricePerHour: 0.0832, costUsd: 0.0208 })]);
    expect(w.callbacks.sent[0]!.payload).toMatchObject({ cost_usd: 0.0208, saved_usd: 0.0208 });
  });

  test('stale and unknown agent reports are refused and change nothing', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    expect(await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 2, exitCode: 0 })).toBe('stale_attempt');
    expect(await w.engine.agentReport({ jobId: 'j-nope', status: 'started', attempt: 1 })).toBe('not_found');
    expect((await w.engine.getJob(job.id))!.status).toBe(JobStatus.Requested);
  });

  test('an interruption starts a new attempt; the retry limit fails the job', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob({ spec: { ...newJob().spec, interruptionsTolerated: 1 } }));
    await w.engine.reconcileOnce();
    const first = (await w.engine.getJob(job.id))!.instanceId!;
    w.fleet.setInstanceState(first, 'terminated');
    await w.engine.reconcileOnce();
    const second = (await w.engine.getJob(job.id))!;
    expect(second).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1 });
    expect(first).toMatch(/^i-\d{8}$/);
    expect(second.instanceId).toMatch(/^i-\d{8}$/);
    expect(second.instanceId).not.toBe(first);
    // The engine hands the fleet every remaining type, and the lost pool to try last.
    expect(w.fleet.plans.map((p) => ({ attempt: p.attempt, pools: p.pools, avoid: p.avoid }))).toEqual([
      { attempt: 1, pools: [{ instanceType: 't3.micro' }], avoid: undefined },
      { attempt: 2, pools: [{ instanceType: 't3.micro' }], avoid: [{ instanceType: 't3.micro', zone: 'memory-1a' }] },
    ]);

    w.fleet.setInstanceState(second.instanceId!, 'terminated');
    await w.engine.reconcileOnce();
    expect((await w.engine.getJob(job.id))!).toMatchObject({ status: 'failed', attempt: 2, interruptions: 2 });
    expect(w.fleet.liveInstances()).toEqual([]);
  });

  test('the two-minute notice launches attempt 2 while attempt 1 still runs; attempt 1 finishing after all stops attempt 2 and ends the job once', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    const first = (await w.engine.getJob(job.id))!.instanceId!;

    expect(await w.engine.agentReport({ jobId: job.id, status: 'interrupting', attempt: 1 })).toBe('ok');
    const replacing = (await w.engine.getJob(job.id))!;
    expect(replacing).toMatchObject({ status: 'requested', attempt: 2, interruptions: 1, draining: { attempt: 1, instanceId: first } });
    // Launched at once, in the same call, while attempt 1's instance is still alive.
    expect(w.fleet.plans.map((p) => p.attempt)).toEqual([1, 2]);
    const second = replacing.instanceId!;
    expect(w.fleet.liveInstances().map((i) => i.instanceId).sort()).toEqual([first, second].sort());
    // A reconcile pass (and its orphan sweep) leaves the draining instance alone.
    await w.engine.reconcileOnce();
    expect(w.fleet.instances.get(first)!.state).toBe('running');

    // Attempt 1 finishes after all: its report is accepted, the job ends with its exit code.
    expect(await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'done\n' })).toBe('ok');
    const done = (await w.engine.getJob(job.id))!;
    expect(done).toMatchObject({ status: 'succeeded', exitCode: 0, logTail: 'done\n' });
    expect(w.fleet.instances.get(second)!.state).toBe('terminated');
    expect(w.fleet.liveInstances()).toEqual([]);
    // The replacement's late reports change nothing: one callback, one end.
    expect(await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 2 })).toBe('ok');
    expect(await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 2, exitCode: 1 })).toBe('ok');
    expect((await w.engine.getJob(job.id))!).toMatchObject({ status: 'succeeded', exitCode: 0 });
    expect(w.callbacks.sent).toHaveLength(1);
    expect(w.callbacks.sent[0]!.payload).toMatchObject({ status: 'succeeded', exit_code: 0, attempts: 2, interruptions: 1 });
    const kinds = w.notifier.events.map((e) => e.event.kind);
    expect(kinds.filter((k) => k === 'succeeded' || k === 'failed')).toEqual(['succeeded']);
    expect(kinds).toContain('replacement-launched');
    expect(kinds).toContain('finished-after-all');
  });

  test("after the notice the replacement's start terminates the old instance; before it, no report of attempt 1 is stale", async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    const first = (await w.engine.getJob(job.id))!.instanceId!;
    await w.engine.agentReport({ jobId: job.id, status: 'interrupting', attempt: 1 });
    expect(await w.engine.agentReport({ jobId: job.id, status: 'rebalance', attempt: 1 })).toBe('ok');
    await w.engine.reconcileOnce();
    expect(w.fleet.instances.get(first)!.state).toBe('running');
    await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 2 });
    expect(w.fleet.instances.get(first)!.state).toBe('terminated');
    expect((await w.engine.getJob(job.id))!.draining).toBeUndefined();
    // Let go: attempt 1 is stale now.
    expect(await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 })).toBe('stale_attempt');
    expect((await w.engine.getJob(job.id))!.status).toBe('running');
  });

  test('a scheduled job starts from its timer, without a poll', async () => {
    const w = world();
    w.clock.now = () => new Date();
    const job = await w.engine.createJob(newJob({ runAt: new Date(Date.now() + 300).toISOString() }));
    expect(job.status).toBe('scheduled');
    expect(w.engine.armedTimers).toBe(1);
    // However slow the machine, the timer fires: wait for its effect, not for a fixed time.
    const started = await eventually(async () => {
      const current = (await w.engine.getJob(job.id))!;
      return current.status === 'scheduled' ? undefined : current;
    }, 'the timer to start the job');
    expect(started).toMatchObject({ status: 'requested', attempt: 1 });
    expect(w.engine.armedTimers).toBe(0);
    // The engine was never started: no reconcile pass ran, the timer alone did it.
    expect(w.engine.metrics.passes).toBe(0);
    expect(w.fleet.calls.filter((c) => c.op === 'launch')).toHaveLength(1);
  });

  test('a restarted engine re-arms timers and the poller catches due jobs it missed', async () => {
    const store = new MemoryJobStore();
    const clock = new FakeClock();
    const first = world({ store, clock });
    const later = await first.engine.createJob(newJob({ runAt: '2026-03-01T13:00:00.000Z' }));
    await first.engine.stop();

    const second = world({ store, clock });
    await second.engine.start();
    expect(second.engine.armedTimers).toBe(1);
    clock.advance(3600);
    await second.engine.reconcileOnce();
    expect((await second.engine.getJob(later.id))!.status).toBe('requested');
  });

  test('a failed fleet observation presumes nothing gone; time-driven decisions still run', async () => {
    const w = world();
    const running = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    const due = await w.engine.createJob(newJob({ runAt: '2026-03-01T12:05:00.000Z' }));
    w.clock.advance(300);
    w.fleet.observe = async () => {
      throw new Error('RequestLimitExceeded');
    };
    const pass = await w.engine.reconcileOnce();
    expect(pass.jobs).toBe(2);
    expect((await w.engine.getJob(running.id))!).toMatchObject({ status: 'launching', attempt: 1 });
    expect((await w.engine.getJob(due.id))!.status).toBe('requested');
    expect(w.engine.metrics.observeErrors).toBe(1);
  });

  test('the orphan sweep terminates what no job wants, and spares a job newer than the active list', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    // An instance of a job that does not exist, and one of an attempt that is over.
    await w.fleet.launch({ jobId: 'j-ghost', attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData: '', clientToken: 'ghost' });
    await w.fleet.launch({ jobId: job.id, attempt: 0, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData: '', clientToken: 'old' });
    // A job created after the pass listed the active jobs.
    const fresh = await w.engine.createJob(newJob());
    const listActive = w.store.listActive.bind(w.store);
    w.store.listActive = async () => (await listActive()).filter((j) => j.id !== fresh.id);

    const pass = await w.engine.reconcileOnce();
    expect(pass.orphansTerminated).toBe(2);
    const live = w.fleet.liveInstances().map((i) => i.jobId);
    expect(live.sort()).toEqual([job.id, fresh.id].sort());
  });

  test('the sweep judges on the stored job: one that moved on since the pass listed it keeps its request and instance', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob({ runAt: '2026-03-01T12:05:00.000Z', spec: { ...newJob().spec, interruptionsTolerated: 0 } }));
    const stale = await w.store.listActive(); // the job as a slow pass (or another replica) read it: scheduled
    w.clock.advance(300);
    await w.engine.apply(job.id, { kind: 'tick' }); // its timer: attempt 1 placed, instance up
    expect(w.fleet.liveInstances()).toHaveLength(1);
    w.store.listActive = async () => stale;
    const pass = await w.engine.reconcileOnce();
    expect(pass).toMatchObject({ orphansTerminated: 0, orphansCancelled: 0 });
    expect(w.fleet.liveInstances()).toHaveLength(1);
    expect(w.fleet.calls.filter((c) => c.op === 'cancelRequest' || c.op === 'terminateInstance')).toEqual([]);
    expect((await w.engine.getJob(job.id))!.status).not.toBe('failed');
  });

  test('a callback that fails is retried after its back-off and the outcome recorded', async () => {
    const w = world();
    w.callbacks.outcomes = [{ ok: false, statusCode: 503, error: 'HTTP 503', permanent: false }];
    const job = await w.engine.createJob(newJob());
    await w.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 });
    expect((await w.engine.getJob(job.id))!.callback).toMatchObject({ state: 'pending', attempts: 1, lastStatusCode: 503 });
    await w.engine.reconcileOnce();
    expect(w.callbacks.sent).toHaveLength(1);
    w.clock.advance(5);
    await w.engine.reconcileOnce();
    expect(w.callbacks.sent).toHaveLength(2);
    expect(w.callbacks.sent[1]!.key).toBe(w.callbacks.sent[0]!.key);
    expect((await w.engine.getJob(job.id))!.callback).toMatchObject({ state: 'delivered', attempts: 2 });
  });

  test('two replicas: only the lease holder reconciles; concurrent decisions never double a request', async () => {
    const store = new MemoryJobStore();
    const fleet = new MemoryFleet();
    const clock = new FakeClock();
    const lease = new MemoryLeaseStore({ clock });
    const a = world({ store, fleet, clock, lease });
    const b = world({ store, fleet, clock, lease });
    const job = await a.engine.createJob(newJob({ runAt: '2026-03-01T12:05:00.000Z' }));
    clock.advance(300);
    const [pa, pb] = await Promise.all([a.engine.reconcileOnce(), b.engine.reconcileOnce()]);
    expect([pa.skipped, pb.skipped].sort()).toEqual([false, true]);
    // Both replicas act on the same job at once (a timer here, a notification there).
    await Promise.all([a.engine.apply(job.id, { kind: 'tick' }), b.engine.apply(job.id, { kind: 'tick' })]);
    expect(fleet.calls.filter((c) => c.op === 'launch')).toHaveLength(1);
    await Promise.all([
      a.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 }),
      b.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 }),
    ]);
    expect((await store.get(job.id))!.status).toBe('succeeded');
    expect(a.callbacks.sent.length + b.callbacks.sent.length).toBe(1);
  });

  test('a callback cut short by a crash goes out within 30 s of the restart', async () => {
    // One try can take as long as the HTTP sender allows; the hold on a try in flight outlasts it.
    expect(DEFAULT_TIMINGS.callbackInFlightSeconds * 1000).toBeGreaterThan(DEFAULT_CALLBACK_TIMEOUT_MS);
    const store = new MemoryJobStore();
    const fleet = new MemoryFleet();
    const clock = new FakeClock();
    const lease = new MemoryLeaseStore({ clock });
    const before = world({ store, fleet, clock, lease, holderId: 'bot-host:8080' });
    const job = await before.engine.createJob(newJob());
    await before.engine.reconcileOnce();
    // The callback try never returns: the process dies with it in flight, holding the lease.
    before.callbacks.send = () => new Promise<CallbackOutcome>(() => undefined);
    void before.engine.agentReport({ jobId: job.id, status: 'finished', attempt: 1, exitCode: 0 });
    await eventually(async () => {
      const stored = await store.get(job.id);
      return stored?.status === 'succeeded' && stored.callback?.state === 'pending' ? stored : undefined;
    }, 'the job ended with its callback in flight');

    const stranger = world({ store, fleet, clock, lease, holderId: 'other-host:8080' });
    const restarted = world({ store, fleet, clock, lease, holderId: 'bot-host:8080' });
    clock.advance(5);
    // Another host waits out the dead lease; this host's restarted bot takes it back at once.
    expect((await stranger.engine.reconcileOnce()).skipped).toBe(true);
    expect((await restarted.engine.reconcileOnce()).skipped).toBe(false);
    let waited = 5;
    while (restarted.callbacks.sent.length === 0 && waited < 120) {
      clock.advance(5);
      waited += 5;
      await restarted.engine.reconcileOnce();
    }
    expect(restarted.callbacks.sent.map((c) => c.payload.job_id)).toEqual([job.id]);
    expect(waited).toBeLessThanOrEqual(30);
    expect((await store.get(job.id))!.callback).toMatchObject({ state: 'delivered' });
  });

  test('a callback the sender would refuse is refused at creation, on a schedule\'s firing it is not re-judged, and a PUT is refused too', async () => {
    const w = world();
    w.callbacks.refused.set('http://127.0.0.1:9/cb', 'callback address 127.0.0.1 is loopback');
    const refused = newJob({ spec: { ...newJob().spec, callbackUrl: 'http://127.0.0.1:9/cb' } });
    await expect(w.engine.createJob(refused)).rejects.toMatchObject({ problems: ['callback: callback address 127.0.0.1 is loopback'] });
    expect(await w.store.listActive()).toEqual([]);
    // A firing of a schedule made while the URL was accepted still starts its job.
    const fired = await w.engine.createJob({ ...refused, scheduleId: 's-abc' });
    expect(fired.spec.callbackUrl).toBe('http://127.0.0.1:9/cb');
    const job = await w.engine.createJob(newJob());
    await expect(w.engine.updateCallback(job.id, 'http://127.0.0.1:9/cb')).rejects.toMatchObject({ problems: ['callback: callback address 127.0.0.1 is loopback'] });
    expect((await w.store.get(job.id))!.spec.callbackUrl).toBe('https://example.com/cb');
  });

  test('cancel: refused once ended; retry: a new job with the same spec', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    const cancelled = await w.engine.cancelJob(job.id, 'U1');
    expect(cancelled).toMatchObject({ status: 'cancelled' });
    expect(jobReason(cancelled)).toBe('cancelled by U1');
    expect(w.fleet.liveInstances()).toEqual([]);
    await expect(w.engine.cancelJob(job.id, 'U1')).rejects.toMatchObject({ code: 'invalid' });
    const retried = await w.engine.retryJob(job.id, { kind: 'slack', id: 'U2' });
    expect(retried.id).not.toBe(job.id);
    expect(retried.spec).toEqual(job.spec);
    expect(retried.owner).toEqual({ kind: 'slack', id: 'U2' });
    await expect(w.engine.retryJob(retried.id, { kind: 'slack', id: 'U2' })).rejects.toMatchObject({ code: 'invalid' });
  });

  test('the chat message of a job is remembered and survives lifecycle writes', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob({ origin: { surface: 'slack', channel: 'C1' } }));
    await w.engine.recordChatMessage(job.id, 'C1', '1700000000.000100');
    await w.engine.reconcileOnce();
    await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
    expect((await w.engine.getJob(job.id))!.origin).toEqual({ surface: 'slack', channel: 'C1', messageTs: '1700000000.000100' });
  });

  test('a permanent EC2 refusal fails the job with the reason', async () => {
    const w = world();
    w.fleet.failNextRequest = Object.assign(new Error('The image id does not exist'), { code: 'InvalidAMIID.NotFound', permanent: true });
    const job = await w.engine.createJob(newJob());
    expect(job.status).toBe('failed');
    expect(jobReason(job)).toContain('InvalidAMIID.NotFound');
  });
});

/**
 * The engine's orphan sweep, through the real Engine on the in-memory twins: what the fleet is
 * asked to cancel and terminate after one reconcile pass, and what it is asked to leave alone.
 */
import { describe, expect, test } from 'vitest';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { JobStatus, type NewJob } from '../../bot/core/job.js';
import type { FleetSnapshot } from '../../bot/core/lifecycle/observation.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

/** The twin, with the two faults the sweep exists for: a failed cancel, an instance not listed yet. */
class FaultyFleet extends MemoryFleet {
  /** Cancels that fail (as an EC2 throttle would) before one goes through. */
  failingCancels = 0;
  /** Instances EC2's tag-filtered listing does not show yet (launched, not tagged). */
  readonly unlisted = new Set<string>();

  override async cancelRequest(requestId: string): Promise<void> {
    if (this.failingCancels > 0) {
      this.failingCancels--;
      throw Object.assign(new Error('Request limit exceeded.'), { code: 'RequestLimitExceeded' });
    }
    return super.cancelRequest(requestId);
  }

  override async observe(): Promise<FleetSnapshot> {
    const snapshot = await super.observe();
    return { ...snapshot, instances: snapshot.instances.filter((i) => !this.unlisted.has(i.instanceId)) };
  }

  /** A request (and, fulfilled, its instance) tagged for a job this deployment does not store. */
  async launchForGoneJob(clientToken: string): Promise<{ requestId: string; instanceId: string }> {
    const placed = await this.launch({ jobId: 'job-gone', attempt: 1, market: 'spot', pools: [{ instanceType: 't3.micro' }], userData: '', clientToken });
    const requestId = placed.requestId!; // the memory fleet always makes a request
    return { requestId, instanceId: placed.instanceId ?? this.fulfil(requestId) };
  }
}

function world() {
  const clock = new FakeClock();
  const fleet = new FaultyFleet();
  const { engine, store } = memoryReplica({ clock, fleet });
  /** The cancels and terminates the next pass asks for, in order. */
  const sweepOf = async () => {
    const from = fleet.calls.length;
    const pass = await engine.reconcileOnce();
    const asked = fleet.calls.slice(from).filter((c) => c.op === 'cancelRequest' || c.op === 'terminateInstance');
    return { pass, asked };
  };
  return { clock, fleet, engine, store, sweepOf };
}

const newJob = (instanceTypes = ['t3.micro']): NewJob => ({
  spec: { image: 'alpine:3.20', command: ['true'], env: {}, instanceTypes, interruptionsTolerated: 1 },
  runAt: '2026-03-01T12:00:00.000Z',
  owner: { kind: 'api', id: 'api' },
});

describe('orphan sweep', () => {
  test('a spot request of a job no longer stored is cancelled; the instance it launched is terminated once', async () => {
    const w = world();
    const gone = await w.fleet.launchForGoneJob('gone');
    const { pass, asked } = await w.sweepOf();
    expect(asked).toEqual([
      { op: 'terminateInstance', id: gone.instanceId },
      { op: 'cancelRequest', id: gone.requestId },
    ]);
    expect(pass).toMatchObject({ orphansTerminated: 1, orphansCancelled: 1 });
    expect(w.fleet.requests.get(gone.requestId)!.state).toBe('cancelled');
    expect(w.fleet.liveInstances()).toEqual([]);
  });

  test('an orphan request whose instance the listing does not show yet: the instance is terminated by the request\'s word', async () => {
    const w = world();
    const gone = await w.fleet.launchForGoneJob('gone');
    w.fleet.unlisted.add(gone.instanceId);
    const { pass, asked } = await w.sweepOf();
    expect(asked).toEqual([
      { op: 'cancelRequest', id: gone.requestId },
      { op: 'terminateInstance', id: gone.instanceId },
    ]);
    expect(pass).toMatchObject({ orphansTerminated: 1, orphansCancelled: 1 });
    expect(w.fleet.liveInstances()).toEqual([]);
  });

  test('a request given up for another instance type, whose cancel failed, is cancelled by the sweep and its late instance terminated; the new request is spared', async () => {
    const w = world();
    w.fleet.fulfilImmediately = false;
    const job = await w.engine.createJob(newJob(['t3.micro', 't3.small']));
    const first = job.spotRequestId!;
    w.fleet.setRequestStatus(first, 'open', 'capacity-not-available');
    w.clock.advance(300);
    w.fleet.failingCancels = 1;
    await w.engine.reconcileOnce(); // gives up on t3.micro: its cancel fails, t3.small is requested
    const moved = (await w.engine.getJob(job.id))!;
    expect(moved).toMatchObject({ status: JobStatus.Requested, attempt: 1, instanceTypeIndex: 1, abandonedRequestIds: [first] });
    const second = moved.spotRequestId!;
    expect(second).not.toBe(first);
    const late = w.fleet.fulfil(first); // capacity for t3.micro came after all

    const { pass, asked } = await w.sweepOf();
    expect(asked).toEqual([
      { op: 'terminateInstance', id: late },
      { op: 'cancelRequest', id: first },
    ]);
    expect(pass).toMatchObject({ orphansTerminated: 1, orphansCancelled: 1 });
    expect(w.fleet.requests.get(second)!.state).toBe('open');
    expect(await w.engine.getJob(job.id)).toMatchObject({ status: JobStatus.Requested, spotRequestId: second });
  });

  test('spared: a live job\'s request and instance, an instance Sched did not launch, and what is already over', async () => {
    const w = world();
    const job = await w.engine.createJob(newJob());
    await w.engine.reconcileOnce();
    const running = (await w.engine.getJob(job.id))!;
    expect(running).toMatchObject({ status: JobStatus.Launching, spotRequestId: expect.any(String), instanceId: expect.any(String) });
    w.fleet.instances.set('i-bot-host', { instanceId: 'i-bot-host', state: 'running' });
    const gone = await w.fleet.launchForGoneJob('gone');
    await w.fleet.cancelRequest(gone.requestId);
    await w.fleet.terminateInstance(gone.instanceId);

    const { pass, asked } = await w.sweepOf();
    expect(asked).toEqual([]);
    expect(pass).toMatchObject({ orphansTerminated: 0, orphansCancelled: 0 });
    expect(w.fleet.liveInstances().map((i) => i.instanceId).sort()).toEqual([running.instanceId, 'i-bot-host'].sort());
  });
});

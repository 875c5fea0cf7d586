/**
 * The output so far (issue 11, item 5): the agent's `output` reports stored on the job by one
 * write that changes nothing else, and `outputSoFar`, the newer of that and the fleet's own view.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import type { Job, NewJob } from '../../bot/core/job.js';
import type { Engine } from '../../bot/engine/engine.js';
import type { OutputTail } from '../../bot/ports.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

/** A fleet that sees its runs' output, as local compute does. */
class WatchingFleet extends MemoryFleet {
  seen = new Map<string, OutputTail>();
  asked: [string, number, number][] = [];
  async outputTail(jobId: string, attempt: number, maxChars: number): Promise<OutputTail | undefined> {
    this.asked.push([jobId, attempt, maxChars]);
    return this.seen.get(`${jobId}/${attempt}`);
  }
}

const engines: Engine[] = [];
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});

const NEW_JOB: NewJob = {
  spec: { image: 'alpine:3.20', command: ['echo', 'hi'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 2 },
  runAt: '2026-03-01T12:00:00.000Z',
  owner: { kind: 'api', id: 'api' },
};

async function runningJob(fleet?: MemoryFleet) {
  const clock = new FakeClock();
  const store = new MemoryJobStore();
  const w = memoryReplica({ clock, store, ...(fleet && { fleet }) });
  engines.push(w.engine);
  const job = await w.engine.createJob(NEW_JOB);
  await w.engine.reconcileOnce();
  await w.engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
  return { ...w, clock, store, id: job.id };
}

describe('recordOutput (the agent\'s output report)', () => {
  test('stores the tail with its attempt and time; nothing else changes: no event, same status and updatedAt', async () => {
    const w = await runningJob();
    const before = (await w.engine.getJob(w.id))!;
    w.clock.advance(12);
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'line one\n' })).toBe('ok');
    const after = (await w.engine.getJob(w.id))!;
    expect(after.output).toEqual({ attempt: 1, tail: 'line one\n', at: w.clock.now().toISOString() });
    const { output: _output, version, ...rest } = after;
    const { version: versionBefore, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
    expect(version).toBe(versionBefore + 1);
    // The same tail again writes nothing.
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'line one\n' })).toBe('ok');
    expect((await w.engine.getJob(w.id))!.version).toBe(version);
  });

  test('unknown job 404, another attempt 409; after finished (whose tail wins) it is taken and ignored', async () => {
    const w = await runningJob();
    expect(await w.engine.recordOutput({ jobId: 'j-nope', attempt: 1, logTail: 'x' })).toBe('not_found');
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 2, logTail: 'x' })).toBe('stale_attempt');
    await w.engine.agentReport({ jobId: w.id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'final\n' });
    const ended = (await w.engine.getJob(w.id))!;
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'late\n' })).toBe('ok');
    expect(await w.engine.getJob(w.id)).toEqual(ended);
  });

  test('a draining attempt\'s output is taken until the replacement reports its own', async () => {
    const w = await runningJob();
    await w.engine.agentReport({ jobId: w.id, status: 'interrupting', attempt: 1 });
    expect((await w.engine.getJob(w.id))!).toMatchObject({ attempt: 2, draining: { attempt: 1 } });
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'old attempt\n' })).toBe('ok');
    expect((await w.engine.getJob(w.id))!.output).toMatchObject({ attempt: 1, tail: 'old attempt\n' });
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 2, logTail: 'new attempt\n' })).toBe('ok');
    expect(await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'old attempt, more\n' })).toBe('ok');
    expect((await w.engine.getJob(w.id))!.output).toMatchObject({ attempt: 2, tail: 'new attempt\n' });
  });
});

describe('outputSoFar', () => {
  test('the fleet\'s own view or the last report, whichever is newer; nothing of another attempt', async () => {
    const fleet = new WatchingFleet();
    const w = await runningJob(fleet);
    const job = async (): Promise<Job> => (await w.engine.getJob(w.id))!;
    expect(await w.engine.outputSoFar(await job())).toBeUndefined();
    expect(fleet.asked).toEqual([[w.id, 1, 8000]]);

    await w.engine.recordOutput({ jobId: w.id, attempt: 1, logTail: 'reported\n' });
    const reportedAt = w.clock.now().toISOString();
    expect(await w.engine.outputSoFar(await job())).toEqual({ text: 'reported\n', at: reportedAt });
    fleet.seen.set(`${w.id}/1`, { text: 'seen\n', at: new Date(w.clock.now().getTime() + 1000).toISOString() });
    expect((await w.engine.outputSoFar(await job()))!.text).toBe('seen\n');
    fleet.seen.set(`${w.id}/1`, { text: 'seen earlier\n', at: new Date(w.clock.now().getTime() - 1000).toISOString() });
    expect((await w.engine.outputSoFar(await job()))!.text).toBe('reported\n');
    // A report of attempt 1 is not attempt 2's output.
    expect(await w.engine.outputSoFar({ ...(await job()), attempt: 2 })).toBeUndefined();
  });

  test('a fleet that fails to read says nothing rather than failing logs', async () => {
    const fleet = new WatchingFleet();
    fleet.outputTail = async () => {
      throw new Error('EACCES');
    };
    const w = await runningJob(fleet);
    expect(await w.engine.outputSoFar((await w.engine.getJob(w.id))!)).toBeUndefined();
  });
});

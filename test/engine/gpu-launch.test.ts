/**
 * A GPU job's launch: the engine hands the fleet a plan that says so (the EC2 fleet picks the GPU
 * image from it) and an agent script that gives the container the GPUs; other jobs carry neither.
 */
import { afterEach, expect, test } from 'vitest';
import { JobStatus, type NewJob } from '../../bot/core/job.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

const replicas: ReturnType<typeof memoryReplica>[] = [];
afterEach(async () => {
  await Promise.all(replicas.splice(0).map((replica) => replica.engine.stop()));
});

function newJob(gpus?: 'all' | number): NewJob {
  return {
    spec: { image: 'nvcr.io/nvidia/cuda:12.4.1-base', command: ['nvidia-smi'], env: {}, instanceTypes: ['g6.xlarge'], interruptionsTolerated: 1, ...(gpus !== undefined && { gpus }) },
    runAt: new Date(0).toISOString(),
    owner: { kind: 'api', id: 'api' },
  };
}

test('the launch plan and the agent script of a GPU job carry its GPUs; a plain job\'s do not', async () => {
  const replica = memoryReplica({ clock: new FakeClock() });
  replicas.push(replica);
  const gpu = await replica.engine.createJob(newJob('all'));
  const counted = await replica.engine.createJob(newJob(2));
  const plain = await replica.engine.createJob(newJob());
  await replica.engine.reconcileOnce();
  for (const job of [gpu, counted, plain]) expect((await replica.engine.getJob(job.id))!.status).not.toBe(JobStatus.Failed);

  const planOf = (jobId: string) => replica.fleet.plans.find((plan) => plan.jobId === jobId)!;
  expect(planOf(gpu.id).gpus).toBe('all');
  expect(planOf(gpu.id).userData).toContain("readonly GPUS='all'");
  expect(planOf(counted.id).gpus).toBe(2);
  expect(planOf(counted.id).userData).toContain("readonly GPUS='2'");
  expect(planOf(plain.id)).not.toHaveProperty('gpus');
  expect(planOf(plain.id).userData).toContain("readonly GPUS=''");
});

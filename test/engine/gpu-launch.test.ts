/**
 * A GPU job's launch: the engine hands the fleet a plan that says so (the EC2 fleet picks the GPU
 * image from it), and the job the agent fetches (`GET /v1/agent/<job-id>`) gives the container the
 * GPUs; other jobs carry neither.
 */
import { afterEach, expect, test } from 'vitest';
import { answerAgentJob } from '../../bot/core/agent-spec.js';
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

test('the launch plan and the job the agent fetches carry a GPU job\'s GPUs; a plain job\'s do not', async () => {
  const replica = memoryReplica({ clock: new FakeClock() });
  replicas.push(replica);
  const gpu = await replica.engine.createJob(newJob('all'));
  const counted = await replica.engine.createJob(newJob(2));
  const plain = await replica.engine.createJob(newJob());
  await replica.engine.reconcileOnce();
  for (const job of [gpu, counted, plain]) expect((await replica.engine.getJob(job.id))!.status).not.toBe(JobStatus.Failed);

  const planOf = (jobId: string) => replica.fleet.plans.find((plan) => plan.jobId === jobId)!;
  const fetched = async (jobId: string) => {
    const answer = answerAgentJob((await replica.engine.getJob(jobId))!, 1);
    if (answer.kind !== 'job') throw new Error(`the agent of ${jobId} gets ${answer.kind}`);
    return (JSON.parse(answer.body) as { gpus: string }).gpus;
  };
  expect(planOf(gpu.id).gpus).toBe('all');
  expect(await fetched(gpu.id)).toBe('all');
  expect(planOf(counted.id).gpus).toBe(2);
  expect(await fetched(counted.id)).toBe('2');
  expect(planOf(plain.id)).not.toHaveProperty('gpus');
  expect(await fetched(plain.id)).toBe('');
  // The user data carries none of it: the agent asks.
  for (const job of [gpu, counted, plain]) expect(planOf(job.id).userData).not.toMatch(/GPUS='/);
});

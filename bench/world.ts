/**
 * What several benchmarks stand on: an engine over given adapters with silent chat and callbacks,
 * a job store on a DynamoDB endpoint, and many active jobs made in bulk — instances launched by
 * RunInstances with MaxCount (one call per 1,000 instead of one per job), tagged per job, and
 * their jobs written by BatchWriteItem through the store's own item layout — so that making 5,000
 * jobs costs seconds, not the minutes of 5,000 launches one by one.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTagsCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { pino } from 'pino';
import { DynamoJobStore } from '../bot/adapters/dynamo-store.js';
import { ACTIVE_SHARD_ATTRIBUTE, CREATED_DAY_ATTRIBUTE, TTL_ATTRIBUTE, activeShardFor, createdDayOf } from '../bot/adapters/dynamo-schema.js';
import { SCHED_TAG_KEYS } from '../bot/core/facts.js';
import { needsReconcile, type Job, type NewJob } from '../bot/core/job.js';
import { Engine, type EngineDeps } from '../bot/engine/engine.js';
import type { Fleet, JobStore } from '../bot/ports.js';
import { makeJob } from '../test/harness/jobs.js';

export const BENCH_DEPLOYMENT = 'bench';
export const BENCH_AMI = 'ami-12c6146b';
export const BENCH_SECRET = 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz';

export const benchSpec: NewJob['spec'] = { image: 'alpine:3.20', command: ['true'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

export function benchEngine(fleet: Fleet, store: JobStore, extra: Partial<EngineDeps> = {}): Engine {
  return new Engine({
    store,
    fleet,
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: { jobChanged: async () => undefined },
    clock: { now: () => new Date() },
    logger: pino({ level: 'silent' }),
    secret: BENCH_SECRET,
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: 30,
    ...extra,
  });
}

let tables = 0;

/** A job store on its own new table. */
export async function benchStore(client: DynamoDBClient): Promise<{ store: DynamoJobStore; tableName: string }> {
  const tableName = `bench-jobs-${process.pid}-${++tables}`;
  const store = new DynamoJobStore({ client, tableName, clock: { now: () => new Date() }, retentionDays: 30 });
  await store.ensureTable();
  return { store, tableName };
}

/** The item the store would write for `job` (its index and TTL attributes included). */
function itemOf(job: Job): Record<string, unknown> {
  const item: Record<string, unknown> = { ...job, [CREATED_DAY_ATTRIBUTE]: createdDayOf(job.createdAt) };
  if (needsReconcile(job)) item[ACTIVE_SHARD_ATTRIBUTE] = activeShardFor(job.id);
  else item[TTL_ATTRIBUTE] = Math.floor(Date.now() / 1000) + 30 * 86_400;
  return item;
}

/** Writes jobs 25 to a BatchWriteItem, a few batches in flight; retries what comes back unprocessed. */
export async function batchWriteJobs(client: DynamoDBClient, tableName: string, jobs: readonly Job[], inFlight = 4): Promise<void> {
  const batches: Job[][] = [];
  for (let i = 0; i < jobs.length; i += 25) batches.push(jobs.slice(i, i + 25));
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  let next = 0;
  const worker = async () => {
    while (next < batches.length) {
      let requests = batches[next++]!.map((job) => ({ PutRequest: { Item: itemOf(job) } }));
      while (requests.length > 0) {
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
        requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/**
 * `count` running jobs, each with its own instance on EC2 (launched 1,000 to a call, tagged with
 * its job id and attempt), written to the store. Returns the jobs.
 */
export async function makeRunningJobs(ec2: EC2Client, dynamo: DynamoDBClient, tableName: string, count: number): Promise<Job[]> {
  const instanceIds: string[] = [];
  for (let left = count; left > 0; left -= 1000) {
    const n = Math.min(1000, left);
    const out = await ec2.send(
      new RunInstancesCommand({
        ImageId: BENCH_AMI,
        InstanceType: 't3.micro',
        MinCount: n,
        MaxCount: n,
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: SCHED_TAG_KEYS.deployment, Value: BENCH_DEPLOYMENT }, { Key: SCHED_TAG_KEYS.attempt, Value: '1' }] }],
      }),
    );
    for (const instance of out.Instances ?? []) instanceIds.push(instance.InstanceId!);
  }
  const now = new Date().toISOString();
  const jobs = instanceIds.map((instanceId) =>
    makeJob({ status: 'running', attempt: 1, instanceId, runAt: now, createdAt: now, updatedAt: now, launchedAt: now, startedAt: now, market: 'spot', spec: { image: 'alpine:3.20', command: ['true'], env: {} } }),
  );
  let next = 0;
  const tagger = async () => {
    while (next < jobs.length) {
      const job = jobs[next++]!;
      await ec2.send(new CreateTagsCommand({ Resources: [job.instanceId!], Tags: [{ Key: SCHED_TAG_KEYS.jobId, Value: job.id }] }));
    }
  };
  await Promise.all(Array.from({ length: 8 }, tagger));
  await batchWriteJobs(dynamo, tableName, jobs);
  return jobs;
}

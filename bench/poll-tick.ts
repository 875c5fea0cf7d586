/**
 * Issue 14, item 1: one reconcile pass over 100, 1,000 and 5,000 active jobs against moto — EC2
 * calls, DynamoDB items read, wall time — beside the original design's poll: one Describe per job.
 * Target: ≤ 2 EC2 calls per 1,000 active jobs, ≥ 100× fewer calls than the baseline at 1,000.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Fleet } from '../bot/adapters/ec2-fleet.js';
import { startMoto } from '../test/harness/moto.js';
import { CallCounter, DynamoReadCounter } from './aws-counters.js';
import { msSince, ratioOf, round, type BenchResult } from './report.js';
import { BENCH_AMI, BENCH_DEPLOYMENT, benchEngine, benchStore, makeRunningJobs } from './world.js';

/** The baseline is timed on at most this many jobs; its call count is the job count by definition. */
const BASELINE_SAMPLE = 100;

export async function benchPollTick(sizes: readonly number[]): Promise<BenchResult[]> {
  const moto = await startMoto();
  const results: BenchResult[] = [];
  try {
    for (const size of sizes) {
      await moto.reset();
      const ec2 = new EC2Client(moto.clientConfig);
      const dynamo = new DynamoDBClient(moto.clientConfig);
      const ec2Calls = new CallCounter().attach(ec2);
      const reads = new DynamoReadCounter().attach(dynamo);
      try {
        const { store, tableName } = await benchStore(dynamo);
        const setup = performance.now();
        const jobs = await makeRunningJobs(ec2, dynamo, tableName, size);
        const setupMs = msSince(setup);
        const fleet = new Ec2Fleet({ client: ec2, deployment: BENCH_DEPLOYMENT, amiId: BENCH_AMI, subnetIds: [], securityGroupIds: [] });
        const engine = benchEngine(fleet, store);
        await engine.reconcileOnce(); // the first pass reads spot prices and records them on every job
        ec2Calls.clear();
        reads.clear();
        const start = performance.now();
        const pass = await engine.reconcileOnce();
        const passMs = msSince(start);
        const byCommand = ec2Calls.byCommand();
        const calls = ec2Calls.total;
        const ec2Ms = ec2Calls.serverMs;
        const itemsRead = reads.itemsRead;
        const capacity = reads.capacityUnits;
        const dynamoByCommand = reads.byCommand();

        // The original design: one Describe per job, one after another.
        ec2Calls.clear();
        const sample = jobs.slice(0, Math.min(jobs.length, BASELINE_SAMPLE));
        const baselineStart = performance.now();
        for (const job of sample) await ec2.send(new DescribeInstancesCommand({ InstanceIds: [job.instanceId!] }));
        const baselineMs = (performance.now() - baselineStart) * (jobs.length / sample.length);
        const baselineCalls = jobs.length;

        const allowed = 2 * Math.ceil(size / 1000);
        const ratio = ratioOf(baselineCalls, calls);
        results.push({
          bench: 'poll_tick',
          figures: {
            active_jobs: pass.jobs,
            ec2_calls: calls,
            ec2_by_command: byCommand,
            ec2_calls_per_1000_jobs: round((calls * 1000) / size, 2),
            dynamodb_items_read: itemsRead,
            dynamodb_read_capacity: round(capacity, 1),
            dynamodb_by_command: dynamoByCommand,
            pass_ms: passMs,
            pass_ms_in_moto_ec2: round(ec2Ms),
            baseline_pass_ms: round(baselineMs),
            ...(sample.length < jobs.length && { baseline_timed_on: sample.length }),
            setup_ms: setupMs,
          },
          target: size === 1000 ? '<= 2 EC2 calls per 1,000 active jobs; >= 100x fewer calls than one Describe per job' : '<= 2 EC2 calls per 1,000 active jobs',
          met: calls <= allowed && (size !== 1000 || ratio >= 100),
          baseline: baselineCalls,
          ratio,
        });
      } finally {
        ec2.destroy();
        dynamo.destroy();
      }
    }
  } finally {
    await moto.stop();
  }
  return results;
}

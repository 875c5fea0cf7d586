/**
 * Issue 14, item 2: the store's work per tick with a long history — 50,000 ended jobs and 100
 * active ones — on dynalite (the embedded store): items read and read capacity consumed by the
 * poller's `listActive`, beside the original design's full table scan per tick.
 * Target: items read ≤ 1.1 × the active count, whatever the history.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { JobStatus } from '../bot/core/job.js';
import { startDynalite } from '../test/harness/dynalite.js';
import { makeFinishedJob, makeJob } from '../test/harness/jobs.js';
import { DynamoReadCounter } from './aws-counters.js';
import { msSince, ratioOf, round, type BenchResult } from './report.js';
import { batchWriteJobs, benchStore } from './world.js';

export async function benchStoreTick(ended: number, active: number): Promise<BenchResult> {
  const dynalite = await startDynalite();
  try {
    const client = dynalite.client();
    const reads = new DynamoReadCounter().attach(client);
    const { store, tableName } = await benchStore(client);
    const setup = performance.now();
    const now = new Date().toISOString();
    const history = Array.from({ length: ended }, () => makeFinishedJob({ createdAt: now }));
    const live = Array.from({ length: active }, () => makeJob({ status: JobStatus.Scheduled, runAt: now, createdAt: now }));
    await batchWriteJobs(client, tableName, [...history, ...live]);
    const setupMs = msSince(setup);

    reads.clear();
    const start = performance.now();
    const listed = await store.listActive();
    const tickMs = msSince(start);
    const itemsRead = reads.itemsRead;
    const capacity = reads.capacityUnits;
    const queries = reads.total;

    // The original design: every job of the table read on every tick, the active ones kept.
    reads.clear();
    const baselineStart = performance.now();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: tableName,
          FilterExpression: '#status IN (:s, :r, :l, :u)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':s': { S: 'scheduled' }, ':r': { S: 'requested' }, ':l': { S: 'launching' }, ':u': { S: 'running' } },
          ExclusiveStartKey: startKey as never,
        }),
      );
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    const baselineMs = msSince(baselineStart);

    return {
      bench: 'store_tick',
      figures: {
        ended_jobs: ended,
        active_jobs: listed.length,
        items_read: itemsRead,
        read_capacity_units: round(capacity, 1),
        queries,
        tick_ms: tickMs,
        baseline_items_read: reads.itemsRead,
        baseline_read_capacity_units: round(reads.capacityUnits, 1),
        baseline_tick_ms: baselineMs,
        setup_ms: setupMs,
      },
      target: '<= 1.1 x the active count of items read, whatever the history',
      met: itemsRead <= 1.1 * active,
      baseline: reads.itemsRead,
      ratio: ratioOf(reads.itemsRead, itemsRead),
    };
  } finally {
    await dynalite.stop();
  }
}

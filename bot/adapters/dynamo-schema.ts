/**
 * The DynamoDB table layout of Sched, as pure data: the store adapter reads and writes by these
 * names, and the Pulumi program declares the same table from them, so the two cannot drift.
 *
 * One item per job, keyed by `id`. Two global secondary indexes, both projecting every attribute
 * so a query never needs a follow-up GetItem:
 *
 * - `active-jobs` is sparse: only items carrying `activeShard` are in it, and the store writes that
 *   attribute exactly while `needsReconcile(job)` holds. The poller's working set is one Query per
 *   shard, never a Scan. Sharding spreads the write traffic of many active jobs over several
 *   partition keys instead of one hot `active` key.
 * - `jobs-by-day` serves "jobs created since …" (`GET /v1/jobs`: the last 24 hours): one partition
 *   per UTC day, sorted by `createdAt`.
 *
 * Finished jobs expire by TTL on `expiresAt` (epoch seconds). Lease items (`lease#<name>`) share
 * the table and carry none of the index attributes, so they never show up in either index.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Partition key of the table: the job id (or `lease#<name>` for a lease). */
export const KEY_ATTRIBUTE = 'id';

/** Name of the sparse index holding exactly the jobs the poller must look at. */
export const ACTIVE_INDEX = 'active-jobs';
/** Partition key of `active-jobs`: `active#0` … `active#<ACTIVE_SHARDS-1>`. */
export const ACTIVE_SHARD_ATTRIBUTE = 'activeShard';
/** Sort key of `active-jobs`: when the job is due (a `Job` field, stored as is). */
export const ACTIVE_SORT_ATTRIBUTE = 'runAt';
/** How many partitions the active set is spread over. Changing it needs a re-write of active items. */
export const ACTIVE_SHARDS = 4;

/** Name of the index listing jobs by creation day. */
export const BY_DAY_INDEX = 'jobs-by-day';
/** Partition key of `jobs-by-day`: `YYYY-MM-DD` (UTC) of `createdAt`. */
export const CREATED_DAY_ATTRIBUTE = 'createdDay';
/** Sort key of `jobs-by-day`: the ISO creation time (a `Job` field, stored as is). */
export const CREATED_SORT_ATTRIBUTE = 'createdAt';

/** TTL attribute, epoch seconds; present only on jobs that no longer need reconciling. */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Attributes the store adds to a job item; stripped again when a job is read back. */
export const INDEX_ONLY_ATTRIBUTES = [ACTIVE_SHARD_ATTRIBUTE, CREATED_DAY_ATTRIBUTE, TTL_ATTRIBUTE] as const;

/** Every `activeShard` value, in order. */
export const ACTIVE_SHARD_KEYS: readonly string[] = Array.from({ length: ACTIVE_SHARDS }, (_, i) => `active#${i}`);

/**
 * The `active-jobs` partition of a job. FNV-1a over the id's UTF-16 code units: stable across
 * processes, versions and platforms (unlike anything seeded), and cheap.
 */
export function activeShardFor(jobId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < jobId.length; i++) {
    hash ^= jobId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return `active#${(hash >>> 0) % ACTIVE_SHARDS}`;
}

/** `YYYY-MM-DD` (UTC) of an ISO time: the `jobs-by-day` partition it falls in. */
export function createdDayOf(isoTime: string): string {
  const ms = Date.parse(isoTime);
  if (Number.isNaN(ms)) throw new RangeError(`not an ISO time: ${JSON.stringify(isoTime)}`);
  return new Date(ms).toISOString().slice(0, 10);
}

/** The CreateTable request for Sched's table (on-demand billing). */
export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [
      { AttributeName: KEY_ATTRIBUTE, AttributeType: 'S' },
      { AttributeName: ACTIVE_SHARD_ATTRIBUTE, AttributeType: 'S' },
      { AttributeName: ACTIVE_SORT_ATTRIBUTE, AttributeType: 'S' },
      { AttributeName: CREATED_DAY_ATTRIBUTE, AttributeType: 'S' },
      { AttributeName: CREATED_SORT_ATTRIBUTE, AttributeType: 'S' },
    ],
    KeySchema: [{ AttributeName: KEY_ATTRIBUTE, KeyType: 'HASH' }],
    GlobalSecondaryIndexes: [
      {
        IndexName: ACTIVE_INDEX,
        KeySchema: [
          { AttributeName: ACTIVE_SHARD_ATTRIBUTE, KeyType: 'HASH' },
          { AttributeName: ACTIVE_SORT_ATTRIBUTE, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: BY_DAY_INDEX,
        KeySchema: [
          { AttributeName: CREATED_DAY_ATTRIBUTE, KeyType: 'HASH' },
          { AttributeName: CREATED_SORT_ATTRIBUTE, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

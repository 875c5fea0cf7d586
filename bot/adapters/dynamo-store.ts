/**
 * The job store on DynamoDB (or anything that speaks its protocol: dynalite in the embedded
 * default, moto in tests). Layout in `dynamo-schema.ts`.
 *
 * Every write is a single conditional PutItem of the whole job: no UpdateItem expressions to keep
 * in sync with the model, no transactions (dynalite has none), and replacing the whole item is
 * what lets the sparse-index and TTL attributes appear and disappear with the job's state.
 */
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  UpdateTimeToLiveCommand,
  CreateTableCommand,
  waitUntilTableExists,
  type DynamoDBClient,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../core/errors.js';
import { needsReconcile, specFromStored, type Job } from '../core/job.js';
import type { Clock, JobStore } from '../ports.js';
import {
  ACTIVE_INDEX,
  ACTIVE_SHARD_ATTRIBUTE,
  ACTIVE_SHARD_KEYS,
  BY_DAY_INDEX,
  CREATED_DAY_ATTRIBUTE,
  CREATED_SORT_ATTRIBUTE,
  INDEX_ONLY_ATTRIBUTES,
  TTL_ATTRIBUTE,
  activeShardFor,
  createTableInput,
  createdDayOf,
} from './dynamo-schema.js';
import { DynamoErrorName, isDynamoError, isNotImplemented } from './aws-errors.js';

/** Options of {@link DynamoJobStore}. */
export interface DynamoJobStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  clock: Clock;
  /** How long a finished job stays before DynamoDB's TTL deletes it. */
  retentionDays: number;
}

const DAY_MS = 86_400_000;

/** How long `ensureTable` waits for a new table to turn ACTIVE (real DynamoDB: seconds; with GSIs up to minutes). */
const TABLE_WAIT = { maxWaitTime: 300, minDelay: 1, maxDelay: 5 } as const;

/** {@link JobStore} on one DynamoDB table, one item per job. */
export class DynamoJobStore implements JobStore {
  private readonly client: DynamoDBClient;
  private readonly doc: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly clock: Clock;
  private readonly retentionSeconds: number;

  constructor(options: DynamoJobStoreOptions) {
    if (!Number.isFinite(options.retentionDays) || options.retentionDays < 0) {
      throw new RangeError(`retentionDays must be a non-negative number, got ${options.retentionDays}`);
    }
    this.client = options.client;
    // Optional Job fields are often present-but-undefined; DynamoDB has no such value.
    this.doc = DynamoDBDocumentClient.from(options.client, { marshallOptions: { removeUndefinedValues: true } });
    this.tableName = options.tableName;
    this.clock = options.clock;
    this.retentionSeconds = Math.round(options.retentionDays * 86_400);
  }

  /**
   * Creates the table if it is missing, waits for it to be ACTIVE and turns TTL on. Idempotent,
   * and safe when several replicas start at once: losing the CreateTable race is fine.
   */
  async ensureTable(): Promise<void> {
    let table = await this.describeTable();
    if (!table) {
      try {
        await this.client.send(new CreateTableCommand(createTableInput(this.tableName)));
      } catch (err) {
        if (!isDynamoError(err, DynamoErrorName.ResourceInUse)) throw err;
      }
    }
    if (table?.TableStatus !== 'ACTIVE') {
      // dynalite answers CREATING even with createTableMs: 0; another replica's table may be new too.
      await waitUntilTableExists({ client: this.client, ...TABLE_WAIT }, { TableName: this.tableName });
      table = await this.describeTable();
    }
    this.checkLayout(table);
    await this.enableTtl();
  }

  async create(job: Job): Promise<void> {
    assertJobId(job.id);
    if (job.version !== 1) throw new RangeError(`a new job has version 1, job ${job.id} has ${job.version}`);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.toItem(job),
          ConditionExpression: 'attribute_not_exists(#id)',
          ExpressionAttributeNames: { '#id': 'id' },
        }),
      );
    } catch (err) {
      if (isDynamoError(err, DynamoErrorName.ConditionalCheckFailed)) {
        throw new ConflictError(`job ${job.id} already exists`, { cause: err });
      }
      throw err;
    }
  }

  async get(id: string): Promise<Job | undefined> {
    // Lease items share the table; no job id contains '#'.
    if (id.includes('#')) return undefined;
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { id }, ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async update(job: Job): Promise<void> {
    assertJobId(job.id);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: this.toItem(job),
          ConditionExpression: 'attribute_exists(#id) AND #version = :expected',
          ExpressionAttributeNames: { '#id': 'id', '#version': 'version' },
          ExpressionAttributeValues: { ':expected': job.version - 1 },
        }),
      );
    } catch (err) {
      if (isDynamoError(err, DynamoErrorName.ConditionalCheckFailed)) {
        throw new ConflictError(`job ${job.id} is not at version ${job.version - 1}`, { cause: err });
      }
      throw err;
    }
  }

  /**
   * Every shard of the sparse index, in parallel, each followed to its last page; sorted by `runAt`.
   * On DynamoDB a GSI trails the table by a moment: a job written just now may show up on the next
   * tick, which a level-triggered poller tolerates.
   */
  async listActive(): Promise<Job[]> {
    const shards = await Promise.all(
      ACTIVE_SHARD_KEYS.map((shard) =>
        this.queryAll({
          TableName: this.tableName,
          IndexName: ACTIVE_INDEX,
          KeyConditionExpression: '#shard = :shard',
          ExpressionAttributeNames: { '#shard': ACTIVE_SHARD_ATTRIBUTE },
          ExpressionAttributeValues: { ':shard': shard },
        }),
      ),
    );
    return shards.flat().sort(byRunAtThenId);
  }

  /**
   * Walks `jobs-by-day` from the clock's today back to the day of `since`, newest first: one Query
   * per day (more only past 1 MB), stopping as soon as `limit` jobs are found. `createdAt` values
   * are compared as strings, so they must be `toISOString()` output (the engine writes them so).
   */
  async listCreatedSince(since: string, limit: number): Promise<Job[]> {
    const sinceMs = Date.parse(since);
    if (Number.isNaN(sinceMs)) throw new RangeError(`not an ISO time: ${JSON.stringify(since)}`);
    const sinceIso = new Date(sinceMs).toISOString();
    const today = createdDayOf(this.clock.now().toISOString());
    const jobs: Job[] = [];
    for (const day of daysNewestFirst(today, createdDayOf(sinceIso))) {
      if (jobs.length >= limit) break;
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.doc.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: BY_DAY_INDEX,
            KeyConditionExpression: '#day = :day AND #created >= :since',
            ExpressionAttributeNames: { '#day': CREATED_DAY_ATTRIBUTE, '#created': CREATED_SORT_ATTRIBUTE },
            ExpressionAttributeValues: { ':day': day, ':since': sinceIso },
            ScanIndexForward: false,
            Limit: limit - jobs.length,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) jobs.push(fromItem(item));
        startKey = page.LastEvaluatedKey;
      } while (startKey && jobs.length < limit);
    }
    return jobs.slice(0, Math.max(0, limit));
  }

  private async queryAll(input: QueryCommandInput): Promise<Job[]> {
    const jobs: Job[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) jobs.push(fromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  private toItem(job: Job): Record<string, unknown> {
    const item: Record<string, unknown> = { ...job, [CREATED_DAY_ATTRIBUTE]: createdDayOf(job.createdAt) };
    if (needsReconcile(job)) {
      item[ACTIVE_SHARD_ATTRIBUTE] = activeShardFor(job.id);
    } else {
      item[TTL_ATTRIBUTE] = this.expiresAtFor(job);
    }
    return item;
  }

  private expiresAtFor(job: Job): number {
    const endedMs = Date.parse(job.finishedAt ?? job.updatedAt);
    const baseMs = Number.isNaN(endedMs) ? this.clock.now().getTime() : endedMs;
    return Math.floor(baseMs / 1000) + this.retentionSeconds;
  }

  private async describeTable(): Promise<TableDescription | undefined> {
    try {
      const out = await this.client.send(new DescribeTableCommand({ TableName: this.tableName }));
      return out.Table;
    } catch (err) {
      if (isDynamoError(err, DynamoErrorName.ResourceNotFound)) return undefined;
      throw err;
    }
  }

  /** A table made by hand or by an older layout would silently lose jobs from listings. */
  private checkLayout(table: TableDescription | undefined): void {
    const indexes = new Set((table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const missing = [ACTIVE_INDEX, BY_DAY_INDEX].filter((name) => !indexes.has(name));
    if (missing.length > 0) {
      throw new Error(`table ${this.tableName} lacks the index(es) ${missing.join(', ')}; see bot/adapters/dynamo-schema.ts`);
    }
  }

  private async enableTtl(): Promise<void> {
    try {
      const out = await this.client.send(new DescribeTimeToLiveCommand({ TableName: this.tableName }));
      const ttl = out.TimeToLiveDescription;
      if (ttl?.AttributeName === TTL_ATTRIBUTE && (ttl.TimeToLiveStatus === 'ENABLED' || ttl.TimeToLiveStatus === 'ENABLING')) {
        return;
      }
    } catch (err) {
      if (!isNotImplemented(err)) throw err;
    }
    try {
      await this.client.send(
        new UpdateTimeToLiveCommand({
          TableName: this.tableName,
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        }),
      );
    } catch (err) {
      // Emulators without TTL simply keep finished jobs. "Already enabled" / "modified multiple
      // times" mean a concurrent ensureTable won the race; a TTL on another attribute is a real error.
      if (isNotImplemented(err)) return;
      if (isDynamoError(err, DynamoErrorName.Validation) && /already enabled|multiple times/i.test(err instanceof Error ? err.message : '')) {
        return;
      }
      throw err;
    }
  }
}

function assertJobId(id: string): void {
  // '#' is reserved for other item kinds in the same table (`lease#…`).
  if (id.length === 0 || id.includes('#')) throw new RangeError(`invalid job id ${JSON.stringify(id)}`);
}

/** The stored job, without the attributes only the indexes and TTL need. */
function fromItem(item: Record<string, unknown>): Job {
  const job: Record<string, unknown> = { ...item };
  for (const attribute of INDEX_ONLY_ATTRIBUTES) delete job[attribute];
  return { ...(job as unknown as Job), spec: specFromStored((job as unknown as Job).spec) };
}

/** `YYYY-MM-DD` days from `newest` back to `oldest`, both included; none when `oldest` is later. */
function* daysNewestFirst(newest: string, oldest: string): Generator<string> {
  for (let ms = Date.parse(`${newest}T00:00:00.000Z`); ; ms -= DAY_MS) {
    const day = new Date(ms).toISOString().slice(0, 10);
    if (day < oldest) return;
    yield day;
  }
}

function byRunAtThenId(a: Job, b: Job): number {
  if (a.runAt !== b.runAt) return a.runAt < b.runAt ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

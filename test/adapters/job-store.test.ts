/**
 * One contract for every JobStore/LeaseStore: run against dynalite (the embedded default), moto
 * (the protocol as the AWS emulator speaks it) and the in-memory twin. DynamoDB-only facts (index
 * and TTL attributes on the raw item, table creation races, paging past 1 MB) follow.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { CreateTableCommand, DescribeTimeToLiveCommand, DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '../../bot/core/errors.js';
import { CallbackState, JobStatus, needsReconcile, type Job } from '../../bot/core/job.js';
import type { Clock, JobStore, LeaseStore } from '../../bot/ports.js';
import { DynamoJobStore } from '../../bot/adapters/dynamo-store.js';
import { DynamoLeaseStore } from '../../bot/adapters/dynamo-lease.js';
import { MemoryJobStore, MemoryLeaseStore } from '../../bot/adapters/memory-store.js';
import { ACTIVE_SHARD_KEYS, activeShardFor, createTableInput } from '../../bot/adapters/dynamo-schema.js';
import { startDynalite, type Dynalite } from '../harness/dynalite.js';
import { startMoto, type Moto } from '../harness/moto.js';
import { BASE_TIME, makeCallbackPendingJob, makeFinishedJob, makeJob } from '../harness/jobs.js';

const RETENTION_DAYS = 30;

/** A clock the test moves by hand. */
class ManualClock implements Clock {
  private ms: number;
  constructor(iso: string) {
    this.ms = Date.parse(iso);
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(iso: string): void {
    this.ms = Date.parse(iso);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

interface OpenedStores {
  store: JobStore;
  leases: LeaseStore;
}

/** Opens stores on a fresh, empty table (or map) that read time from `clock`. */
type OpenStores = (clock: Clock) => Promise<OpenedStores>;

/** A job with every optional field set, and values that trip naive encoders. */
function richJob(): Job {
  return makeJob({
    status: JobStatus.Running,
    version: 1,
    spec: {
      image: 'ghcr.io/acme/étl:1.4',
      command: ['sh', '-c', 'echo "héllo 🌍" && exit 0', ''],
      env: { EMPTY: '', UNICODE: 'naïve — 日本語 🚀', QUOTES: `"'$(x)\`;\n` },
      callbackUrl: 'https://hooks.example.com/sched?x=1&y=2',
      instanceTypes: ['c6g.large', 't3.micro'],
      maxPrice: '0.0312',
      interruptionsTolerated: 0,
      timeoutSeconds: 3600,
      name: 'nightly ETL ✨',
    },
    owner: { kind: 'slack', id: 'U0123ABC' },
    attempt: 2,
    interruptions: 1,
    instanceTypeIndex: 1,
    spotRequestId: 'sir-abc123',
    instanceId: 'i-0123456789abcdef0',
    instanceType: 't3.micro',
    spotState: 'active',
    spotStatusCode: 'fulfilled',
    spotStatusMessage: 'Your spot request is fulfilled.',
    requestedAt: '2026-01-15T10:05:01.000Z',
    launchedAt: '2026-01-15T10:06:00.000Z',
    startedAt: '2026-01-15T10:07:00.000Z',
    interruptionNoticeAt: '2026-01-15T10:04:00.000Z',
    exitCode: -1,
    logTail: 'line 1\nline 2 ✓\n\ttabbed\n',
    reason: '',
    pricePerHour: 0.0104,
    costUsd: 0.1 + 0.2,
    callback: { state: CallbackState.Failed, attempts: 5, lastStatusCode: 500, lastError: 'HTTP 500 — "oops"' },
    cleanedUp: false,
    events: [
      { at: BASE_TIME, kind: 'created', text: 'created by <@U0123ABC>' },
      { at: '2026-01-15T10:04:00.000Z', kind: 'interruption-notice', text: 'spot: two-minute notice ⏱' },
    ],
  });
}

function minimalJob(): Job {
  return makeJob({ spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 }, events: [] });
}

/** The next version of `job`, as the engine would write it. */
function next(job: Job, changes: Partial<Job>): Job {
  return { ...job, ...changes, version: job.version + 1 };
}

function jobStoreContract(name: string, open: () => OpenStores): void {
  describe(`JobStore contract: ${name}`, () => {
    let clock: ManualClock;
    let store: JobStore;
    let leases: LeaseStore;

    async function fresh(nowIso = '2026-01-15T12:00:00.000Z'): Promise<void> {
      clock = new ManualClock(nowIso);
      ({ store, leases } = await open()(clock));
    }

    test('a job reads back exactly as stored: unicode, empty strings, every optional field', async () => {
      await fresh();
      const rich = richJob();
      const minimal = minimalJob();
      await store.create(rich);
      await store.create(minimal);
      expect(await store.get(rich.id)).toStrictEqual(rich);
      expect(await store.get(minimal.id)).toStrictEqual(minimal);
      const withUndefined: Job = { ...makeJob(), reason: undefined, callback: undefined };
      await store.create(withUndefined);
      expect(await store.get(withUndefined.id)).toEqual(withUndefined);
      expect(await store.get('job-missing')).toBeUndefined();
    });

    test('the store keeps its own copy', async () => {
      await fresh();
      const job = makeJob();
      await store.create(job);
      job.spec.env['MODE'] = 'changed after create';
      const read = await store.get(job.id);
      expect(read?.spec.env['MODE']).toBe('full');
      read!.events.push({ at: BASE_TIME, kind: 'started', text: 'mutated by a reader' });
      expect((await store.get(job.id))?.events).toHaveLength(1);
    });

    test('a second create of the same id is a ConflictError and keeps the first', async () => {
      await fresh();
      const job = makeJob();
      await store.create(job);
      await expect(store.create({ ...job, spec: { ...job.spec, image: 'other' } })).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get(job.id)).toStrictEqual(job);
    });

    test('create refuses versions other than 1 and ids with #', async () => {
      await fresh();
      await expect(store.create(makeJob({ version: 2 }))).rejects.toThrow(RangeError);
      await expect(store.create(makeJob({ id: 'lease#poller' }))).rejects.toThrow(RangeError);
    });

    test('update applies from the previous version; a stale or unknown one is a ConflictError', async () => {
      await fresh();
      const v1 = makeJob();
      await store.create(v1);
      const v2 = next(v1, { status: JobStatus.Requested, attempt: 1, spotRequestId: 'sir-1' });
      await store.update(v2);
      expect(await store.get(v1.id)).toStrictEqual(v2);

      const staleV2 = next(v1, { status: JobStatus.Cancelled, reason: 'stale writer' });
      await expect(store.update(staleV2)).rejects.toBeInstanceOf(ConflictError);
      await expect(store.update({ ...v2, version: 7, reason: 'skipped a version' })).rejects.toBeInstanceOf(ConflictError);
      expect(await store.get(v1.id)).toStrictEqual(v2);

      await expect(store.update(next(makeJob(), {}))).rejects.toBeInstanceOf(ConflictError);
    });

    test('of two concurrent updates from the same version exactly one wins', async () => {
      await fresh();
      const v1 = makeJob();
      await store.create(v1);
      const a = next(v1, { status: JobStatus.Requested, reason: 'writer a' });
      const b = next(v1, { status: JobStatus.Cancelled, reason: 'writer b' });
      const results = await Promise.allSettled([store.update(a), store.update(b)]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(1);
      expect(lost[0]!.reason).toBeInstanceOf(ConflictError);
      const winner = results[0]!.status === 'fulfilled' ? a : b;
      expect(await store.get(v1.id)).toStrictEqual(winner);
    });

    test('listActive holds exactly the jobs that need reconciling, and follows them out', async () => {
      await fresh();
      expect(await leases.tryAcquire('poller', 'replica-a', 60_000)).toBe(true);
      const scheduled = makeJob({ runAt: '2026-01-15T11:00:00.000Z' });
      const running = makeJob({ status: JobStatus.Running, attempt: 1, runAt: '2026-01-15T10:00:00.000Z' });
      const failedNotCleaned = makeFinishedJob({ status: JobStatus.Failed, exitCode: 1, cleanedUp: false });
      const pendingCallback = makeCallbackPendingJob({ status: JobStatus.Cancelled });
      const finished = makeFinishedJob();
      const delivered = makeFinishedJob({ callback: { state: CallbackState.Delivered, attempts: 1, lastStatusCode: 200 } });
      const all = [scheduled, running, failedNotCleaned, pendingCallback, finished, delivered];
      for (const job of all) await store.create(job);

      const expected = all.filter(needsReconcile);
      expect(expected.map((j) => j.id).sort()).toEqual([scheduled, running, failedNotCleaned, pendingCallback].map((j) => j.id).sort());
      const active = await store.listActive();
      expect(active.map((j) => j.id).sort()).toEqual(expected.map((j) => j.id).sort());
      expect(active.map((j) => j.runAt)).toEqual([...active.map((j) => j.runAt)].sort());
      expect(active.find((j) => j.id === running.id)).toStrictEqual(running);

      // Terminal, instance gone, no pending callback: leaves the index.
      await store.update(next(running, { status: JobStatus.Succeeded, exitCode: 0, finishedAt: '2026-01-15T11:30:00.000Z', cleanedUp: true }));
      // Terminal with its callback still pending: stays until delivered.
      const cleaned = next(failedNotCleaned, { cleanedUp: true, callback: { state: CallbackState.Pending, attempts: 0 } });
      await store.update(cleaned);
      expect((await store.listActive()).map((j) => j.id).sort()).toEqual([scheduled, failedNotCleaned, pendingCallback].map((j) => j.id).sort());

      await store.update(next(cleaned, { callback: { state: CallbackState.Delivered, attempts: 1, lastStatusCode: 204 } }));
      await store.update(next(pendingCallback, { callback: { state: CallbackState.Failed, attempts: 5, lastError: 'gave up' } }));
      expect((await store.listActive()).map((j) => j.id)).toEqual([scheduled.id]);

      // A job can come back (retry): it re-enters the index.
      const retried = next((await store.get(finished.id))!, { status: JobStatus.Scheduled, cleanedUp: false });
      await store.update(retried);
      expect((await store.listActive()).map((j) => j.id).sort()).toEqual([scheduled.id, finished.id].sort());
    });

    test('listCreatedSince walks back across a day boundary, newest first, up to the limit', async () => {
      await fresh('2026-03-02T00:30:00.000Z');
      const at = (createdAt: string) => makeJob({ createdAt, updatedAt: createdAt });
      const olderDay = at('2026-02-28T23:59:59.999Z');
      const beforeSince = at('2026-03-01T00:29:59.999Z');
      const exactlySince = at('2026-03-01T00:30:00.000Z');
      const lateEvening = at('2026-03-01T23:50:00.000Z');
      const afterMidnight = at('2026-03-02T00:10:00.000Z');
      const finishedToday = makeFinishedJob({ createdAt: '2026-03-02T00:20:00.000Z', finishedAt: '2026-03-02T00:25:00.000Z' });
      for (const job of [olderDay, beforeSince, exactlySince, lateEvening, afterMidnight, finishedToday]) await store.create(job);
      await leases.tryAcquire('poller', 'replica-a', 60_000);

      const since = new Date(clock.now().getTime() - 86_400_000).toISOString();
      const listed = await store.listCreatedSince(since, 100);
      expect(listed.map((j) => j.id)).toEqual([finishedToday.id, afterMidnight.id, lateEvening.id, exactlySince.id]);
      expect(listed[1]).toStrictEqual(afterMidnight);

      expect((await store.listCreatedSince(since, 2)).map((j) => j.id)).toEqual([finishedToday.id, afterMidnight.id]);
      expect((await store.listCreatedSince(since, 3)).map((j) => j.id)).toEqual([finishedToday.id, afterMidnight.id, lateEvening.id]);
      expect(await store.listCreatedSince(since, 0)).toEqual([]);
      expect((await store.listCreatedSince('2026-01-01T00:00:00.000Z', 100)).map((j) => j.id)).toEqual([
        finishedToday.id, afterMidnight.id, lateEvening.id, exactlySince.id, beforeSince.id, olderDay.id,
      ]);
    });

    test('ensureTable again is harmless', async () => {
      await fresh();
      const job = makeJob();
      await store.create(job);
      await store.ensureTable();
      await store.ensureTable();
      expect(await store.get(job.id)).toStrictEqual(job);
    });

    test('a lease is acquired, renewed, contended, expires and is released', async () => {
      await fresh();
      expect(await leases.tryAcquire('poller', 'a', 30_000)).toBe(true);
      expect(await leases.tryAcquire('poller', 'b', 30_000)).toBe(false);
      expect(await leases.tryAcquire('timers', 'b', 30_000)).toBe(true);

      clock.advance(20_000);
      expect(await leases.tryAcquire('poller', 'a', 30_000)).toBe(true); // renewal: now until +50 s
      clock.advance(20_000);
      expect(await leases.tryAcquire('poller', 'b', 30_000)).toBe(false); // the renewal counted

      clock.advance(10_000); // exactly at expiry
      expect(await leases.tryAcquire('poller', 'b', 30_000)).toBe(true);
      expect(await leases.tryAcquire('poller', 'a', 30_000)).toBe(false);

      await leases.release('poller', 'a'); // not a's any more: no effect
      expect(await leases.tryAcquire('poller', 'a', 30_000)).toBe(false);
      await leases.release('poller', 'b');
      expect(await leases.tryAcquire('poller', 'a', 30_000)).toBe(true);
      await leases.release('never-taken', 'a');

      await expect(leases.tryAcquire('poller', 'a', 0)).rejects.toThrow(RangeError);
      expect(await store.listActive()).toEqual([]);
    });

    test('of replicas racing for a free lease exactly one gets it', async () => {
      await fresh();
      const results = await Promise.all(['r1', 'r2', 'r3', 'r4', 'r5'].map((holder) => leases.tryAcquire('poller', holder, 30_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });
  });
}

describe('dynamo-schema', () => {
  test('a job keeps its active shard for ever, and ids spread over every shard', () => {
    expect(activeShardFor('job-000001')).toBe(activeShardFor('job-000001'));
    expect(['', 'a', 'job-000001', '日本語'].map(activeShardFor)).toEqual(['active#1', 'active#0', 'active#0', 'active#2']);
    const counts = new Map<string, number>();
    for (let i = 0; i < 4_000; i++) {
      const shard = activeShardFor(`job-${i}`);
      counts.set(shard, (counts.get(shard) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([...ACTIVE_SHARD_KEYS]);
    for (const count of counts.values()) expect(count).toBeGreaterThan(800);
  });

  test('the table: id key, sparse active index, by-day index, on-demand billing', () => {
    const input = createTableInput('t');
    expect(input).toMatchObject({ TableName: 't', BillingMode: 'PAY_PER_REQUEST', KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] });
    expect(input.GlobalSecondaryIndexes?.map((index) => [index.IndexName, ...index.KeySchema!.map((k) => k.AttributeName), index.Projection?.ProjectionType])).toEqual([
      ['active-jobs', 'activeShard', 'runAt', 'ALL'],
      ['jobs-by-day', 'createdDay', 'createdAt', 'ALL'],
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Backends

let tableSequence = 0;
const clientsToDestroy: DynamoDBClient[] = [];

function dynamoOpener(clientFor: () => DynamoDBClient): OpenStores {
  return async (clock) => {
    const client = clientFor();
    const tableName = `sched-jobs-${++tableSequence}`;
    const store = new DynamoJobStore({ client, tableName, clock, retentionDays: RETENTION_DAYS });
    await store.ensureTable();
    return { store, leases: new DynamoLeaseStore({ client, tableName, clock }) };
  };
}

let dyn: Dynalite;
let moto: Moto | undefined;

beforeAll(async () => {
  dyn = await startDynalite();
});
afterAll(async () => {
  for (const client of clientsToDestroy.splice(0)) client.destroy();
  await Promise.all([dyn?.stop(), moto?.stop()]);
});

function motoClient(extra: Partial<DynamoDBClientConfig> = {}): DynamoDBClient {
  const client = new DynamoDBClient({ ...moto!.clientConfig, ...extra });
  clientsToDestroy.push(client);
  return client;
}

jobStoreContract('dynalite', () => dynamoOpener(() => dyn.client()));
jobStoreContract('memory', () => async (clock) => ({ store: new MemoryJobStore(), leases: new MemoryLeaseStore({ clock }) }));

// ---------------------------------------------------------------------------------------------
// DynamoDB only: what is on the item, how the table comes to be, paging.

function dynamoOnly(name: string, clientFor: () => DynamoDBClient, emulatesTtl: boolean): void {
  describe(`DynamoJobStore on ${name}`, () => {
    let client: DynamoDBClient;
    let tableName: string;
    let store: DynamoJobStore;
    const clock = new ManualClock('2026-01-15T12:00:00.000Z');

    async function rawItem(id: string): Promise<Record<string, unknown> | undefined> {
      const out = await DynamoDBDocumentClient.from(client).send(new GetCommand({ TableName: tableName, Key: { id }, ConsistentRead: true }));
      return out.Item;
    }

    async function freshTable(): Promise<void> {
      client = clientFor();
      tableName = `sched-raw-${++tableSequence}`;
      store = new DynamoJobStore({ client, tableName, clock, retentionDays: RETENTION_DAYS });
      await store.ensureTable();
    }

    test('index and TTL attributes follow needsReconcile', async () => {
      await freshTable();
      const active = makeJob();
      const finished = makeFinishedJob();
      const finishedNoTime = makeFinishedJob({ finishedAt: undefined, updatedAt: '2026-01-16T00:00:00.000Z' });
      for (const job of [active, finished, finishedNoTime]) await store.create(job);

      const activeItem = await rawItem(active.id);
      expect(activeItem).toMatchObject({ activeShard: activeShardFor(active.id), createdDay: '2026-01-15' });
      expect(activeItem).not.toHaveProperty('expiresAt');

      const finishedItem = await rawItem(finished.id);
      expect(finishedItem).not.toHaveProperty('activeShard');
      expect(finishedItem?.['expiresAt']).toBe(Date.parse(finished.finishedAt!) / 1000 + RETENTION_DAYS * 86_400);
      expect((await rawItem(finishedNoTime.id))?.['expiresAt']).toBe(Date.parse('2026-01-16T00:00:00.000Z') / 1000 + RETENTION_DAYS * 86_400);

      // Back to work (a retry): the TTL goes away with the same write.
      await store.update(next(finished, { status: JobStatus.Scheduled, cleanedUp: false }));
      const revived = await rawItem(finished.id);
      expect(revived).not.toHaveProperty('expiresAt');
      expect(revived?.['activeShard']).toBe(activeShardFor(finished.id));
    });

    test(emulatesTtl ? 'ensureTable turns TTL on' : 'ensureTable gets by without UpdateTimeToLive', async () => {
      await freshTable();
      const ttl = (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription;
      if (emulatesTtl) {
        expect(ttl).toMatchObject({ AttributeName: 'expiresAt', TimeToLiveStatus: 'ENABLED' });
      } else {
        expect(ttl?.TimeToLiveStatus).toBe('DISABLED');
      }
      await store.ensureTable();
    });

    test('a job stored before interruptionsTolerated was named reads back with it (legacy maxRetries)', async () => {
      await freshTable();
      const job = makeJob();
      await store.create(job);
      const { interruptionsTolerated, ...legacySpec } = job.spec;
      const item = { ...(await rawItem(job.id)), spec: { ...legacySpec, maxRetries: interruptionsTolerated + 4 } };
      await DynamoDBDocumentClient.from(client).send(new PutCommand({ TableName: tableName, Item: item }));
      expect((await store.get(job.id))?.spec).toStrictEqual({ ...job.spec, interruptionsTolerated: interruptionsTolerated + 4 });
      expect((await store.listActive()).find((j) => j.id === job.id)?.spec.interruptionsTolerated).toBe(interruptionsTolerated + 4);
    });

    test('two replicas creating the table at once both succeed', async () => {
      client = clientFor();
      tableName = `sched-race-${++tableSequence}`;
      const stores = [0, 1, 2].map(() => new DynamoJobStore({ client: clientFor(), tableName, clock, retentionDays: RETENTION_DAYS }));
      await Promise.all(stores.map((s) => s.ensureTable()));
      const job = makeJob();
      await stores[0]!.create(job);
      expect(await stores[2]!.get(job.id)).toStrictEqual(job);
    });

    test('ensureTable refuses a table without the indexes', async () => {
      client = clientFor();
      tableName = `sched-bare-${++tableSequence}`;
      const { GlobalSecondaryIndexes: _indexes, ...bare } = createTableInput(tableName);
      await client.send(new CreateTableCommand({ ...bare, AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }] }));
      const s = new DynamoJobStore({ client, tableName, clock, retentionDays: RETENTION_DAYS });
      await expect(s.ensureTable()).rejects.toThrow(/lacks the index/);
    });
  });
}

dynamoOnly('dynalite', () => dyn.client(), false);
// moto runs on every machine: where it is missing, these fail and say how to install it.
describe('moto', () => {
  beforeAll(async () => {
    moto = await startMoto();
  });
  jobStoreContract('moto', () => dynamoOpener(() => motoClient()));
  dynamoOnly('moto', () => motoClient(), true);
});

describe('DynamoJobStore on dynalite, on disk and at size', () => {
  let queries = 0;
  afterEach(() => {
    queries = 0;
  });

  test('a dynalite on disk keeps jobs across a restart', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sched-dynalite-'));
    try {
      const clock = new ManualClock('2026-01-15T12:00:00.000Z');
      const job = richJob();
      const first = await startDynalite({ path: dir });
      try {
        const store = new DynamoJobStore({ client: first.client(), tableName: 'sched-jobs', clock, retentionDays: 1 });
        await store.ensureTable();
        await store.create(job);
      } finally {
        await first.stop();
      }
      const second = await startDynalite({ path: dir });
      try {
        const store = new DynamoJobStore({ client: second.client(), tableName: 'sched-jobs', clock, retentionDays: 1 });
        await store.ensureTable();
        expect(await store.get(job.id)).toStrictEqual(job);
        expect((await store.listActive()).map((j) => j.id)).toEqual([job.id]);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('listActive pages past 1 MB per shard (1,500 jobs, ~6 MB)', async () => {
    const client = dyn.client();
    // Counted on the wire, where each page is one request.
    client.middlewareStack.add(
      (nextHandler) => async (args) => {
        const request = args.request as { headers?: Record<string, string> };
        if (request.headers?.['x-amz-target'] === 'DynamoDB_20120810.Query') queries += 1;
        return nextHandler(args);
      },
      { step: 'build', name: 'countQueries' },
    );
    const clock = new ManualClock('2026-01-15T12:00:00.000Z');
    const tableName = `sched-big-${++tableSequence}`;
    const store = new DynamoJobStore({ client, tableName, clock, retentionDays: RETENTION_DAYS });
    await store.ensureTable();

    const padding = 'x'.repeat(4_000);
    const jobs = Array.from({ length: 1_500 }, (_, i) =>
      makeJob({ runAt: new Date(Date.parse(BASE_TIME) + i * 1000).toISOString(), spec: { env: { PAD: padding, N: String(i) } } }),
    );
    const finished = Array.from({ length: 50 }, () => makeFinishedJob());
    const queue = [...jobs, ...finished];
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let job = queue.shift(); job; job = queue.shift()) await store.create(job);
      }),
    );

    queries = 0;
    const active = await store.listActive();
    expect(active).toHaveLength(jobs.length);
    expect(new Set(active.map((j) => j.id))).toEqual(new Set(jobs.map((j) => j.id)));
    expect(active.map((j) => j.runAt)).toEqual(jobs.map((j) => j.runAt));
    expect(active[777]).toStrictEqual(jobs[777]);
    // Every shard holds ~1.5 MB, so each needs a second page.
    expect(queries).toBeGreaterThanOrEqual(2 * ACTIVE_SHARD_KEYS.length);
  }, 30_000);
});

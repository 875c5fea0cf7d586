import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { DynamoScheduleStore, MemoryScheduleStore } from '../../bot/adapters/dynamo-schedules.js';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoJobStore } from '../../bot/adapters/dynamo-store.js';
import { MemoryFleet } from '../../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { firingJobId, nextFiring } from '../../bot/core/cron.js';
import { FakeClock } from '../harness/clock.js';
import type { NewSchedule } from '../../bot/core/schedule.js';
import type { JobStore, ScheduleStore } from '../../bot/ports.js';
import { startDynalite, type Dynalite } from '../harness/dynalite.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { Scheduler } from '../../bot/engine/scheduler.js';
import { ValidationError } from '../../bot/core/errors.js';
import { pino } from 'pino';

/** Every replica a test built: stopped after it, so no timer outlives its test. */
const replicas: ReturnType<typeof memoryReplica>[] = [];
afterEach(async () => {
  for (const { scheduler, engine } of replicas.splice(0)) {
    scheduler.stop();
    await engine.stop();
  }
});

function replica(store: JobStore, schedules: ScheduleStore, clock: FakeClock, fleet = new MemoryFleet()) {
  const built = memoryReplica({ store, schedules, clock, fleet });
  replicas.push(built);
  return built;
}

const START = new Date('2026-03-01T12:00:30.000Z');

const every15: NewSchedule = {
  expression: '*/15 * * * *',
  timezone: 'UTC',
  spec: { image: 'alpine:3.20', command: ['date'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 1 },
  owner: { kind: 'slack', id: 'U1' },
};

describe('cron arithmetic', () => {
  test('next firing in a zone, across a DST change', () => {
    // Europe/Berlin leaves summer time on 2026-10-25: 09:00 local is 07:00Z before, 08:00Z after.
    expect(nextFiring('0 9 * * *', 'Europe/Berlin', new Date('2026-10-24T12:00:00Z'))?.toISOString()).toBe('2026-10-25T08:00:00.000Z');
    expect(nextFiring('0 9 * * *', 'Europe/Berlin', new Date('2026-10-23T12:00:00Z'))?.toISOString()).toBe('2026-10-24T07:00:00.000Z');
  });

  test('a firing has one derived job id', () => {
    expect(firingJobId('s-abc', new Date('2026-12-01T09:00:00Z'))).toBe('s-abc-20261201t0900');
  });
});

describe('scheduler', () => {
  test('each firing starts exactly one job, whoever sees it and however often', async () => {
    const store = new MemoryJobStore();
    const schedules = new MemoryScheduleStore();
    const clock = new FakeClock(START);
    const fleet = new MemoryFleet();
    const a = replica(store, schedules, clock, fleet);
    const b = replica(store, schedules, clock, fleet);
    const created = await a.scheduler.createSchedule(every15);
    expect(created.nextRunAt).toBe('2026-03-01T12:15:00.000Z');

    clock.advance(14 * 60);
    await a.engine.reconcileOnce();
    expect(await store.listActive()).toEqual([]);

    clock.advance(60);
    await Promise.all([a.scheduler.fireDue(), b.scheduler.fireDue(), a.engine.reconcileOnce(), b.engine.reconcileOnce()]);
    const jobs = await store.listActive();
    expect(jobs.map((j) => j.id)).toEqual([firingJobId(created.id, new Date('2026-03-01T12:15:00Z'))]);
    expect(jobs[0]).toMatchObject({ scheduleId: created.id, owner: every15.owner });
    expect(['requested', 'launching']).toContain(jobs[0]!.status);
    expect(fleet.calls.filter((c) => c.op === 'launch')).toHaveLength(1);
    expect((await schedules.getSchedule(created.id))!.nextRunAt).toBe('2026-03-01T12:30:00.000Z');
  });

  test('after downtime only the latest missed firing runs, then the schedule moves on', async () => {
    const store = new MemoryJobStore();
    const schedules = new MemoryScheduleStore();
    const clock = new FakeClock(START);
    const before = replica(store, schedules, clock);
    const created = await before.scheduler.createSchedule(every15);
    before.scheduler.stop();

    clock.advance(3600); // four firings missed while no bot ran
    const after = replica(store, schedules, clock);
    await after.scheduler.start();
    await after.engine.reconcileOnce();
    expect((await store.listActive()).map((j) => j.id)).toEqual([firingJobId(created.id, new Date('2026-03-01T13:00:00Z'))]);
    expect((await schedules.getSchedule(created.id))!.nextRunAt).toBe('2026-03-01T13:15:00.000Z');
  });

  test('a pass reads again only the schedules that are due', async () => {
    const schedules = new MemoryScheduleStore();
    const clock = new FakeClock(START);
    const { scheduler } = replica(new MemoryJobStore(), schedules, clock);
    await scheduler.createSchedule(every15);
    await scheduler.createSchedule({ ...every15, expression: '0 9 * * *' });
    const reads: string[] = [];
    const getSchedule = schedules.getSchedule.bind(schedules);
    schedules.getSchedule = async (id) => {
      reads.push(id);
      return getSchedule(id);
    };
    expect(await scheduler.fireDue()).toBe(0);
    expect(reads).toEqual([]);
    clock.advance(15 * 60);
    expect(await scheduler.fireDue()).toBe(1);
    expect(reads).toHaveLength(1);
  });

  test('a cancelled schedule fires no more', async () => {
    const store = new MemoryJobStore();
    const schedules = new MemoryScheduleStore();
    const clock = new FakeClock(START);
    const { scheduler, engine } = replica(store, schedules, clock);
    const created = await scheduler.createSchedule(every15);
    await scheduler.cancelSchedule(created.id, 'U1');
    await expect(scheduler.cancelSchedule(created.id, 'U1')).rejects.toMatchObject({ code: 'invalid' });
    clock.advance(3600);
    await engine.reconcileOnce();
    expect(await store.listActive()).toEqual([]);
    expect(await scheduler.listSchedules()).toEqual([]);
  });

  test('an invalid expression is refused', async () => {
    const { scheduler } = replica(new MemoryJobStore(), new MemoryScheduleStore(), new FakeClock(START));
    await expect(scheduler.createSchedule({ ...every15, expression: 'every tuesday' })).rejects.toMatchObject({ code: 'invalid' });
  });
});

describe('schedules in DynamoDB (dynalite)', () => {
  let dynalite: Dynalite;
  beforeAll(async () => {
    dynalite = await startDynalite();
  });
  afterAll(async () => {
    await dynalite?.stop();
  });

  test('schedules live beside jobs without showing up as jobs', async () => {
    const clock = new FakeClock(START);
    const jobs = new DynamoJobStore({ client: dynalite.client(), tableName: 'sched-test', clock, retentionDays: 1 });
    await jobs.ensureTable();
    const schedules = new DynamoScheduleStore({ client: dynalite.client(), tableName: 'sched-test' });
    const { scheduler, engine } = replica(jobs, schedules, clock);
    const created = await scheduler.createSchedule(every15);
    expect(await schedules.getSchedule(created.id)).toEqual(created);
    expect(await schedules.listActiveSchedules()).toEqual([created]);

    // Written before the field was named for what it means: read back under its new name.
    const key = { id: `schedule#${created.id}` };
    const stored = (await DynamoDBDocumentClient.from(dynalite.client()).send(new GetCommand({ TableName: 'sched-test', Key: key }))).Item!;
    const { interruptionsTolerated, ...legacySpec } = created.spec;
    await DynamoDBDocumentClient.from(dynalite.client()).send(new PutCommand({ TableName: 'sched-test', Item: { ...stored, spec: { ...legacySpec, maxRetries: interruptionsTolerated } } }));
    expect(await schedules.getSchedule(created.id)).toEqual(created);
    expect(await jobs.listActive()).toEqual([]);
    await expect(schedules.updateSchedule({ ...created, version: 5 })).rejects.toMatchObject({ code: 'conflict' });

    clock.advance(15 * 60);
    await engine.reconcileOnce();
    expect((await jobs.listActive()).map((j) => j.scheduleId)).toEqual([created.id]);
    await scheduler.cancelSchedule(created.id, 'U1');
    expect(await schedules.listActiveSchedules()).toEqual([]);
  });
});

test('a schedule whose callback no firing could call is refused when it is made, and not stored', async () => {
  const store = new MemoryScheduleStore();
  const scheduler = new Scheduler({
    store,
    createJob: async () => {
      throw new Error('no job should be created');
    },
    checkCallback: async (url) => {
      if (url === 'http://127.0.0.1:9/cb') throw new ValidationError(['callback: callback address 127.0.0.1 is loopback']);
    },
    clock: new FakeClock(START),
    logger: pino({ level: 'silent' }),
  });
  const input: NewSchedule = { expression: '0 9 * * *', timezone: 'UTC', spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 1, callbackUrl: 'http://127.0.0.1:9/cb' }, owner: { kind: 'api', id: 'api' } };
  await expect(scheduler.createSchedule(input)).rejects.toMatchObject({ problems: ['callback: callback address 127.0.0.1 is loopback'] });
  expect(await store.listActiveSchedules()).toEqual([]);
});

test('a schedule records where its firings run, so its view speaks of this machine, not instance types', async () => {
  const store = new MemoryScheduleStore();
  const made = (compute?: 'local' | 'ec2') =>
    new Scheduler({ store, createJob: async () => Promise.reject(new Error('no firing here')), clock: new FakeClock(START), logger: pino({ level: 'silent' }), ...(compute && { compute }) });
  const input: NewSchedule = { expression: '0 9 * * *', timezone: 'UTC', spec: { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 1 }, owner: { kind: 'api', id: 'api' } };
  const local = made('local');
  const created = await local.createSchedule(input);
  local.stop();
  expect((await store.getSchedule(created.id))?.compute).toBe('local');
  const ec2 = made('ec2');
  expect((await ec2.createSchedule(input)).compute).toBe('ec2');
  ec2.stop();
});

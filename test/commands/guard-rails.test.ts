/**
 * The operator's guard rails on every path that creates a job for a person: `run` (now, later,
 * dry run, cron), `retry` (command and button) and a schedule's firing. A price above
 * SCHED_MAX_PRICE_CEILING or a timeout above SCHED_MAX_TIMEOUT is refused naming the limit; a job
 * that leaves them out gets the ceiling and the default timeout; a firing gets the limits in force
 * when it fires (lowered, recorded); SCHED_MAX_ACTIVE_JOBS_PER_USER holds for retries and firings.
 */
import { afterEach, describe, expect, test } from 'vitest';
import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { MemoryScheduleStore } from '../../bot/adapters/dynamo-schedules.js';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { executeCommand } from '../../bot/commands/execute.js';
import type { Actor, CommandDeps, CommandOutcome } from '../../bot/commands/types.js';
import type { GuardRails } from '../../bot/core/request/guard-rails.js';
import type { JobDefaults } from '../../bot/core/request/job-request.js';
import { parseCommand } from '../../bot/core/parsing/grammar.js';
import { describeEvent } from '../../bot/core/view/event-words.js';
import { scheduleView } from '../../bot/core/view/schedule-view.js';
import { buttonListener } from '../../bot/slack/listeners/actions.js';
import type { SlackContext } from '../../bot/slack/listeners/context.js';
import type { UserZones } from '../../bot/slack/user-zones.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

const ALICE: Actor = { surface: 'slack', userId: 'UALICE', channelId: 'CJOBS' };
const ADMIN = 'UADMIN';
const ACCESS = { allowedUsers: [], allowedChannels: [], admins: [ADMIN] };
const START = new Date('2026-03-01T12:00:30.000Z');

const replicas: ReturnType<typeof memoryReplica>[] = [];
afterEach(async () => {
  for (const { scheduler, engine } of replicas.splice(0)) {
    scheduler.stop();
    await engine.stop();
  }
});

function chat(clock: FakeClock, opts: { rails?: GuardRails; activeJobsPerUser?: number; store?: MemoryJobStore; schedules?: MemoryScheduleStore } = {}) {
  const store = opts.store ?? new MemoryJobStore();
  const schedules = opts.schedules ?? new MemoryScheduleStore();
  const limits = opts.activeJobsPerUser === undefined ? undefined : { activeJobsPerUser: opts.activeJobsPerUser, schedulesPerUser: 10 };
  const replica = memoryReplica({ clock, store, schedules, ...(opts.rails && { guardRails: opts.rails }), ...(limits && { caps: { access: ACCESS, limits } }) });
  replicas.push(replica);
  const defaults: JobDefaults = { instanceTypes: ['t3.micro'], interruptionsTolerated: 3, ...(opts.rails && { guardRails: opts.rails }) };
  const deps: CommandDeps = { jobs: replica.engine, schedules: replica.scheduler, access: ACCESS, clock, ...(limits && { limits }) };
  const exec = async (text: string, actor: Actor = ALICE): Promise<CommandOutcome> => {
    const parsed = parseCommand(text, { now: clock.now(), userTimezone: 'UTC', defaults });
    if (!parsed.ok) return { kind: 'invalid', error: parsed.error, usage: parsed.usage };
    return executeCommand(parsed.command, actor, deps);
  };
  /** The Retry button on a job's message, pressed by `userId`: the listener Bolt calls. */
  const pressRetry = async (jobId: string, userId = ALICE.userId): Promise<string> => {
    const replies: { text: string }[] = [];
    const ctx: SlackContext = { deps, defaults, zones: {} as UserZones, rememberResponder: () => undefined, audit: () => undefined };
    const args = {
      ack: async () => undefined,
      body: { user: { id: userId }, channel: { id: 'CJOBS' } },
      action: { action_id: 'job_retry', value: jobId },
      respond: async (message: { text: string }) => {
        replies.push(message);
      },
    } as unknown as SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;
    await buttonListener(ctx)(args);
    return replies.map((r) => r.text).join('\n');
  };
  return { ...replica, exec, pressRetry, store, schedules };
}

const allJobs = (store: MemoryJobStore) => store.listCreatedSince('1970-01-01T00:00:00.000Z', 1000);

async function createdJob(outcome: Promise<CommandOutcome>) {
  const done = await outcome;
  if (done.kind !== 'job-created') throw new Error(JSON.stringify(done));
  return done.job;
}

const RAILS: GuardRails = { maxPriceCeiling: '0.50', defaultTimeoutSeconds: 3600, maxTimeoutSeconds: 6 * 3600 };

describe('SCHED_MAX_PRICE_CEILING, SCHED_DEFAULT_TIMEOUT and SCHED_MAX_TIMEOUT in chat', () => {
  test('run above a limit (now, later, dry run, cron): refused naming the limit; nothing stored or launched', async () => {
    const clock = new FakeClock(START);
    const { exec, store, schedules, fleet } = chat(clock, { rails: RAILS });
    for (const when of ['', '--in 1h ', '--dry-run ', '--cron "0 9 * * *" ']) {
      const price = await exec(`run ${when}--max-price 999999 alpine true`);
      expect(price).toMatchObject({ kind: 'invalid' });
      expect(price.kind === 'invalid' && price.error).toContain("--max-price: 999999 USD per hour is above this deployment's ceiling of 0.50 (the operator's SCHED_MAX_PRICE_CEILING)");
      const timeout = await exec(`run ${when}--timeout 7h alpine true`);
      expect(timeout.kind === 'invalid' && timeout.error).toContain("--timeout: 7h is longer than this deployment's maximum of 6h (the operator's SCHED_MAX_TIMEOUT)");
    }
    expect(await allJobs(store)).toEqual([]);
    expect(await schedules.listActiveSchedules()).toEqual([]);
    expect(fleet.plans).toEqual([]);
  });

  test('at the limits: accepted; left out: the ceiling as max price (the spot request MaxPrice) and the default timeout', async () => {
    const clock = new FakeClock(START);
    const { exec, fleet } = chat(clock, { rails: RAILS });
    const atLimits = await createdJob(exec('run --max-price $0.5 --timeout 6h alpine true'));
    expect(atLimits.spec).toMatchObject({ maxPrice: '0.5', timeoutSeconds: 6 * 3600 });
    const leftOut = await createdJob(exec('run alpine true'));
    expect(leftOut.spec).toMatchObject({ maxPrice: '0.50', timeoutSeconds: 3600 });
    expect(fleet.plans.map((plan) => plan.maxPrice)).toEqual(['0.5', '0.50']);
    // Only a maximum: a job without --timeout gets the maximum, so none runs unbounded.
    const onlyMax = chat(clock, { rails: { maxTimeoutSeconds: 7200 } });
    expect((await createdJob(onlyMax.exec('run alpine true'))).spec.timeoutSeconds).toBe(7200);
    // No limits: as before.
    const none = chat(clock);
    expect((await createdJob(none.exec('run alpine true'))).spec).not.toHaveProperty('timeoutSeconds');
  });

  test('retry (command and button) of a job above the limits now: refused saying which option to give; no new job', async () => {
    const clock = new FakeClock(START);
    const store = new MemoryJobStore();
    const before = chat(clock, { store });
    const old = await createdJob(before.exec('run --max-price 5 --timeout 12h alpine true'));
    await before.exec(`cancel ${old.id}`);
    const count = (await allJobs(store)).length;

    const after = chat(clock, { store, rails: RAILS });
    const outcome = await after.exec(`retry ${old.id}`);
    expect(outcome).toMatchObject({ kind: 'invalid' });
    const error = outcome.kind === 'invalid' ? outcome.error : '';
    expect(error).toContain(`job ${old.id} cannot be retried as it was: 5 USD per hour is above this deployment's ceiling of 0.50 (the operator's SCHED_MAX_PRICE_CEILING); run it again with --max-price`);
    expect(error).toContain(`job ${old.id} cannot be retried as it was: 12h is longer than this deployment's maximum of 6h (the operator's SCHED_MAX_TIMEOUT); run it again with --timeout`);
    expect(await after.pressRetry(old.id)).toContain('cannot be retried as it was');
    expect((await allJobs(store)).length).toBe(count);

    // A job that left them out is retried with what the limits give now.
    const plain = await createdJob(before.exec('run alpine true'));
    await before.exec(`cancel ${plain.id}`);
    expect((await createdJob(after.exec(`retry ${plain.id}`))).spec).toMatchObject({ maxPrice: '0.50', timeoutSeconds: 3600 });
  });

  test("a schedule's firing gets the limits in force when it fires: lowered, never refused, and its created event says so", async () => {
    const clock = new FakeClock(START);
    const schedules = new MemoryScheduleStore();
    const store = new MemoryJobStore();
    const before = chat(clock, { store, schedules });
    const made = await before.exec('run --cron "*/15 * * * *" --max-price 5 --timeout 12h alpine true');
    expect(made.kind).toBe('schedule-created');
    before.scheduler.stop();

    const after = chat(clock, { store, schedules, rails: RAILS });
    clock.current = new Date('2026-03-01T12:15:01.000Z');
    expect(await after.scheduler.fireDue()).toBe(1);
    const [job] = await allJobs(store);
    expect(job!.spec).toMatchObject({ maxPrice: '0.50', timeoutSeconds: 6 * 3600 });
    expect(describeEvent(job!.events[0]!)).toBe(
      "created; starting now; max price lowered from 5 to 0.50 USD per hour (the operator's SCHED_MAX_PRICE_CEILING); timeout lowered from 12h to 6h (the operator's SCHED_MAX_TIMEOUT)",
    );
  });
});

describe('SCHED_MAX_ACTIVE_JOBS_PER_USER on every path that creates a job', () => {
  test('retry, as a command and as the Retry button: refused at the cap; an admin is not capped', async () => {
    const clock = new FakeClock(START);
    const { exec, pressRetry, store } = chat(clock, { activeJobsPerUser: 2 });
    const first = await createdJob(exec('run alpine true'));
    await exec(`cancel ${first.id}`);
    await createdJob(exec('run --in 1h alpine true'));
    await createdJob(exec('run --in 1h alpine true'));
    const count = (await allJobs(store)).length;

    expect(await exec(`retry ${first.id}`)).toEqual({
      kind: 'denied',
      reason: 'you already have 2 jobs that have not ended (the limit is 2, SCHED_MAX_ACTIVE_JOBS_PER_USER); cancel some or let them finish',
    });
    expect(await pressRetry(first.id)).toContain('you already have 2 jobs that have not ended (the limit is 2, SCHED_MAX_ACTIVE_JOBS_PER_USER)');
    expect((await allJobs(store)).length).toBe(count);
    expect(await exec(`retry ${first.id}`, { surface: 'slack', userId: ADMIN, channelId: 'CJOBS' })).toMatchObject({ kind: 'job-created' });
  });

  test("a schedule's firing while its owner is at the cap: no job, the schedule moves on, its status says why", async () => {
    const clock = new FakeClock(START);
    const { exec, scheduler, store } = chat(clock, { activeJobsPerUser: 1 });
    const made = await exec('run --cron "*/15 * * * *" alpine true');
    if (made.kind !== 'schedule-created') throw new Error(JSON.stringify(made));
    await createdJob(exec('run --in 1h alpine true'));

    clock.current = new Date('2026-03-01T12:15:01.000Z');
    expect(await scheduler.fireDue()).toBe(0);
    expect((await allJobs(store)).filter((job) => job.scheduleId)).toEqual([]);
    const skipped = (await scheduler.getSchedule(made.schedule.id))!;
    expect(skipped).toMatchObject({ nextRunAt: '2026-03-01T12:30:00.000Z', lastSkipped: { at: '2026-03-01T12:15:00.000Z' } });
    expect(scheduleView(skipped, clock.now()).fields).toContainEqual({
      label: 'Last skipped',
      value: expect.stringContaining('2026-03-01 12:15 UTC (now): you already have 1 jobs that have not ended (the limit is 1, SCHED_MAX_ACTIVE_JOBS_PER_USER)'),
    });

    // Below the cap again: the next firing starts its job.
    for (const job of await store.listActive()) await exec(`cancel ${job.id}`);
    clock.current = new Date('2026-03-01T12:30:01.000Z');
    expect(await scheduler.fireDue()).toBe(1);
  });
});

import { describe, expect, test } from 'vitest';
import { executeCommand, failureText } from '../../bot/commands/execute.js';
import type { Actor, CommandDeps, CommandOutcome } from '../../bot/commands/types.js';
import type { AccessPolicy } from '../../bot/core/access.js';
import { ConflictError } from '../../bot/core/errors.js';
import { jobReason } from '../../bot/core/view/event-words.js';
import { parseCommand } from '../../bot/core/parsing/grammar.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

const ALICE: Actor = { surface: 'slack', userId: 'UALICE', channelId: 'CJOBS' };
const BOB: Actor = { surface: 'slack', userId: 'UBOB', channelId: 'CJOBS' };
const ADMIN: Actor = { surface: 'slack', userId: 'UADMIN', channelId: 'COTHER' };

function setup(access: AccessPolicy = { allowedUsers: [], allowedChannels: [], admins: ['UADMIN'] }, limits?: CommandDeps['limits']) {
  const clock = new FakeClock();
  const { engine, scheduler, fleet } = memoryReplica({ clock });
  const deps: CommandDeps = { jobs: engine, schedules: scheduler, access, clock, ...(limits && { limits }) };
  const exec = async (text: string, actor: Actor = ALICE): Promise<CommandOutcome> => {
    const parsed = parseCommand(text, { now: clock.now(), userTimezone: 'UTC', defaults: { instanceTypes: ['t3.micro'], interruptionsTolerated: 3 } });
    if (!parsed.ok) return { kind: 'invalid', error: parsed.error, usage: parsed.usage };
    return executeCommand(parsed.command, actor, deps);
  };
  return { clock, engine, scheduler, fleet, exec };
}

async function createdJobId(outcome: Promise<CommandOutcome>): Promise<string> {
  const result = await outcome;
  if (result.kind !== 'job-created') throw new Error(`expected a job, got ${JSON.stringify(result)}`);
  return result.job.id;
}

describe('/sched use cases', () => {
  test('run now: a job owned by the caller, posted back to the channel', async () => {
    const { exec, fleet } = setup();
    const outcome = await exec('run -e MODE=full --name etl ghcr.io/acme/etl:1.4 python run.py');
    expect(outcome).toMatchObject({
      kind: 'job-created',
      job: { status: 'requested', owner: { kind: 'slack', id: 'UALICE' }, origin: { surface: 'slack', channel: 'CJOBS' }, spec: { image: 'ghcr.io/acme/etl:1.4', command: ['python', 'run.py'], env: { MODE: 'full' }, name: 'etl' } },
    });
    expect(fleet.requests.size).toBe(1);
  });

  test('run --in: scheduled for later; run --cron: a schedule', async () => {
    const { exec } = setup();
    expect(await exec('run --in 10m alpine echo hi')).toMatchObject({ kind: 'job-created', job: { status: 'scheduled', runAt: '2026-03-01T12:10:00.000Z' } });
    expect(await exec('run --cron "0 9 * * 1-5" --tz Europe/Berlin alpine date')).toMatchObject({
      kind: 'schedule-created',
      schedule: { expression: '0 9 * * 1-5', timezone: 'Europe/Berlin', status: 'active', nextRunAt: '2026-03-02T08:00:00.000Z' },
    });
  });

  test('list shows your own jobs and schedules; --all shows everyone\'s', async () => {
    const { exec } = setup();
    const mine = await createdJobId(exec('run alpine true'));
    const theirs = await createdJobId(exec('run alpine true', BOB));
    await exec('run --cron "0 9 * * *" alpine date');
    const own = await exec('list');
    expect(own.kind === 'list' && own.jobs.map((j) => j.id)).toEqual([mine]);
    expect(own.kind === 'list' && own.schedules).toHaveLength(1);
    const all = await exec('list --all', BOB);
    expect(all.kind === 'list' && all.jobs.map((j) => j.id).sort()).toEqual([mine, theirs].sort());
  });

  test('cancel and retry: the owner and admins only; others are refused and nothing changes', async () => {
    const { exec, engine } = setup();
    const id = await createdJobId(exec('run alpine sleep 60'));
    expect(await exec(`cancel ${id}`, BOB)).toEqual({ kind: 'denied', reason: `you cannot cancel ${id}: only its owner (<@UALICE>) or an admin may do that` });
    expect((await engine.getJob(id))!.status).toBe('requested');
    expect(await exec(`retry ${id}`)).toMatchObject({ kind: 'invalid' });
    const cancelled = await exec(`cancel ${id}`);
    expect(cancelled).toMatchObject({ kind: 'job-cancelled', job: { status: 'cancelled' } });
    expect(cancelled.kind === 'job-cancelled' && jobReason(cancelled.job)).toBe('cancelled by <@UALICE>');
    expect(await exec(`cancel ${id}`)).toMatchObject({ kind: 'invalid', error: expect.stringMatching(/already ended/) });
    expect(await exec(`retry ${id}`, BOB)).toMatchObject({ kind: 'denied' });
    const again = await exec(`retry ${id}`, ADMIN);
    expect(again).toMatchObject({ kind: 'job-created', job: { owner: { id: 'UADMIN' }, origin: { channel: 'COTHER' } } });
  });

  test('a schedule is cancelled by its id', async () => {
    const { exec } = setup();
    const created = await exec('run --cron "*/30 * * * *" alpine date');
    if (created.kind !== 'schedule-created') throw new Error('no schedule');
    expect(await exec(`cancel ${created.schedule.id}`, BOB)).toMatchObject({ kind: 'denied' });
    expect(await exec(`status ${created.schedule.id}`, BOB)).toMatchObject({ kind: 'schedule-status' });
    expect(await exec(`cancel ${created.schedule.id}`)).toMatchObject({ kind: 'schedule-cancelled', schedule: { status: 'cancelled' } });
  });

  test('status, logs and unknown ids', async () => {
    const { exec, engine } = setup();
    const id = await createdJobId(exec('run alpine echo hi'));
    await engine.agentReport({ jobId: id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'hi\n' });
    expect(await exec(`status ${id}`, BOB)).toMatchObject({ kind: 'job-status', job: { status: 'succeeded' } });
    expect(await exec(`logs ${id}`)).toMatchObject({ kind: 'job-logs', job: { logTail: 'hi\n' } });
    expect(await exec('status j-doesnotexist')).toMatchObject({ kind: 'invalid', error: expect.stringMatching(/no job or schedule "j-doesnotexist"/) });
  });

  test('details and output stay with the owner, admins and the job\'s own channel', async () => {
    const { exec, engine } = setup();
    const id = await createdJobId(exec('run alpine echo secret-output'));
    await engine.agentReport({ jobId: id, status: 'finished', attempt: 1, exitCode: 0, logTail: 'secret-output\n' });
    const elsewhere: Actor = { surface: 'slack', userId: 'UCAROL', channelId: 'CRANDOM' };
    expect(await exec(`status ${id}`, elsewhere)).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/only its owner, an admin, or people in the channel/) });
    expect(await exec(`logs ${id}`, elsewhere)).toMatchObject({ kind: 'denied' });
    const listed = await exec('list --all', elsewhere);
    expect(listed.kind === 'list' && listed.jobs).toEqual([]);
    expect(await exec(`logs ${id}`, { ...elsewhere, channelId: 'CJOBS' })).toMatchObject({ kind: 'job-logs' });
    expect(await exec(`logs ${id}`, ADMIN)).toMatchObject({ kind: 'job-logs' });
    const adminList = await exec('list --all', ADMIN);
    expect(adminList.kind === 'list' && adminList.jobs.map((j) => j.id)).toEqual([id]);
  });

  test('per-person caps on jobs that have not ended and on schedules; admins are exempt', async () => {
    const { exec, fleet } = setup(undefined, { activeJobsPerUser: 2, schedulesPerUser: 1 });
    await createdJobId(exec('run --in 1h alpine true'));
    await createdJobId(exec('run --in 1h alpine true'));
    expect(await exec('run alpine true')).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/2 jobs that have not ended \(the limit is 2, SCHED_MAX_ACTIVE_JOBS_PER_USER\)/) });
    expect(fleet.requests.size).toBe(0);
    expect(await exec('run alpine true', BOB)).toMatchObject({ kind: 'job-created' });
    expect(await exec('run alpine true', ADMIN)).toMatchObject({ kind: 'job-created' });
    expect(await exec('run --cron "0 9 * * *" alpine date')).toMatchObject({ kind: 'schedule-created' });
    expect(await exec('run --cron "0 10 * * *" alpine date')).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/SCHED_MAX_SCHEDULES_PER_USER/) });
  });

  test('who may use Sched at all', async () => {
    const { exec, fleet } = setup({ allowedUsers: ['UALICE'], allowedChannels: ['CJOBS'], admins: ['UADMIN'] });
    expect(await exec('run alpine true', BOB)).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/SCHED_ALLOWED_USERS/) });
    expect(await exec('run alpine true', { ...ALICE, channelId: 'CRANDOM' })).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/SCHED_ALLOWED_CHANNELS/) });
    expect(await exec('help', BOB)).toMatchObject({ kind: 'help' });
    expect(fleet.requests.size).toBe(0);
    expect(await exec('run alpine true', ADMIN)).toMatchObject({ kind: 'job-created' });
  });

  test('domain errors are answers: a lost conditional write is a conflict; anything else stays thrown', async () => {
    const { exec, engine, scheduler } = setup();
    const id = await createdJobId(exec('run alpine sleep 60'));
    engine.cancelJob = async () => {
      throw new ConflictError(`job ${id} is not at version 2`);
    };
    expect(await exec(`cancel ${id}`)).toEqual({ kind: 'conflict', reason: `${id} changed while Sched was answering, so nothing was done; try again` });
    scheduler.createSchedule = async () => {
      throw new ConflictError('schedule s-x exists');
    };
    expect(await exec('run --cron "0 9 * * *" alpine date')).toEqual({ kind: 'conflict', reason: 'another change came first while Sched was answering, so nothing was done; try again' });
    engine.listRecentJobs = async () => {
      throw new Error('the store is unreachable');
    };
    await expect(exec('list')).rejects.toThrow('the store is unreachable');
    expect(failureText(new Error('the store is unreachable'), 'operator')).toBe('Sched could not do that: the store is unreachable');
    expect(failureText('a string', 'operator')).toBe('Sched could not do that: a string');
    expect(failureText(new Error('table sched-jobs at 10.0.0.5'), 'member')).not.toMatch(/sched-jobs|10\.0\.0\.5/);
  });

  test('the operator (the terminal\'s user) manages and sees every job, as an admin, but is capped', async () => {
    const { exec } = setup(undefined, { activeJobsPerUser: 1, schedulesPerUser: 1 });
    const OPERATOR: Actor = { surface: 'terminal', userId: 'ada', operator: true };
    const theirs = await createdJobId(exec('run --in 1h alpine true'));
    expect(await exec(`status ${theirs}`, OPERATOR)).toMatchObject({ kind: 'job-status' });
    const all = await exec('list --all', OPERATOR);
    expect(all.kind === 'list' && all.jobs.map((j) => j.id)).toEqual([theirs]);
    expect(await exec('run --in 1h alpine true', OPERATOR)).toMatchObject({ kind: 'job-created' });
    expect(await exec('run alpine true', OPERATOR)).toMatchObject({ kind: 'denied', reason: expect.stringMatching(/SCHED_MAX_ACTIVE_JOBS_PER_USER/) });
    const cancelled = await exec(`cancel ${theirs}`, OPERATOR);
    expect(cancelled.kind === 'job-cancelled' && jobReason(cancelled.job)).toBe('cancelled by ada');
    // Without the operator's standing, the same person is one user among others.
    expect(await exec(`status ${theirs}`, { surface: 'terminal', userId: 'ada' })).toMatchObject({ kind: 'denied' });
  });
});

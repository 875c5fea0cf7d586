/**
 * The operator's allow-list of instance types in chat: `run --type` outside it is refused before
 * anything is stored, and `retry` of a job created before the list was narrowed says why it cannot
 * run as it was, instead of a launch IAM would refuse.
 */
import { describe, expect, test } from 'vitest';
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import { executeCommand } from '../../bot/commands/execute.js';
import type { Actor, CommandDeps, CommandOutcome } from '../../bot/commands/types.js';
import type { JobDefaults } from '../../bot/core/request/job-request.js';
import { parseCommand } from '../../bot/core/parsing/grammar.js';
import { FakeClock } from '../harness/clock.js';
import { memoryReplica } from '../harness/memory-engine.js';

const ALICE: Actor = { surface: 'slack', userId: 'UALICE', channelId: 'CJOBS' };
const ACCESS = { allowedUsers: [], allowedChannels: [], admins: [] };

function chat(clock: FakeClock, store: MemoryJobStore, allowed: string[]) {
  const { engine, scheduler, fleet } = memoryReplica({ clock, store, allowedInstanceTypes: allowed });
  const defaults: JobDefaults = { instanceTypes: [allowed[0]!], interruptionsTolerated: 3, allowedInstanceTypes: allowed };
  const deps: CommandDeps = { jobs: engine, schedules: scheduler, access: ACCESS, clock };
  const exec = async (text: string): Promise<CommandOutcome> => {
    const parsed = parseCommand(text, { now: clock.now(), userTimezone: 'UTC', defaults });
    if (!parsed.ok) return { kind: 'invalid', error: parsed.error, usage: parsed.usage };
    return executeCommand(parsed.command, ALICE, deps);
  };
  return { exec, fleet, store };
}

describe('SCHED_ALLOWED_INSTANCE_TYPES in chat', () => {
  test('run --type outside the list: a clear error naming the type and the allowed ones; nothing stored or launched', async () => {
    const clock = new FakeClock();
    const { exec, fleet, store } = chat(clock, new MemoryJobStore(), ['m7g.large', 'm6g.large']);
    for (const text of ['run --type p5.48xlarge alpine true', 'run --dry-run --type m6g.large,p5.48xlarge alpine true']) {
      const outcome = await exec(text);
      expect(outcome.kind).toBe('invalid');
      expect(outcome.kind === 'invalid' && outcome.error).toContain(
        '--type: "p5.48xlarge" is not allowed here; allowed: m7g.large, m6g.large (the operator\'s SCHED_ALLOWED_INSTANCE_TYPES)',
      );
    }
    expect(await store.listActive()).toEqual([]);
    expect(fleet.requests.size).toBe(0);
    expect(await exec('run --type m6g.large alpine true')).toMatchObject({ kind: 'job-created', job: { spec: { instanceTypes: ['m6g.large'] } } });
  });

  test('retry of a job whose types the operator has since taken off the list: refused, saying why; no new job', async () => {
    const clock = new FakeClock();
    const store = new MemoryJobStore();
    const before = chat(clock, store, ['m7g.large', 'p5.48xlarge']);
    const created = await before.exec('run --type p5.48xlarge alpine true');
    if (created.kind !== 'job-created') throw new Error(JSON.stringify(created));
    await before.exec(`cancel ${created.job.id}`);

    const after = chat(clock, store, ['m7g.large']);
    const jobsBefore = (await store.listCreatedSince('1970-01-01T00:00:00.000Z', 100)).length;
    expect(await after.exec(`retry ${created.job.id}`)).toEqual({
      kind: 'invalid',
      error: `job ${created.job.id} cannot be retried as it was: "p5.48xlarge" is not allowed here; allowed: m7g.large (the operator's SCHED_ALLOWED_INSTANCE_TYPES); run it again with --type`,
      usage: '',
    });
    expect((await store.listCreatedSince('1970-01-01T00:00:00.000Z', 100)).length).toBe(jobsBefore);
    // Still allowed: retried as before.
    expect(await before.exec(`retry ${created.job.id}`)).toMatchObject({ kind: 'job-created' });
  });
});

/**
 * Fuzz (issue 13, "Tests that must exist"): `/sched` texts, arbitrary and token-shaped, parsed as
 * the Slack listener parses them and run through the use cases on the in-memory engine. Nothing
 * throws; every input is a command or an error; and an input that is refused (a parse error, or an
 * `invalid` / `denied` / `conflict` outcome) stores nothing and launches nothing.
 *
 * 10,000 generated texts (`RUNS`); the parser alone gets its own 10,000 in
 * test/core/parsing/grammar.test.ts. The seed is the run's (test/harness/property-seed.ts).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { executeCommand } from '../../bot/commands/execute.js';
import type { CommandDeps } from '../../bot/commands/types.js';
import { parseCommand } from '../../bot/core/parsing/grammar.js';
import { unescapeSlackText } from '../../bot/slack/render.js';
import { anyStringUpTo, arrayUpTo } from '../harness/arbitraries.js';
import { FakeClock } from '../harness/clock.js';
import { CountingJobStore } from '../harness/counting-store.js';
import { memoryReplica } from '../harness/memory-engine.js';
import { propertySeeds } from '../harness/property-seed.js';

const RUNS = 10_000;
const DEFAULTS = { instanceTypes: ['t3.micro'], interruptionsTolerated: 3, allowedInstanceTypes: ['t3.micro', 't3.small'] };

/** Words the grammar gives meaning to, values near its limits, and Slack's own markup. */
const token = fc.oneof(
  fc.constantFrom('run', 'list', 'status', 'cancel', 'logs', 'retry', 'help', '--dry-run', '--all', '-f', '--', '-e', '--env', '--at', '--in', '--cron', '--tz', '--type', '--retries', '--timeout', '--name', '--max-price', '--callback', '--gpus', '--on-demand-after', '--on-demand-wait', '--retry-exit', '--on-rebalance'),
  fc.constantFrom('alpine', 'ghcr.io/acme/etl:1.4', 'oci:x', 'containers-storage:x', 'p5.48xlarge', 't3.small', 'A=1', 'A=', '=1', '999999', '0.01', '-1', '30d', '1h', '9am', 'tomorrow 25:00', '"0 9 * * *"', "'* * * * *'", 'Europe/Paris', 'Mars/Olympus', 'https://hooks.example.com/x', 'http://169.254.169.254/', 'j-abc', 's-abc', 'MINE', 'MINE', 'BOBS', 'BOBS', '"', "'", '\\', '$(reboot)', '`id`', ';', '|', '&&'),
  fc.constantFrom('&lt;', '&gt;', '&amp;', '<@U123|ana>', '<#C1|general>', '<https://x.example|x>', '<!here>'),
  anyStringUpTo(40),
);
const text = fc.oneof(
  { weight: 1, arbitrary: anyStringUpTo(600) },
  { weight: 3, arbitrary: arrayUpTo(token, 24).map((words) => words.join(' ')) },
  { weight: 3, arbitrary: fc.tuple(fc.constantFrom('run alpine', 'run --dry-run alpine', 'run', 'list', 'cancel MINE', 'cancel BOBS', 'retry MINE', 'retry BOBS', 'status MINE', 'logs -f BOBS', 'cancel', 'status'), arrayUpTo(token, 12)).map(([head, words]) => [head, ...words].join(' ')) },
);

describe.each(propertySeeds())('/sched texts through the grammar and the use cases (seed %i)', (seed) => {
  test(`${RUNS} texts: no throw, a command or an error, nothing stored or launched for a refusal`, async () => {
    const clock = new FakeClock();
    const store = new CountingJobStore();
    const replica = memoryReplica({ clock, store });
    const deps: CommandDeps = { jobs: replica.engine, schedules: replica.scheduler, access: { allowedUsers: [], allowedChannels: [], admins: [] }, clock };
    const actor = { surface: 'slack' as const, userId: 'UALICE', channelId: 'CJOBS' };
    // MINE and BOBS in a text stand for a job of Alice's (who types) and one of Bob's.
    const spec = { image: 'alpine', command: [], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };
    const mine = await replica.engine.createJob({ spec, runAt: clock.now().toISOString(), owner: { kind: 'slack', id: 'UALICE' }, origin: { surface: 'slack', channel: 'CJOBS' } });
    const bobs = await replica.engine.createJob({ spec, runAt: clock.now().toISOString(), owner: { kind: 'slack', id: 'UBOB' }, origin: { surface: 'slack', channel: 'CJOBS' } });
    const outcomes = new Map<string, number>();
    const state = async () => `${store.writes} writes, ${(await replica.scheduler.listSchedules()).length} schedules, ${replica.fleet.plans.length} launches`;
    await fc.assert(
      fc.asyncProperty(text, fc.constantFrom(undefined, 'America/New_York'), async (input, userTimezone) => {
        const before = await state();
        const parsed = parseCommand(unescapeSlackText(input.replaceAll('MINE', mine.id).replaceAll('BOBS', bobs.id)), { now: clock.now(), defaults: DEFAULTS, ...(userTimezone && { userTimezone }) });
        const outcome = parsed.ok ? await executeCommand(parsed.command, actor, deps) : undefined;
        const kind = outcome?.kind ?? 'parse-error';
        outcomes.set(kind, (outcomes.get(kind) ?? 0) + 1);
        if (!parsed.ok) expect(parsed.error.length).toBeGreaterThan(0);
        if (kind === 'parse-error' || kind === 'invalid' || kind === 'denied' || kind === 'conflict') {
          expect(await state(), `${JSON.stringify(input)} → ${kind}`).toBe(before);
        }
      }),
      { numRuns: RUNS, seed },
    );
    // Every side was reached: texts refused, jobs created, Bob's job kept from Alice, Alice's cancelled.
    expect(outcomes.get('parse-error')).toBeGreaterThan(0);
    expect(outcomes.get('job-created')).toBeGreaterThan(0);
    expect(outcomes.get('denied')).toBeGreaterThan(0);
    expect(outcomes.get('job-cancelled')).toBe(1);
  }, 120_000);
});

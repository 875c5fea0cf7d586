/**
 * `run`: a job now or at a time, or a cron schedule; within the person's caps. With `--dry-run`,
 * the same checks (caps included, only read) and then the plan instead of the job.
 */
import { isAdmin } from '../core/access.js';
import type { Command } from '../core/parsing/grammar.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';
import { activeJobsCapReached } from './caps.js';

export async function run(command: Extract<Command, { kind: 'run' }>, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const owner = { kind: actor.surface, id: actor.userId };
  const origin = { surface: actor.surface, ...(actor.channelId && { channel: actor.channelId }) };
  const { when } = command;
  const over = await overLimit(when.kind === 'cron' ? 'schedules' : 'jobs', actor, deps);
  if (over) return { kind: 'denied', reason: over };
  if (command.dryRun) {
    if (!deps.planner) return { kind: 'invalid', error: '--dry-run is not available here', usage: '' };
    const plannedWhen = when.kind === 'cron' ? when : when.kind === 'at' ? when : { kind: 'now' as const, runAt: deps.clock.now().toISOString() };
    return { kind: 'run-plan', plan: await deps.planner.plan(command.spec, plannedWhen) };
  }
  if (when.kind === 'cron') {
    const schedule = await deps.schedules.createSchedule({ expression: when.expression, timezone: when.timezone, spec: command.spec, owner, origin });
    return { kind: 'schedule-created', schedule };
  }
  const runAt = when.kind === 'at' ? when.runAt : deps.clock.now().toISOString();
  const job = await deps.jobs.createJob({ spec: command.spec, runAt, owner, origin });
  return { kind: 'job-created', job };
}

async function overLimit(what: 'jobs' | 'schedules', actor: Actor, deps: CommandDeps): Promise<string | undefined> {
  const { limits } = deps;
  if (!limits || isAdmin(deps.access, actor.userId)) return undefined;
  const owns = (owner: { kind: string; id: string }) => owner.kind === actor.surface && owner.id === actor.userId;
  if (what === 'jobs') return activeJobsCapReached({ kind: actor.surface, id: actor.userId }, deps);
  const schedules = (await deps.schedules.listSchedules()).filter((schedule) => owns(schedule.owner)).length;
  if (schedules >= limits.schedulesPerUser) {
    return `you already have ${schedules} schedules (the limit is ${limits.schedulesPerUser}, SCHED_MAX_SCHEDULES_PER_USER); cancel one first`;
  }
  return undefined;
}

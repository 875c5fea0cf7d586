/** `run`: a job now or at a time, or a cron schedule. */
import type { Command } from '../core/commands/grammar.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function run(command: Extract<Command, { kind: 'run' }>, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const owner = { kind: actor.surface, id: actor.userId };
  const origin = { surface: actor.surface, ...(actor.channelId && { channel: actor.channelId }) };
  const { when } = command;
  if (when.kind === 'cron') {
    const schedule = await deps.schedules.createSchedule({ expression: when.expression, timezone: when.timezone, spec: command.spec, owner, origin });
    return { kind: 'schedule-created', schedule };
  }
  const runAt = when.kind === 'at' ? when.runAt : deps.clock.now().toISOString();
  const job = await deps.jobs.createJob({ spec: command.spec, runAt, owner, origin });
  return { kind: 'job-created', job };
}

/** `status JOB` and `logs JOB`: read-only, open to everyone allowed to use Sched. */
import { USAGE } from '../core/commands/grammar.js';
import { findTarget } from './targets.js';
import type { CommandDeps, CommandOutcome } from './types.js';

export async function status(command: { target: string }, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'status');
  if (target.kind === 'missing') return target.outcome;
  return target.kind === 'job' ? { kind: 'job-status', job: target.job } : { kind: 'schedule-status', schedule: target.schedule };
}

export async function logs(command: { target: string }, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'logs');
  if (target.kind === 'missing') return target.outcome;
  if (target.kind === 'schedule') {
    return { kind: 'invalid', error: `${command.target} is a schedule; its firings are jobs with their own logs (\`/sched list\`)`, usage: USAGE.logs };
  }
  return { kind: 'job-logs', job: target.job };
}

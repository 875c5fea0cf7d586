/** `status JOB` and `logs [-f] JOB`: read-only; for the owner, admins and the job's own channel. */
import { canView } from '../core/access.js';
import { USAGE } from '../core/parsing/grammar.js';
import { findTarget } from './targets.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function status(command: { target: string }, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'status');
  if (target.kind === 'missing') return target.outcome;
  const seen = canView(policyFor(actor, deps.access), actor.userId, target.kind === 'job' ? target.job : target.schedule, actor.surface, actor.channelId);
  if (!seen.allowed) return { kind: 'denied', reason: `you cannot see ${command.target}: ${seen.reason}` };
  return target.kind === 'job' ? { kind: 'job-status', job: target.job } : { kind: 'schedule-status', schedule: target.schedule };
}

export async function logs(command: { target: string }, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'logs');
  if (target.kind === 'missing') return target.outcome;
  const seen = canView(policyFor(actor, deps.access), actor.userId, target.kind === 'job' ? target.job : target.schedule, actor.surface, actor.channelId);
  if (!seen.allowed) return { kind: 'denied', reason: `you cannot see ${command.target}: ${seen.reason}` };
  if (target.kind === 'schedule') {
    return { kind: 'invalid', error: `${command.target} is a schedule; its firings are jobs with their own logs (\`/sched list\`)`, usage: USAGE.logs };
  }
  // The finished report's tail is the final output; until then, what the run printed so far.
  const output = target.job.logTail ? undefined : await deps.jobs.outputSoFar(target.job);
  return output ? { kind: 'job-logs', job: target.job, output } : { kind: 'job-logs', job: target.job };
}

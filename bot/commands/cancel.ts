/** `cancel JOB`: a job or a schedule; only its owner or an admin. */
import { canManage } from '../core/access.js';
import { findTarget } from './targets.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function cancel(command: { target: string }, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'cancel');
  if (target.kind === 'missing') return target.outcome;
  const owner = target.kind === 'job' ? target.job.owner : target.schedule.owner;
  const allowed = canManage(policyFor(actor, deps.access), actor.userId, owner, actor.surface);
  if (!allowed.allowed) return { kind: 'denied', reason: `you cannot cancel ${command.target}: ${allowed.reason}` };
  const by = actor.surface === 'slack' ? `<@${actor.userId}>` : actor.userId;
  if (target.kind === 'schedule') return { kind: 'schedule-cancelled', schedule: await deps.schedules.cancelSchedule(target.schedule.id, by) };
  return { kind: 'job-cancelled', job: await deps.jobs.cancelJob(target.job.id, by) };
}

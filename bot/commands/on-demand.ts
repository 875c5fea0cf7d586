/**
 * "Run on-demand" (a button on the job's message while it waits on spot capacity): the current
 * attempt launches on-demand now; only the job's owner or an admin.
 */
import { canManage, canUse } from '../core/access.js';
import { USAGE } from '../core/parsing/grammar.js';
import { outcomeOfError } from './execute.js';
import { findTarget } from './targets.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function runOnDemand(command: { target: string }, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const policy = policyFor(actor, deps.access);
  const access = canUse(policy, actor.userId, actor.channelId);
  if (!access.allowed) return { kind: 'denied', reason: access.reason };
  const target = await findTarget(command.target, deps, 'status');
  if (target.kind === 'missing') return target.outcome;
  if (target.kind === 'schedule') return { kind: 'invalid', error: `${command.target} is a schedule; its jobs run on-demand one by one`, usage: USAGE.status };
  const allowed = canManage(policy, actor.userId, target.job.owner, actor.surface);
  if (!allowed.allowed) return { kind: 'denied', reason: `you cannot run ${command.target} on-demand: ${allowed.reason}` };
  const by = actor.surface === 'slack' ? `<@${actor.userId}>` : actor.userId;
  try {
    return { kind: 'job-on-demand', job: await deps.jobs.runOnDemand(target.job.id, by) };
  } catch (err) {
    const refusal = outcomeOfError(err, { kind: 'status', target: command.target });
    if (refusal) return refusal;
    throw err;
  }
}

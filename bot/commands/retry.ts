/** `retry JOB`: the same job again, now, as a new job; only its owner or an admin, within the retrier's cap. */
import { canManage } from '../core/access.js';
import { USAGE } from '../core/parsing/grammar.js';
import { findTarget } from './targets.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';
import { activeJobsCapReached } from './caps.js';

export async function retry(command: { target: string }, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const target = await findTarget(command.target, deps, 'retry');
  if (target.kind === 'missing') return target.outcome;
  if (target.kind === 'schedule') return { kind: 'invalid', error: `${command.target} is a schedule; retry one of its jobs`, usage: USAGE.retry };
  const allowed = canManage(policyFor(actor, deps.access), actor.userId, target.job.owner, actor.surface);
  if (!allowed.allowed) return { kind: 'denied', reason: `you cannot retry ${command.target}: ${allowed.reason}` };
  const owner = { kind: actor.surface, id: actor.userId };
  const over = await activeJobsCapReached(owner, deps);
  if (over) return { kind: 'denied', reason: over };
  const origin = { surface: actor.surface, ...(actor.channelId && { channel: actor.channelId }) };
  return { kind: 'job-created', job: await deps.jobs.retryJob(target.job.id, owner, origin) };
}

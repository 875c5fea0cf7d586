/** `list [--all]`: active jobs, the last day's finished ones, and schedules; yours unless --all. */
import { canView } from '../core/access.js';
import type { Command } from '../core/parsing/grammar.js';
import type { JobOwner } from '../core/job.js';
import { policyFor } from './policy.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function list(command: Pick<Extract<Command, { kind: 'list' }>, 'all'>, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const [active, recent, schedules] = await Promise.all([deps.jobs.listActiveJobs(), deps.jobs.listRecentJobs(), deps.schedules.listSchedules()]);
  // Yours; with --all, everything you may see: this channel's, or everyone's for an admin.
  const mine = (subject: { owner: JobOwner; origin?: { channel?: string } }) =>
    command.all ? canView(policyFor(actor, deps.access), actor.userId, subject, actor.surface, actor.channelId).allowed : subject.owner.kind === actor.surface && subject.owner.id === actor.userId;
  const byId = new Map([...recent, ...active].map((job) => [job.id, job]));
  const jobs = [...byId.values()].filter((job) => mine(job)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { kind: 'list', jobs, schedules: schedules.filter((s) => mine(s)), all: command.all };
}

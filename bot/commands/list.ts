/** `list [--all]`: active jobs, the last day's finished ones, and schedules; yours unless --all. */
import type { Command } from '../core/commands/grammar.js';
import type { JobOwner } from '../core/job.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

export async function list(command: Pick<Extract<Command, { kind: 'list' }>, 'all'>, actor: Actor, deps: CommandDeps): Promise<CommandOutcome> {
  const [active, recent, schedules] = await Promise.all([deps.jobs.listActiveJobs(), deps.jobs.listRecentJobs(), deps.schedules.listSchedules()]);
  const mine = (owner: JobOwner) => command.all || (owner.kind === actor.surface && owner.id === actor.userId);
  const byId = new Map([...recent, ...active].map((job) => [job.id, job]));
  const jobs = [...byId.values()].filter((job) => mine(job.owner)).sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return { kind: 'list', jobs, schedules: schedules.filter((s) => mine(s.owner)), all: command.all };
}

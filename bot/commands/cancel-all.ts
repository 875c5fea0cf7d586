/**
 * The terminal's `exit --stop-jobs`: the jobs that have not ended, and cancelling them — each one
 * exactly as `cancel JOB` would (the same access rule, events and refusals), one after another.
 */
import type { Job } from '../core/job.js';
import { isTerminal } from '../core/job.js';
import { executeCommand } from './execute.js';
import type { Actor, CommandDeps, CommandOutcome } from './types.js';

/** Every job of this deployment that has not ended, whoever owns it. */
export async function unfinishedJobs(deps: CommandDeps): Promise<Job[]> {
  return (await deps.jobs.listActiveJobs()).filter((job) => !isTerminal(job.status));
}

/** `cancel ID` for each id, in order; one refusal does not stop the others. */
export async function cancelJobs(ids: readonly string[], actor: Actor, deps: CommandDeps): Promise<CommandOutcome[]> {
  const outcomes: CommandOutcome[] = [];
  for (const target of ids) outcomes.push(await executeCommand({ kind: 'cancel', target }, actor, deps));
  return outcomes;
}

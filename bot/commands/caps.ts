/**
 * The per-person cap on jobs that have not ended (`SCHED_MAX_ACTIVE_JOBS_PER_USER`), on every path
 * that creates a job for a person: `run`, `retry` (command and button) and a schedule's firing.
 * Admins are exempt; the REST API's token is the operator's and is not capped (README).
 */
import { isAdmin } from '../core/access.js';
import type { JobOwner } from '../core/job.js';
import type { CommandDeps } from './types.js';

/** Why `owner` may not start another job now; undefined when they may. */
export async function activeJobsCapReached(owner: JobOwner, deps: Pick<CommandDeps, 'jobs' | 'access' | 'limits'>): Promise<string | undefined> {
  const { limits } = deps;
  if (!limits || isAdmin(deps.access, owner.id)) return undefined;
  const active = (await deps.jobs.listActiveJobs()).filter((job) => job.owner.kind === owner.kind && job.owner.id === owner.id).length;
  if (active < limits.activeJobsPerUser) return undefined;
  return `you already have ${active} jobs that have not ended (the limit is ${limits.activeJobsPerUser}, SCHED_MAX_ACTIVE_JOBS_PER_USER); cancel some or let them finish`;
}

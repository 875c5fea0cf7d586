/**
 * The `JobPlanner` port: a dry run. It checks what a real run checks after the request's own
 * validation (the agent script renders and can be handed the job, as `newJob` checks), asks
 * the fleet to quote the job's pools (read-only: price and subnet lookups, never a launch) and
 * builds the plan (bot/core/plan.ts). It holds no store: nothing can be written.
 */
import { checkAgentScriptFits } from '../core/agent-script.js';
import { firingJobId } from '../core/cron.js';
import type { JobSpec } from '../core/job.js';
import { buildRunPlan, type PlanWhen, type RunPlan } from '../core/plan.js';
import type { Fleet, JobPlanner } from '../ports.js';

/** As long as the ids `newJobId` makes (`j-` and 12 characters): the script's size depends on it. */
const SAMPLE_JOB_ID = 'j-000000000000';
const SAMPLE_SCHEDULE_ID = 's-000000000000';

export class RunPlanner implements JobPlanner {
  constructor(private readonly deps: { fleet: Pick<Fleet, 'quote'>; publicUrl: string }) {}

  async plan(spec: JobSpec, when: PlanWhen): Promise<RunPlan> {
    // A cron firing's job id is the schedule's id and the firing time: longer than a job's own.
    const jobId = when.kind === 'cron' && when.next[0] ? firingJobId(SAMPLE_SCHEDULE_ID, new Date(when.next[0])) : SAMPLE_JOB_ID;
    checkAgentScriptFits({ jobId, image: spec.image, command: spec.command, env: spec.env, notifyBaseUrl: this.deps.publicUrl });
    const quotes = await this.deps.fleet.quote(spec.instanceTypes);
    return buildRunPlan(spec, when, quotes);
  }
}

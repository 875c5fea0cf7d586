/**
 * A job as it is first stored: scheduled, no attempt yet, with its `created` event. What its agent
 * is handed is checked now, so a job that could never start (values a container cannot receive, or
 * over `MAX_AGENT_SPEC_BYTES`) is refused when it is created rather than when it is due.
 */
import { checkAgentScriptFits } from '../agent-script.js';
import { JobStatus, type Compute, type Job, type NewJob } from '../job.js';
import type { GuardRailLowering } from './guard-rails.js';

/**
 * `compute`: where the deployment runs its jobs (the fleet in use); `lowered`: what a schedule's
 * firing got lower than its schedule asked (guard-rails.ts), recorded on the `created` event.
 */
export function newJob(input: NewJob, id: string, now: Date, notifyBaseUrl: string, compute: Compute, lowered: GuardRailLowering[] = []): Job {
  const { spec } = input;
  checkAgentScriptFits({ jobId: id, image: spec.image, command: spec.command, env: spec.env, notifyBaseUrl });
  const createdAt = now.toISOString();
  const runsLater = Date.parse(input.runAt) > now.getTime();
  return {
    id,
    version: 1,
    status: JobStatus.Scheduled,
    spec,
    owner: input.owner,
    ...(input.origin && { origin: input.origin }),
    ...(input.scheduleId && { scheduleId: input.scheduleId }),
    compute,
    runAt: input.runAt,
    createdAt,
    updatedAt: createdAt,
    attempt: 0,
    interruptions: 0,
    instanceTypeIndex: 0,
    events: [{ at: createdAt, kind: 'created', ...(runsLater && { scheduledFor: input.runAt }), ...(lowered.length > 0 && { lowered }) }],
  };
}

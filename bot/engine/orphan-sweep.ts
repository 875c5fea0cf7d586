/**
 * The garbage collector: what the fleet runs for no live attempt of any job (an instance launched
 * after its job ended, a request given up for another instance type whose cancel failed, the
 * leftovers of a crash) is terminated or cancelled. Candidates come from the pass's job list; each
 * is judged again on its job as stored now, so a job that moved on since is never robbed.
 */
import type { Logger } from 'pino';
import { findOrphans, stillOrphaned } from '../core/lifecycle/correlate.js';
import type { Job } from '../core/job.js';
import type { FleetSnapshot } from '../core/lifecycle/observation.js';
import type { Fleet, JobStore } from '../ports.js';
import type { EngineMetrics } from './metrics.js';

export interface OrphanSweepDeps {
  store: JobStore;
  fleet: Fleet;
  logger: Logger;
  metrics: EngineMetrics;
}

export async function sweepOrphans(deps: OrphanSweepDeps, active: Job[], snapshot: FleetSnapshot): Promise<{ terminated: number; cancelled: number }> {
  const { store, fleet, logger, metrics } = deps;
  const orphans = findOrphans(active, snapshot);
  // The pass's job list may be stale (a timer, a notification or another replica moved a job on
  // since): every candidate is judged again against its job as stored now, read consistently.
  const current = new Map<string, Job | undefined>();
  const jobIds = new Set([...orphans.instances, ...orphans.requests].flatMap((r) => (r.jobId ? [r.jobId] : [])));
  for (const jobId of jobIds) current.set(jobId, await store.get(jobId));
  let terminated = 0;
  let cancelled = 0;
  for (const instance of orphans.instances) {
    if (!stillOrphaned(instance, current.get(instance.jobId ?? ''))) continue;
    logger.warn({ instanceId: instance.instanceId, jobId: instance.jobId, attempt: instance.attempt }, 'terminating an orphaned instance');
    await fleet.terminateInstance(instance.instanceId).then(() => terminated++, (err) => logger.error({ err }, 'orphan terminate failed'));
  }
  for (const request of orphans.requests) {
    if (!stillOrphaned(request, current.get(request.jobId ?? ''))) continue;
    logger.warn({ requestId: request.requestId, jobId: request.jobId, attempt: request.attempt }, 'cancelling an orphaned spot request');
    await fleet.cancelRequest(request.requestId).then(() => cancelled++, (err) => logger.error({ err }, 'orphan cancel failed'));
    if (request.instanceId && !snapshot.instances.some((i) => i.instanceId === request.instanceId)) {
      await fleet.terminateInstance(request.instanceId).then(() => terminated++, () => undefined);
    }
  }
  metrics.orphansTerminated += terminated;
  metrics.orphansCancelled += cancelled;
  return { terminated, cancelled };
}

/**
 * Turns one fleet snapshot into observations per job, and finds what the fleet runs that no job
 * wants (orphans). Pure: the engine passes the snapshot and the active jobs in.
 */
import { isTerminal, type Job } from '../job.js';
import { LIVE_INSTANCE_STATES, type FleetSnapshot, type InstanceView, type Observation, type SpotRequestView } from './observation.js';
import { isDrainingResource } from './draining.js';

export interface SnapshotIndex {
  requestsByJob: Map<string, SpotRequestView[]>;
  instancesById: Map<string, InstanceView>;
  instancesByJob: Map<string, InstanceView[]>;
}

export function indexSnapshot(snapshot: FleetSnapshot): SnapshotIndex {
  const requestsByJob = new Map<string, SpotRequestView[]>();
  for (const request of snapshot.requests) {
    if (!request.jobId) continue;
    const list = requestsByJob.get(request.jobId) ?? [];
    list.push(request);
    requestsByJob.set(request.jobId, list);
  }
  const instancesById = new Map(snapshot.instances.map((instance) => [instance.instanceId, instance]));
  const instancesByJob = new Map<string, InstanceView[]>();
  for (const instance of snapshot.instances) {
    if (instance.jobId) instancesByJob.set(instance.jobId, [...(instancesByJob.get(instance.jobId) ?? []), instance]);
  }
  return { requestsByJob, instancesById, instancesByJob };
}

/**
 * What the snapshot says about one job: always a `tick`, then its current request and instance.
 * Without a snapshot (EC2 could not be asked) only the tick: absence is never inferred from a
 * failed observation.
 *
 * A job that has recorded neither a request nor an instance for its attempt adopts what EC2 lists
 * under the attempt's tags — its request, else an instance launched without one (RunInstances) —
 * and sees it before the tick: a process that died between launching and recording the launch
 * left the instance running, and the tick would launch the attempt again (in another pool, under
 * another ClientToken, after the request retry time).
 */
export function observationsFor(job: Job, index: SnapshotIndex | undefined): Observation[] {
  const tick: Observation = { kind: 'tick' };
  if (!index || job.attempt === 0) return [tick];
  const world = observeJob(job, index);
  const unrecorded = !job.spotRequestId && !job.instanceId && !isTerminal(job.status);
  return unrecorded ? [...world, tick] : [tick, ...world];
}

function observeJob(job: Job, index: SnapshotIndex): Observation[] {
  const observations: Observation[] = [];

  const requests = index.requestsByJob.get(job.id) ?? [];
  const request = job.spotRequestId
    ? requests.find((r) => r.requestId === job.spotRequestId)
    : requests.find((r) => r.attempt === job.attempt && (r.state === 'open' || r.state === 'active') && !job.abandonedRequestIds?.includes(r.requestId));
  if (request) {
    observations.push({ kind: 'spot', request });
  } else if (job.spotRequestId) {
    observations.push({ kind: 'spot', request: { requestId: job.spotRequestId, jobId: job.id, attempt: job.attempt, state: 'missing' } });
  }

  const instanceId = job.instanceId ?? request?.instanceId ?? unrecordedInstance(job, index)?.instanceId;
  if (instanceId) {
    const instance = index.instancesById.get(instanceId);
    if (instance) {
      observations.push({ kind: 'instance', instance });
    } else if (job.instanceId && request?.instanceId !== job.instanceId) {
      // A request that still names the instance means it is merely not tagged yet.
      observations.push({ kind: 'instance', instance: { instanceId: job.instanceId, jobId: job.id, attempt: job.attempt, state: 'missing' } });
    }
  }
  // A replaced attempt still at work: the lifecycle lets it go once EC2 shows it gone.
  const drained = job.draining;
  if (drained?.instanceId) {
    const instance = index.instancesById.get(drained.instanceId) ?? { instanceId: drained.instanceId, jobId: job.id, attempt: drained.attempt, state: 'missing' as const };
    observations.push({ kind: 'instance', instance });
  }
  return observations;
}

/** An instance tagged with the job's current attempt that the job never recorded, live ones first. */
function unrecordedInstance(job: Job, index: SnapshotIndex): InstanceView | undefined {
  const abandoned = job.abandonedRequestIds ?? [];
  const mine = (index.instancesByJob.get(job.id) ?? []).filter(
    (i) => i.attempt === job.attempt && !(i.spotRequestId !== undefined && abandoned.includes(i.spotRequestId)),
  );
  return mine.find((i) => LIVE_INSTANCE_STATES.has(i.state)) ?? mine[0];
}

/** Candidates only: the engine acts on one after `stillOrphaned` confirms it on fresh state. */
export interface Orphans {
  /** Live instances of this deployment that belong to no current attempt of an active job. */
  instances: InstanceView[];
  /** Open or active requests that belong to no current attempt of an active job. */
  requests: SpotRequestView[];
}

/**
 * Compares what should exist with what the fleet lists. Only resources carrying a job tag are
 * considered, so nothing Sched did not launch (the bot host itself, say) is ever touched.
 */
export function findOrphans(activeJobs: Job[], snapshot: FleetSnapshot): Orphans {
  const byId = new Map(activeJobs.map((job) => [job.id, job]));
  const wanted = (jobId: string | undefined, attempt: number | undefined): boolean | undefined => {
    if (!jobId) return true; // not ours to judge
    const job = byId.get(jobId);
    if (!job) return undefined; // not in the list: `stillOrphaned` decides on the stored job
    if (isTerminal(job.status)) return false;
    return attempt === undefined || attempt === job.attempt;
  };
  const abandoned = new Set(activeJobs.flatMap((job) => job.abandonedRequestIds ?? []));
  // A replaced attempt works on until it is let go: its instance and request are spared meanwhile.
  const draining = (resource: { jobId?: string; attempt?: number; instanceId?: string; requestId?: string }): boolean => {
    const job = resource.jobId === undefined ? undefined : byId.get(resource.jobId);
    return job?.draining !== undefined && !isTerminal(job.status) && isDrainingResource(resource, job.draining);
  };
  const instances = snapshot.instances.filter(
    (i) => LIVE_INSTANCE_STATES.has(i.state) && !draining(i) && ((i.spotRequestId !== undefined && abandoned.has(i.spotRequestId)) || wanted(i.jobId, i.attempt) !== true),
  );
  const requests = snapshot.requests.filter(
    (r) => (r.state === 'open' || r.state === 'active') && !draining(r) && (abandoned.has(r.requestId) || wanted(r.jobId, r.attempt) !== true),
  );
  return { instances, requests };
}

/**
 * Whether a resource found orphaned against the pass's (possibly stale) job list is still an
 * orphan against the job as stored now. A job may have moved to a new attempt, placed its request
 * or been created since the list was read: only what its current state does not want may go.
 */
export function stillOrphaned(
  resource: { jobId?: string; attempt?: number; requestId?: string; spotRequestId?: string; instanceId?: string },
  current: Job | undefined,
): boolean {
  if (!resource.jobId) return false;
  if (!current || isTerminal(current.status)) return true;
  if (current.draining && isDrainingResource(resource, current.draining)) return false;
  const abandoned = current.abandonedRequestIds ?? [];
  if (resource.requestId !== undefined && abandoned.includes(resource.requestId)) return true;
  if (resource.spotRequestId !== undefined && abandoned.includes(resource.spotRequestId)) return true;
  return resource.attempt !== undefined && resource.attempt < current.attempt;
}

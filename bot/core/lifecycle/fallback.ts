/**
 * On-demand as a deliberate fallback, never a silent one: the current attempt leaves the spot
 * market when no pool has had spot capacity for the job's `--on-demand-wait`, or when someone
 * presses "Run on-demand" while it waits; `--on-demand-after N` (interruptions) is decided where
 * each launch is issued (`issueRequest` in attempts.ts). Every switch is an `on-demand` event with
 * its reason, and once on-demand the job's later attempts stay on-demand.
 *
 * "Waiting on spot capacity" has two shapes: the launch call failing for capacity in every pool
 * (since `capacityRefusedSince`), or a spot request EC2 holds open with a capacity status code
 * such as `capacity-not-available` (since the request was issued, `requestedAt`).
 */
import { computeOf, JobStatus, type Job } from '../job.js';
import type { OnDemandReason } from '../job-event.js';
import { issueRequest } from './attempts.js';
import { SpotDecision, spotDecisionFor } from './spot-status.js';
import type { Transition } from './transition.js';

/** The job's current attempt waits for spot capacity, and could launch on-demand instead. */
export function waitingOnSpotCapacity(job: Job): boolean {
  return spotCapacityWaitSince(job) !== undefined;
}

/** Since when the current attempt has found no spot capacity; undefined when it is not waiting on it. */
export function spotCapacityWaitSince(job: Job): string | undefined {
  if (job.status !== JobStatus.Requested || job.market === 'on-demand' || job.instanceId || computeOf(job) !== 'ec2') return undefined;
  if (job.capacityRefusedSince) return job.capacityRefusedSince;
  if (job.spotRequestId && job.spotStatusCode && spotDecisionFor(job.spotStatusCode, job.spotState ?? 'open') === SpotDecision.Capacity) return job.requestedAt;
  return undefined;
}

/** When a job waiting on spot capacity launches on-demand for its `--on-demand-wait`, in ms since the epoch. */
export function onDemandWaitEndsMs(job: Job): number | undefined {
  const wait = job.spec.onDemandWaitSeconds;
  const since = spotCapacityWaitSince(job);
  return wait === undefined || since === undefined ? undefined : Date.parse(since) + wait * 1000;
}

/**
 * Applies `--on-demand-wait` to a job waiting on spot capacity: launches on-demand once the wait
 * is over (true). The job's due timer fires at that moment (bot/core/lifecycle/deadlines.ts), so
 * the switch happens on time rather than at the next reconcile pass.
 */
export function applyOnDemandWait(t: Transition): boolean {
  const wait = t.job.spec.onDemandWaitSeconds;
  const since = spotCapacityWaitSince(t.job);
  if (wait === undefined || since === undefined) return false;
  const waited = t.secondsSince(since);
  if (waited >= wait) {
    relaunchOnDemand(t, { why: 'no-spot-capacity', waitedSeconds: wait });
    return true;
  }
  return false;
}

/** "Run on-demand", pressed: honoured only while the attempt still waits on spot capacity. */
export function runOnDemand(t: Transition, by: string): void {
  if (!waitingOnSpotCapacity(t.job)) return;
  relaunchOnDemand(t, { why: 'asked', by });
}

/**
 * The current attempt gives up on spot: its waiting spot request (if any) is withdrawn and never
 * adopted again, and it launches on-demand now, from the first instance type, with a ClientToken of
 * its own (a spot launch's token must not answer for it).
 */
function relaunchOnDemand(t: Transition, reason: OnDemandReason): void {
  const { job } = t;
  if (job.spotRequestId) {
    t.effect({ kind: 'cancelSpotRequest', requestId: job.spotRequestId });
    t.set({ abandonedRequestIds: [...(job.abandonedRequestIds ?? []), job.spotRequestId].slice(-10) });
  }
  t.set({
    market: 'on-demand',
    instanceTypeIndex: 0,
    spotRequestId: undefined,
    spotState: undefined,
    spotStatusCode: undefined,
    spotStatusMessage: undefined,
    capacityRefusedSince: undefined,
  });
  t.event({ kind: 'on-demand', attempt: job.attempt, reason });
  issueRequest(t);
}

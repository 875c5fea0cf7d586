/**
 * The lifecycle's moves on an attempt, shared by every observation handler: issue the launch (a
 * new attempt, or the next instance type), reach `launching`, lose the instance (`interrupt`),
 * and end the job (`finish`, which releases what the attempt holds and starts the callback).
 */
import { CallbackState, computeOf, JobStatus, type Job } from '../job.js';
import type { DrainRelease, EndReason, InterruptionCause } from '../job-event.js';
import type { LaunchPool, Market } from './observation.js';
import { currentAttemptCost, extendAttemptCost, MAX_ATTEMPT_COSTS, roundUsd } from '../cost.js';
import { currentType, type Transition } from './transition.js';

export function clientTokenFor(jobId: string, attempt: number, instanceTypeIndex: number, market: Market = 'spot'): string {
  // EC2 allows 64 ASCII characters; job ids are at most 48. An attempt that moves to on-demand
  // launches again: its token must not be the spot launch's, which EC2 would answer with that one.
  return `${jobId}.${attempt}.${instanceTypeIndex}${market === 'on-demand' ? '.od' : ''}`.slice(0, 64);
}

export function sendCallback(t: Transition): void {
  const { job } = t;
  if (!job.callback || !job.spec.callbackUrl) return;
  // Hold off other ticks while this try is in flight; its result sets the real next time.
  const nextAt = new Date(t.now.getTime() + t.timings.callbackInFlightSeconds * 1000).toISOString();
  t.set({ callback: { ...job.callback, nextAt } });
  t.effect({
    kind: 'sendCallback',
    jobId: job.id,
    url: job.spec.callbackUrl,
    idempotencyKey: `${job.id}.${job.status}`,
    tryNumber: job.callback.attempts + 1,
  });
}

/**
 * A new attempt. `avoid`: pools to try last, the interrupted attempt's own (when other pools
 * exist, the replacement lands elsewhere).
 */
export function startAttempt(t: Transition, attempt: number, why: 'due' | 'retry', avoid?: LaunchPool[]): void {
  t.set({
    status: JobStatus.Requested,
    attempt,
    instanceTypeIndex: 0,
    spotRequestId: undefined,
    instanceId: undefined,
    instanceType: undefined,
    zone: undefined,
    avoidPools: avoid,
    spotState: undefined,
    spotStatusCode: undefined,
    spotStatusMessage: undefined,
    abandonedRequestIds: undefined,
    capacityRefusedSince: undefined,
    pricePerHour: undefined,
    onDemandPricePerHour: undefined,
    launchedAt: undefined,
    startedAt: why === 'due' ? undefined : t.job.startedAt,
    interruptionNoticeAt: undefined,
  });
  issueRequest(t);
}

/**
 * Launches the current attempt in every remaining instance type at once (from the current
 * `instanceTypeIndex` on): the fleet walks their pools cheapest first and skips those without
 * capacity, so one launch tries them all.
 */
export function issueRequest(t: Transition): void {
  const { job } = t;
  const instanceTypes = remainingTypes(job);
  // --on-demand-after N: from the N-th interruption on, attempts launch on-demand (said once).
  const after = job.spec.onDemandAfter;
  if (job.market !== 'on-demand' && after !== undefined && job.interruptions >= after && computeOf(job) === 'ec2') {
    t.set({ market: 'on-demand' });
    t.event({ kind: 'on-demand', attempt: job.attempt, reason: { why: 'interruptions', interruptions: job.interruptions } });
  }
  const market: Market = job.market === 'on-demand' ? 'on-demand' : 'spot';
  t.set({ market, requestedAt: t.nowIso });
  t.event({
    kind: 'requested',
    attempt: job.attempt,
    compute: computeOf(job),
    market,
    pool: { instanceType: currentType(job) },
    ...(instanceTypes.length > 1 && { instanceTypes }),
  });
  t.effect({
    kind: 'launch',
    jobId: job.id,
    attempt: job.attempt,
    market,
    pools: instanceTypes.map((instanceType) => ({ instanceType })),
    ...(job.avoidPools?.length && { avoid: job.avoidPools }),
    clientToken: clientTokenFor(job.id, job.attempt, job.instanceTypeIndex, market),
  });
}

/** The instance types a launch of the current attempt tries: the current one and those after it. */
export function remainingTypes(job: Job): string[] {
  const rest = job.spec.instanceTypes.slice(job.instanceTypeIndex);
  return rest.length > 0 ? rest : [currentType(job)];
}

export function tryNextInstanceType(t: Transition): void {
  const { job } = t;
  const next = job.instanceTypeIndex + 1;
  if (next >= job.spec.instanceTypes.length) return;
  const from = currentType(job);
  if (job.spotRequestId) {
    t.effect({ kind: 'cancelSpotRequest', requestId: job.spotRequestId });
    // The old request keeps this attempt's tags: remember it so it is never adopted again.
    t.set({ abandonedRequestIds: [...(job.abandonedRequestIds ?? []), job.spotRequestId].slice(-10) });
  }
  t.set({ instanceTypeIndex: next, capacityRefusedSince: undefined, spotRequestId: undefined, spotState: undefined, spotStatusCode: undefined, spotStatusMessage: undefined });
  t.event({ kind: 'instance-type-changed', from, to: currentType(t.job), afterSeconds: t.timings.capacityFallbackSeconds });
  issueRequest(t);
}

export function toLaunching(t: Transition): void {
  t.set({ status: JobStatus.Launching, launchedAt: t.nowIso });
  t.event({ kind: 'launching', compute: computeOf(t.job), instanceId: t.job.instanceId, instanceType: t.job.instanceType ?? currentType(t.job) });
}

/** The current attempt's instance is lost: request a new one, or fail when retries are spent. */
export function interrupt(t: Transition, why: InterruptionCause): void {
  const { job } = t;
  const interruptions = job.interruptions + 1;
  t.set({ interruptions });
  if (interruptions > job.spec.interruptionsTolerated) {
    // `finish` counts the cost and releases the attempt's resources: once, not here as well.
    finish(t, JobStatus.Failed, { reason: 'retries-spent', interruptions, tolerated: job.spec.interruptionsTolerated, last: why });
    return;
  }
  addInstanceCost(t);
  releaseAttemptResources(t);
  t.event({ kind: 'interrupted', attempt: job.attempt, compute: computeOf(job), interruption: why });
  // The pool just lost is tried last (its zone when known, else the type in every zone).
  const lost: LaunchPool[] | undefined = job.instanceType ? [{ instanceType: job.instanceType, ...(job.zone && { zone: job.zone }) }] : undefined;
  startAttempt(t, job.attempt + 1, 'retry', lost);
}

function releaseAttemptResources(t: Transition): void {
  const { job } = t;
  if (job.spotRequestId) t.effect({ kind: 'cancelSpotRequest', requestId: job.spotRequestId });
  if (job.instanceId) t.effect({ kind: 'terminateInstance', instanceId: job.instanceId });
}

export function finish(t: Transition, status: typeof JobStatus.Succeeded): void;
export function finish(t: Transition, status: typeof JobStatus.Failed | typeof JobStatus.Cancelled, endReason: EndReason): void;
export function finish(t: Transition, status: typeof JobStatus.Succeeded | typeof JobStatus.Failed | typeof JobStatus.Cancelled, endReason?: EndReason): void {
  const { job } = t;
  addInstanceCost(t);
  releaseAttemptResources(t);
  releaseDraining(t, 'job-ended');
  t.set({
    status,
    endReason,
    finishedAt: t.nowIso,
    // With an instance, cleaned up once it is seen gone; without, once the request is.
    cleanedUp: job.instanceId ? t.instanceGone : !job.spotRequestId || t.requestGone,
  });
  const ranSeconds = job.startedAt && job.finishedAt ? (Date.parse(job.finishedAt) - Date.parse(job.startedAt)) / 1000 : undefined;
  if (!endReason) t.event({ kind: 'succeeded', ranSeconds });
  else if (status === JobStatus.Cancelled) t.event({ kind: 'cancelled', end: endReason });
  else t.event({ kind: 'failed', end: endReason, ranSeconds });
  if (job.spec.callbackUrl) {
    t.set({ callback: { state: CallbackState.Pending, attempts: 0, nextAt: t.nowIso } });
    sendCallback(t);
  }
}

/**
 * Records the ending attempt's instance time at its price (bot/core/cost.ts) and adds it to the
 * job's cost; once per attempt. Without a price the time is still recorded: the cost stays what
 * is known, and no saving is claimed.
 */
export function addInstanceCost(t: Transition): void {
  const { job } = t;
  if (!job.launchedAt || job.attemptCosts?.some((a) => a.attempt === job.attempt)) return;
  const entry = currentAttemptCost(job, t.secondsSince(job.launchedAt));
  t.set({ attemptCosts: [...(job.attemptCosts ?? []), entry].slice(-MAX_ATTEMPT_COSTS) });
  if (entry.costUsd !== undefined) t.set({ costUsd: roundUsd((job.costUsd ?? 0) + entry.costUsd) });
}

/**
 * Lets the draining attempt go: its request cancelled, its instance terminated (unless EC2 shows it
 * gone already), its time since the notice paid (up to the deadline, when AWS takes it at the
 * latest). Said in the thread unless the job itself ends (`finished`, `job-ended`): that says enough.
 */
export function releaseDraining(t: Transition, release: DrainRelease | 'finished' | 'job-ended', terminate = release !== 'gone'): void {
  const drained = t.job.draining;
  if (!drained) return;
  if (drained.spotRequestId) t.effect({ kind: 'cancelSpotRequest', requestId: drained.spotRequestId });
  if (drained.instanceId && terminate) t.effect({ kind: 'terminateInstance', instanceId: drained.instanceId });
  // Its time after the notice, never past the deadline, goes on its attempt's record.
  const until = Math.min(t.now.getTime(), drained.deadlineAt ? Date.parse(drained.deadlineAt) : Number.POSITIVE_INFINITY);
  const extended = extendAttemptCost(t.job.attemptCosts ?? [], drained.attempt, Math.max(0, until - Date.parse(drained.noticeAt)) / 1000);
  if (extended.addedUsd !== undefined) t.set({ attemptCosts: extended.attempts, costUsd: roundUsd((t.job.costUsd ?? 0) + extended.addedUsd) });
  else if (extended.attempts !== t.job.attemptCosts) t.set({ attemptCosts: extended.attempts });
  t.set({ draining: undefined });
  if (release === 'finished' || release === 'job-ended') return;
  t.event({ kind: 'drain-released', attempt: drained.attempt, ...(drained.instanceId && { instanceId: drained.instanceId }), release });
}

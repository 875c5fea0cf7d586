/**
 * The job lifecycle as one pure function: `decide(job, observation, now)` returns the job's next
 * state and the effects the engine must run. Nothing here does I/O or reads the clock.
 *
 * The engine stores the returned job with a conditional write and then runs the effects; every
 * effect is idempotent, so a crash between the two only repeats them. Decisions are
 * level-triggered: whatever the observation, the job converges on the same outcome however many
 * times it is seen, so no outcome depends on one particular event having been delivered.
 *
 * What happened is recorded as facts — events (bot/core/job-event.ts) and the job's `endReason` —
 * never as words: the view writes those (bot/core/view/event-words.ts).
 *
 * This file holds `decide` and the handler of each EC2 observation for an active job. The agent's
 * reports are handled in agent-reports.ts; the moves the handlers share (launch, interrupt,
 * finish) are in attempts.ts, ended jobs in ended.ts, the `Transition` accumulator in
 * transition.ts, the timing rules in timings.ts; replacement on the two-minute notice (the old
 * attempt `draining`) is in draining.ts, on-demand as a fallback in fallback.ts, and when time
 * alone moves a job (its due timer) in deadlines.ts.
 */
import { computeOf, isTerminal, JobStatus, type Job } from '../job.js';
import type { PoolRef } from '../job-event.js';
import type { Decision, InstanceView, LaunchPool, Observation, SpotRequestView } from './observation.js';
import { SpotDecision, spotDecisionFor } from './spot-status.js';
import { assertNever } from '../assert-never.js';
import { finish, interrupt, issueRequest, remainingTypes, startAttempt, toLaunching, tryNextInstanceType } from './attempts.js';
import { onAgent } from './agent-reports.js';
import { decideTerminal } from './ended.js';
import { applyOnDemandWait, runOnDemand } from './fallback.js';
import { checkDrainDeadline, isDrainingResource, onDrainingInstance, replaceEarly } from './draining.js';
import { currentType, REQUEST_OVER_STATES, Transition } from './transition.js';
import { runDeadlineSeconds } from './deadlines.js';

import { DEFAULT_TIMINGS, type LifecycleTimings } from './timings.js';

export { DEFAULT_TIMINGS, type LifecycleTimings };

export function decide(job: Job, observation: Observation, now: Date, timings: LifecycleTimings = DEFAULT_TIMINGS): Decision {
  const ctx = new Transition(job, now, timings);
  if (isTerminal(job.status)) {
    decideTerminal(ctx, observation);
  } else {
    decideActive(ctx, observation);
  }
  return ctx.result();
}

function decideActive(t: Transition, obs: Observation): void {
  // Before its first request a job owns nothing in EC2: only time and users move it.
  if (t.job.status === JobStatus.Scheduled && obs.kind !== 'tick' && obs.kind !== 'cancel') return;
  switch (obs.kind) {
    case 'tick':
      return onTick(t);
    case 'cancel':
      return finish(t, JobStatus.Cancelled, { reason: 'cancelled', by: obs.by });
    case 'spotRequested':
      return onSpotRequested(t, obs);
    case 'spotRequestFailed':
      return onSpotRequestFailed(t, obs);
    case 'spot':
      return onSpot(t, obs.request);
    case 'instance':
      return onInstance(t, obs.instance);
    case 'agent':
      return onAgent(t, obs);
    case 'callbackResult':
      return; // callbacks are only sent for ended jobs
    case 'runOnDemand':
      return runOnDemand(t, obs.by);
    default:
      return assertNever(obs);
  }
}

function onTick(t: Transition): void {
  checkDrainDeadline(t);
  const job = t.job;
  switch (job.status) {
    case JobStatus.Scheduled:
      if (t.now.getTime() >= Date.parse(job.runAt)) startAttempt(t, job.attempt + 1, 'due');
      return;
    case JobStatus.Requested:
      if (applyOnDemandWait(t)) return;
      // An instance known from the launch (RunInstances makes no request on moto) is launched.
      if (!job.spotRequestId && !job.instanceId && t.secondsSince(job.requestedAt) >= t.timings.requestRetrySeconds) {
        issueRequest(t);
      }
      return;
    case JobStatus.Launching:
      if (t.secondsSince(job.launchedAt) >= t.timings.launchTimeoutSeconds) {
        interrupt(t, { cause: 'launch-timeout', seconds: t.timings.launchTimeoutSeconds });
      }
      return;
    case JobStatus.Running: {
      // On EC2, a grace after the deadline for the agent's own report (deadlines.ts).
      const deadline = runDeadlineSeconds(job, t.timings);
      if (job.spec.timeoutSeconds !== undefined && deadline !== undefined && t.secondsSince(job.startedAt) >= deadline) {
        finish(t, JobStatus.Failed, { reason: 'timeout', seconds: job.spec.timeoutSeconds });
      }
      return;
    }
    case JobStatus.Succeeded:
    case JobStatus.Failed:
    case JobStatus.Cancelled:
      return;
    default:
      return assertNever(job.status);
  }
}

/** Records where the launch went, at once: instance, type, zone and price, and the pools that refused first. */
function onSpotRequested(t: Transition, obs: Extract<Observation, { kind: 'spotRequested' }>): void {
  const job = t.job;
  if (obs.attempt !== job.attempt) return;
  const newRequest = obs.requestId !== undefined && job.spotRequestId !== obs.requestId;
  const newInstance = obs.instanceId !== undefined && !job.instanceId;
  if (newRequest) t.set({ spotRequestId: obs.requestId });
  if (newInstance) {
    t.set({ instanceId: obs.instanceId, instanceType: obs.pool?.instanceType ?? currentType(job), zone: obs.pool?.zone });
    if (obs.pricePerHour !== undefined && job.pricePerHour === undefined) t.set({ pricePerHour: obs.pricePerHour });
    // Always this attempt's own: an attempt before it may have run on another type.
    t.set({ onDemandPricePerHour: obs.onDemandPricePerHour });
  }
  // Said once, for the launch the job now follows (a repeated result records nothing new).
  if (obs.refused?.length && (newInstance || (newRequest && obs.instanceId === undefined))) {
    t.event({ kind: 'waiting', wait: 'pools-refused', pools: obs.refused.map(poolRef), ...(obs.pool && { launchedIn: poolRef(obs.pool) }) });
  }
  const drained = job.draining;
  if (newInstance && drained) {
    const pool = obs.pool ? poolRef(obs.pool) : { instanceType: currentType(job) };
    t.event({ kind: 'replacement-launched', attempt: job.attempt, replaced: drained.attempt, cause: drained.cause, pool });
  }
}

function poolRef(pool: LaunchPool): PoolRef {
  return { instanceType: pool.instanceType, ...(pool.zone && { zone: pool.zone }) };
}

function onSpotRequestFailed(t: Transition, obs: Extract<Observation, { kind: 'spotRequestFailed' }>): void {
  if (obs.attempt !== t.job.attempt || t.job.status !== JobStatus.Requested) return;
  if (obs.permanent) {
    finish(t, JobStatus.Failed, { reason: 'launch-refused', compute: computeOf(t.job), code: obs.code, message: obs.message });
    return;
  }
  // Retry on a later tick; say why only when the reason changes.
  if (t.job.spotStatusCode !== obs.code) {
    t.set({ spotStatusCode: obs.code, spotStatusMessage: obs.message });
    if (obs.capacity && obs.refused?.length) {
      t.event({ kind: 'waiting', wait: 'pools-refused', pools: obs.refused.map(poolRef), retryInSeconds: t.timings.requestRetrySeconds });
    } else {
      t.event({ kind: 'waiting', wait: 'launch-retry', code: obs.code, message: obs.message, compute: computeOf(t.job) });
    }
  }
  t.set({ requestedAt: t.nowIso });
  if (!obs.capacity) return;
  // Every remaining type was tried in that one launch and none could be had: retry them all on a
  // later tick, and give up once none has had capacity for long enough.
  const since = t.job.capacityRefusedSince ?? t.nowIso;
  t.set({ capacityRefusedSince: since });
  if (applyOnDemandWait(t)) return;
  if (t.secondsSince(since) >= t.timings.capacityGiveUpSeconds) {
    finish(t, JobStatus.Failed, { reason: 'no-capacity', instanceTypes: remainingTypes(t.job), code: obs.code, message: obs.message });
  }
}

function onSpot(t: Transition, request: SpotRequestView): void {
  const job = t.job;
  if (request.attempt !== undefined && request.attempt !== job.attempt) return;
  if (job.spotRequestId ? request.requestId !== job.spotRequestId : request.attempt !== job.attempt) return;
  if (job.abandonedRequestIds?.includes(request.requestId)) return;

  if (request.state === 'missing') {
    if (job.status === JobStatus.Requested && t.secondsSince(job.requestedAt) >= t.timings.requestVisibilityGraceSeconds) {
      // The request vanished before it launched anything (EC2 forgets closed requests after a
      // few hours). Re-placing it with the same token could find the same lost request again,
      // forever: it counts as an interruption, so retries bound it.
      t.requestGone = true;
      interrupt(t, { cause: 'request-vanished' });
    }
    return;
  }

  t.set({
    spotRequestId: request.requestId,
    spotState: request.state,
    spotStatusMessage: request.statusMessage,
  });
  const previousCode = job.spotStatusCode;
  t.set({ spotStatusCode: request.statusCode });
  // (Never the draining attempt's instance: a request is one attempt's.)
  if (request.instanceId && !job.instanceId && request.instanceId !== job.draining?.instanceId) t.set({ instanceId: request.instanceId, instanceType: request.instanceType ?? currentType(job) });

  t.requestGone = REQUEST_OVER_STATES.has(request.state);
  const decision = spotDecisionFor(request.statusCode, request.state);
  switch (decision) {
    case SpotDecision.Wait:
      return;
    case SpotDecision.Capacity:
      if (previousCode !== request.statusCode) {
        t.event({ kind: 'waiting', wait: 'capacity', statusCode: request.statusCode, statusMessage: request.statusMessage });
      }
      if (applyOnDemandWait(t)) return;
      if (job.status === JobStatus.Requested && t.secondsSince(job.requestedAt) >= t.timings.capacityFallbackSeconds) {
        tryNextInstanceType(t);
      }
      return;
    case SpotDecision.Fulfilled:
      if (job.status === JobStatus.Requested && job.instanceId) toLaunching(t);
      return;
    case SpotDecision.Notice:
      // The notice seen on the request (`marked-for-termination`) before the agent said it: replace now.
      if ((job.status === JobStatus.Launching || job.status === JobStatus.Running) && replaceEarly(t, 'notice')) return;
      if (!job.interruptionNoticeAt) {
        t.set({ interruptionNoticeAt: t.nowIso });
        t.event({ kind: 'interruption-notice', source: 'spot', statusCode: request.statusCode ?? request.state });
      }
      return;
    case SpotDecision.Interrupted:
      interrupt(t, { cause: 'spot-reclaimed', status: request.statusCode ?? request.state });
      return;
    case SpotDecision.EndedByUser:
      // We only cancel or terminate for attempts that are over, so for the current attempt of an
      // active job this was done by someone else: the container is lost all the same.
      interrupt(t, { cause: 'spot-ended-elsewhere', status: request.statusCode ?? request.state });
      return;
    case SpotDecision.Failed:
      finish(t, JobStatus.Failed, { reason: 'spot-failed', status: request.statusCode ?? request.state, message: request.statusMessage });
      return;
    default:
      return assertNever(decision);
  }
}

function onInstance(t: Transition, instance: InstanceView): void {
  const job = t.job;
  if (job.draining && isDrainingResource(instance, job.draining)) return onDrainingInstance(t, instance);
  // Adopt an instance only when its tags say it belongs to the current attempt, and never one
  // launched by a request given up for another instance type.
  if (instance.attempt !== undefined && instance.attempt !== job.attempt) return;
  if (instance.spotRequestId !== undefined && job.abandonedRequestIds?.includes(instance.spotRequestId)) return;
  if (job.instanceId ? instance.instanceId !== job.instanceId : instance.attempt !== job.attempt) return;
  if (!job.instanceId) t.set({ instanceId: instance.instanceId, instanceType: instance.instanceType ?? currentType(job) });
  if (!job.zone && instance.zone) t.set({ zone: instance.zone });
  // The price of this attempt's instance, read once: cost is instance time at that price.
  if (instance.pricePerHour !== undefined && job.pricePerHour === undefined) t.set({ pricePerHour: instance.pricePerHour });

  switch (instance.state) {
    case 'pending':
    case 'running':
      if (job.status === JobStatus.Requested) toLaunching(t);
      return;
    case 'missing':
      if (t.secondsSince(job.launchedAt ?? job.requestedAt) < t.timings.instanceVisibilityGraceSeconds) return;
      t.instanceGone = true;
      interrupt(t, { cause: 'instance-missing' });
      return;
    case 'shutting-down':
    case 'terminated':
      t.instanceGone = true;
      interrupt(t, { cause: 'instance-state', state: instance.state });
      return;
    case 'stopping':
    case 'stopped':
      interrupt(t, { cause: 'instance-state', state: instance.state });
      return;
    default:
      return assertNever(instance.state);
  }
}

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
 * never as words: the view writes those (bot/core/event-words.ts).
 */
import { CallbackState, computeOf, isTerminal, JobStatus, MAX_EVENTS, type Job } from './job.js';
import type { EndReason, InterruptionCause, JobEventFacts, RecordedJobEvent } from './job-event.js';
import { LIVE_INSTANCE_STATES, type Decision, type Effect, type InstanceView, type Observation, type SpotRequestView } from './observation.js';
import { SpotDecision, spotDecisionFor } from './spot-status.js';
import { callbackRetryDelaySeconds } from './callback.js';
import { assertNever } from './assert-never.js';

/** Timing rules of the lifecycle; the defaults suit EC2, tests shorten them. */
export interface LifecycleTimings {
  /** Re-issue a spot request whose call failed or whose id was never recorded. */
  requestRetrySeconds: number;
  /** A request EC2 no longer lists after this long is treated as lost. */
  requestVisibilityGraceSeconds: number;
  /** Waiting on capacity this long moves to the next instance type. */
  capacityFallbackSeconds: number;
  /** An instance whose agent has not said `started` after this long is given up on. */
  launchTimeoutSeconds: number;
  /** An instance EC2 no longer lists after this long since launch is gone. */
  instanceVisibilityGraceSeconds: number;
  /** A callback try in flight is not repeated for this long. */
  callbackInFlightSeconds: number;
  /**
   * EC2 refusing every instance type for capacity this long (the RequestSpotInstances call itself
   * failing: `Unsupported`, `VcpuLimitExceeded`…) fails the job rather than retrying forever.
   */
  capacityGiveUpSeconds: number;
}

export const DEFAULT_TIMINGS: LifecycleTimings = {
  requestRetrySeconds: 30,
  requestVisibilityGraceSeconds: 120,
  capacityFallbackSeconds: 300,
  launchTimeoutSeconds: 900,
  instanceVisibilityGraceSeconds: 120,
  callbackInFlightSeconds: 120,
  capacityGiveUpSeconds: 3600,
};

/** A request in one of these states can launch nothing more. */
const REQUEST_OVER_STATES: ReadonlySet<string> = new Set(['cancelled', 'closed', 'failed', 'missing']);

export function clientTokenFor(jobId: string, attempt: number, instanceTypeIndex: number): string {
  // EC2 allows 64 ASCII characters; job ids are at most 48.
  return `${jobId}.${attempt}.${instanceTypeIndex}`.slice(0, 64);
}

export function decide(job: Job, observation: Observation, now: Date, timings: LifecycleTimings = DEFAULT_TIMINGS): Decision {
  const ctx = new Transition(job, now, timings);
  if (isTerminal(job.status)) {
    decideTerminal(ctx, observation);
  } else {
    decideActive(ctx, observation);
  }
  return ctx.result();
}

/** Accumulates one transition: the changed job and its effects. */
class Transition {
  job: Job;
  effects: Effect[] = [];
  /** The observation being decided on shows the current instance already gone. */
  instanceGone = false;
  /** The observation being decided on shows the current request already over. */
  requestGone = false;
  private changed = false;

  constructor(
    original: Job,
    readonly now: Date,
    readonly timings: LifecycleTimings,
  ) {
    this.job = structuredClone(original);
  }

  get nowIso(): string {
    return this.now.toISOString();
  }

  secondsSince(iso: string | undefined): number {
    if (!iso) return Number.POSITIVE_INFINITY;
    return (this.now.getTime() - Date.parse(iso)) / 1000;
  }

  set(patch: Partial<Job>): void {
    for (const [key, value] of Object.entries(patch) as [keyof Job, unknown][]) {
      if (this.job[key] !== value) {
        (this.job as unknown as Record<string, unknown>)[key] = value;
        this.changed = true;
      }
    }
  }

  event(facts: JobEventFacts): void {
    const event: RecordedJobEvent = { ...facts, at: this.nowIso };
    this.job.events = [...this.job.events, event].slice(-MAX_EVENTS);
    this.changed = true;
    this.effects.push({ kind: 'notify', jobId: this.job.id, event });
  }

  effect(effect: Effect): void {
    this.effects.push(effect);
  }

  result(): Decision {
    if (this.changed) {
      this.job.updatedAt = this.nowIso;
    }
    return { job: this.job, effects: this.effects };
  }
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
      return onSpotRequested(t, obs.attempt, obs.requestId, obs.instanceId);
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
    default:
      return assertNever(obs);
  }
}

function onTick(t: Transition): void {
  const job = t.job;
  switch (job.status) {
    case JobStatus.Scheduled:
      if (t.now.getTime() >= Date.parse(job.runAt)) startAttempt(t, job.attempt + 1, 'due');
      return;
    case JobStatus.Requested:
      if (!job.spotRequestId && t.secondsSince(job.requestedAt) >= t.timings.requestRetrySeconds) {
        issueRequest(t);
      }
      return;
    case JobStatus.Launching:
      if (t.secondsSince(job.launchedAt) >= t.timings.launchTimeoutSeconds) {
        interrupt(t, { cause: 'launch-timeout', seconds: t.timings.launchTimeoutSeconds });
      }
      return;
    case JobStatus.Running:
      if (job.spec.timeoutSeconds !== undefined && t.secondsSince(job.startedAt) >= job.spec.timeoutSeconds) {
        finish(t, JobStatus.Failed, { reason: 'timeout', seconds: job.spec.timeoutSeconds });
      }
      return;
    case JobStatus.Succeeded:
    case JobStatus.Failed:
    case JobStatus.Cancelled:
      return;
    default:
      return assertNever(job.status);
  }
}

function onSpotRequested(t: Transition, attempt: number, requestId: string, instanceId: string | undefined): void {
  if (attempt !== t.job.attempt || t.job.spotRequestId === requestId) return;
  t.set({ spotRequestId: requestId });
  if (instanceId && !t.job.instanceId) t.set({ instanceId });
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
    t.event({ kind: 'waiting', wait: 'launch-retry', code: obs.code, message: obs.message });
  }
  t.set({ requestedAt: t.nowIso });
  if (!obs.capacity) return;
  // The call itself says this type cannot be had (here, now): move on, as a capacity wait does.
  const since = t.job.capacityRefusedSince ?? t.nowIso;
  t.set({ capacityRefusedSince: since });
  const waited = t.secondsSince(since);
  const lastType = t.job.instanceTypeIndex + 1 >= t.job.spec.instanceTypes.length;
  if (!lastType && waited >= t.timings.capacityFallbackSeconds) {
    tryNextInstanceType(t);
  } else if (lastType && waited >= t.timings.capacityGiveUpSeconds) {
    finish(t, JobStatus.Failed, { reason: 'no-capacity', instanceTypes: [...t.job.spec.instanceTypes], code: obs.code, message: obs.message });
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
  if (request.instanceId && !job.instanceId) t.set({ instanceId: request.instanceId, instanceType: request.instanceType ?? currentType(job) });

  t.requestGone = REQUEST_OVER_STATES.has(request.state);
  const decision = spotDecisionFor(request.statusCode, request.state);
  switch (decision) {
    case SpotDecision.Wait:
      return;
    case SpotDecision.Capacity:
      if (previousCode !== request.statusCode) {
        t.event({ kind: 'waiting', wait: 'capacity', statusCode: request.statusCode, statusMessage: request.statusMessage });
      }
      if (job.status === JobStatus.Requested && t.secondsSince(job.requestedAt) >= t.timings.capacityFallbackSeconds) {
        tryNextInstanceType(t);
      }
      return;
    case SpotDecision.Fulfilled:
      if (job.status === JobStatus.Requested && job.instanceId) toLaunching(t);
      return;
    case SpotDecision.Notice:
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
  // Adopt an instance only when its tags say it belongs to the current attempt, and never one
  // launched by a request given up for another instance type.
  if (instance.attempt !== undefined && instance.attempt !== job.attempt) return;
  if (instance.spotRequestId !== undefined && job.abandonedRequestIds?.includes(instance.spotRequestId)) return;
  if (job.instanceId ? instance.instanceId !== job.instanceId : instance.attempt !== job.attempt) return;
  if (!job.instanceId) t.set({ instanceId: instance.instanceId, instanceType: instance.instanceType ?? currentType(job) });
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

function onAgent(t: Transition, obs: Extract<Observation, { kind: 'agent' }>): void {
  const job = t.job;
  if (obs.attempt !== job.attempt || job.status === JobStatus.Scheduled) return;
  switch (obs.status) {
    case 'started':
      if (job.status === JobStatus.Running) return;
      if (job.status === JobStatus.Requested) t.set({ launchedAt: t.nowIso });
      t.set({ status: JobStatus.Running, startedAt: t.nowIso });
      t.event({ kind: 'started', attempt: job.attempt });
      return;
    case 'interrupting':
      if (!job.interruptionNoticeAt) {
        t.set({ interruptionNoticeAt: t.nowIso });
        t.event({ kind: 'interruption-notice', source: 'agent' });
      }
      return;
    case 'finished': {
      const exitCode = obs.exitCode ?? 255;
      t.set({ exitCode, logTail: obs.logTail });
      if (!job.startedAt) t.set({ startedAt: t.nowIso });
      if (exitCode === 0) finish(t, JobStatus.Succeeded);
      else finish(t, JobStatus.Failed, { reason: 'exit-code', exitCode });
      return;
    }
    default:
      return assertNever(obs.status);
  }
}

/** Terminal jobs only converge: the instance must go, the callback must be delivered. */
function decideTerminal(t: Transition, obs: Observation): void {
  const job = t.job;
  switch (obs.kind) {
    case 'tick': {
      const cb = job.callback;
      if (cb?.state === CallbackState.Pending && t.secondsSince(cb.nextAt) >= 0) sendCallback(t);
      if (!job.cleanedUp && !job.instanceId && !job.spotRequestId) t.set({ cleanedUp: true });
      return;
    }
    case 'instance':
      if (obs.instance.instanceId !== job.instanceId && obs.instance.attempt !== job.attempt) return;
      if (LIVE_INSTANCE_STATES.has(obs.instance.state)) {
        t.effect({ kind: 'terminateInstance', instanceId: obs.instance.instanceId });
      } else if (obs.instance.instanceId === job.instanceId) {
        t.set({ cleanedUp: true });
      }
      return;
    case 'spot':
      if (obs.request.requestId !== job.spotRequestId) return;
      if (obs.request.instanceId && obs.request.instanceId !== job.instanceId) {
        // The request launched an instance after the job ended (or we never saw it): it must go.
        t.effect({ kind: 'terminateInstance', instanceId: obs.request.instanceId });
        if (!job.instanceId) t.set({ instanceId: obs.request.instanceId, cleanedUp: false });
        return;
      }
      if (!job.instanceId && REQUEST_OVER_STATES.has(obs.request.state)) {
        t.set({ cleanedUp: true });
      }
      return;
    case 'callbackResult':
      return onCallbackResult(t, obs);
    case 'spotRequested':
      // A request placed for a job that has ended in the meantime: withdraw it.
      t.effect({ kind: 'cancelSpotRequest', requestId: obs.requestId });
      if (obs.instanceId) t.effect({ kind: 'terminateInstance', instanceId: obs.instanceId });
      return;
    case 'spotRequestFailed':
    case 'agent':
    case 'cancel':
      return;
    default:
      return assertNever(obs);
  }
}

function onCallbackResult(t: Transition, obs: Extract<Observation, { kind: 'callbackResult' }>): void {
  const cb = t.job.callback;
  // A result for a try other than the next one is a repeat: it was counted already.
  if (!cb || cb.state !== CallbackState.Pending || obs.tryNumber !== cb.attempts + 1) return;
  const attempts = cb.attempts + 1;
  if (obs.ok) {
    t.set({ callback: { state: CallbackState.Delivered, attempts, lastStatusCode: obs.statusCode } });
    t.event({ kind: 'callback', delivered: true, statusCode: obs.statusCode });
    return;
  }
  const delay = obs.permanent ? undefined : callbackRetryDelaySeconds(attempts);
  if (delay === undefined) {
    t.set({ callback: { state: CallbackState.Failed, attempts, lastStatusCode: obs.statusCode, lastError: obs.error } });
    t.event({ kind: 'callback', delivered: false, attempts, statusCode: obs.statusCode, error: obs.error });
    return;
  }
  const nextAt = new Date(t.now.getTime() + delay * 1000).toISOString();
  t.set({ callback: { state: CallbackState.Pending, attempts, nextAt, lastStatusCode: obs.statusCode, lastError: obs.error } });
}

function sendCallback(t: Transition): void {
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

function startAttempt(t: Transition, attempt: number, why: 'due' | 'retry'): void {
  t.set({
    status: JobStatus.Requested,
    attempt,
    instanceTypeIndex: 0,
    spotRequestId: undefined,
    instanceId: undefined,
    instanceType: undefined,
    spotState: undefined,
    spotStatusCode: undefined,
    spotStatusMessage: undefined,
    abandonedRequestIds: undefined,
    capacityRefusedSince: undefined,
    pricePerHour: undefined,
    launchedAt: undefined,
    startedAt: why === 'due' ? undefined : t.job.startedAt,
    interruptionNoticeAt: undefined,
  });
  issueRequest(t);
}

function issueRequest(t: Transition): void {
  const { job } = t;
  const instanceType = currentType(job);
  const market = 'spot';
  t.set({ requestedAt: t.nowIso });
  t.event({ kind: 'requested', attempt: job.attempt, compute: computeOf(job), market, pool: { instanceType } });
  t.effect({
    kind: 'launch',
    jobId: job.id,
    attempt: job.attempt,
    market,
    pools: [{ instanceType }],
    clientToken: clientTokenFor(job.id, job.attempt, job.instanceTypeIndex),
  });
}

function tryNextInstanceType(t: Transition): void {
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

function toLaunching(t: Transition): void {
  t.set({ status: JobStatus.Launching, launchedAt: t.nowIso });
  t.event({ kind: 'launching', compute: computeOf(t.job), instanceId: t.job.instanceId, instanceType: t.job.instanceType ?? currentType(t.job) });
}

/** The current attempt's instance is lost: request a new one, or fail when retries are spent. */
function interrupt(t: Transition, why: InterruptionCause): void {
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
  startAttempt(t, job.attempt + 1, 'retry');
}

function releaseAttemptResources(t: Transition): void {
  const { job } = t;
  if (job.spotRequestId) t.effect({ kind: 'cancelSpotRequest', requestId: job.spotRequestId });
  if (job.instanceId) t.effect({ kind: 'terminateInstance', instanceId: job.instanceId });
}

function finish(t: Transition, status: typeof JobStatus.Succeeded): void;
function finish(t: Transition, status: typeof JobStatus.Failed | typeof JobStatus.Cancelled, endReason: EndReason): void;
function finish(t: Transition, status: typeof JobStatus.Succeeded | typeof JobStatus.Failed | typeof JobStatus.Cancelled, endReason?: EndReason): void {
  const { job } = t;
  addInstanceCost(t);
  releaseAttemptResources(t);
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

function addInstanceCost(t: Transition): void {
  const { job } = t;
  if (!job.launchedAt || job.pricePerHour === undefined) return;
  const hours = Math.max(0, t.secondsSince(job.launchedAt)) / 3600;
  const cost = (job.costUsd ?? 0) + hours * job.pricePerHour;
  t.set({ costUsd: Math.round(cost * 1e6) / 1e6 });
}

function currentType(job: Job): string {
  return job.spec.instanceTypes[job.instanceTypeIndex] ?? job.spec.instanceTypes[0] ?? 't3.micro';
}

/**
 * Replacement on AWS's two-minute notice (and, with `--on-rebalance replace`, on its rebalance
 * recommendation): the next attempt is launched at once while the old one works on until AWS takes
 * its instance. The old attempt is kept on the job as `draining` until it is let go:
 * - its `finished` still ends the job, once, and the replacement is stopped;
 * - its instance is terminated when the replacement's agent says `started`, or at the notice's
 *   deadline (a backstop: AWS takes it at two minutes), and forgotten when EC2 shows it gone.
 * The replacement counts as an interruption; with no retries left the notice is only recorded,
 * as before, and the instance's loss fails the job.
 */
import { JobStatus, type DrainingAttempt } from '../job.js';
import type { DrainCause } from '../job-event.js';
import { assertNever } from '../assert-never.js';
import type { InstanceView, LaunchPool, Observation } from './observation.js';
import { addInstanceCost, finish, releaseDraining, startAttempt } from './attempts.js';
import type { Transition } from './transition.js';

/**
 * The current attempt's agent reported the notice (or a recommendation acted on): launch the next
 * attempt now and keep this one draining. False when the job may not recover (retries spent): the
 * caller then only records what was said.
 */
export function replaceEarly(t: Transition, cause: DrainCause): boolean {
  const { job } = t;
  if (job.status === JobStatus.Scheduled) return false;
  const interruptions = job.interruptions + 1;
  if (interruptions > job.spec.interruptionsTolerated) return false;
  // A replacement replaced in turn: the older instance has had its two minutes.
  releaseDraining(t, 'superseded');
  addInstanceCost(t);
  const draining: DrainingAttempt = {
    attempt: job.attempt,
    ...(job.instanceId && { instanceId: job.instanceId }),
    ...(job.spotRequestId && { spotRequestId: job.spotRequestId }),
    ...(job.instanceType && { instanceType: job.instanceType }),
    ...(job.zone && { zone: job.zone }),
    ...(job.pricePerHour !== undefined && { pricePerHour: job.pricePerHour }),
    noticeAt: t.nowIso,
    cause,
    ...(cause === 'notice' && { deadlineAt: deadlineFrom(t) }),
  };
  t.set({ interruptions, draining });
  t.event({ kind: 'replacing', attempt: job.attempt, cause, interruptions, tolerated: job.spec.interruptionsTolerated });
  // The pool about to be lost is tried last, as after any interruption.
  const lost: LaunchPool[] | undefined = job.instanceType ? [{ instanceType: job.instanceType, ...(job.zone && { zone: job.zone }) }] : undefined;
  startAttempt(t, job.attempt + 1, 'retry', lost);
  return true;
}

/** A report of the draining attempt's agent: only `finished` matters (and a notice sets the deadline). */
export function onDrainingAgent(t: Transition, obs: Extract<Observation, { kind: 'agent' }>): void {
  const drained = t.job.draining;
  if (!drained) return;
  switch (obs.status) {
    case 'finished': {
      const exitCode = obs.exitCode ?? 255;
      // A transient exit (--retry-exit): the replacement already running is the retry it asks for.
      if (exitCode !== 0 && t.job.spec.retryExitCodes?.includes(exitCode)) {
        releaseDraining(t, 'retry-exit');
        return;
      }
      t.event({ kind: 'finished-after-all', attempt: drained.attempt, exitCode });
      releaseDraining(t, 'finished');
      t.set({ exitCode, logTail: obs.logTail });
      if (!t.job.startedAt) t.set({ startedAt: t.nowIso });
      // `finish` stops the replacement (its request and instance) and sends the callback, once.
      if (exitCode === 0) finish(t, JobStatus.Succeeded);
      else finish(t, JobStatus.Failed, { reason: 'exit-code', exitCode });
      return;
    }
    case 'interrupting':
      // Replaced on a rebalance recommendation, now given the notice: AWS takes it in two minutes.
      if (!drained.deadlineAt) t.set({ draining: { ...drained, deadlineAt: deadlineFrom(t) } });
      return;
    case 'started':
    case 'rebalance':
      return;
    default:
      return assertNever(obs.status);
  }
}

/** The draining attempt's instance as EC2 lists it: once gone (or stopped), it is let go. */
export function onDrainingInstance(t: Transition, instance: InstanceView): void {
  switch (instance.state) {
    case 'pending':
    case 'running':
      return;
    case 'shutting-down':
    case 'terminated':
    case 'missing':
      releaseDraining(t, 'gone');
      return;
    case 'stopping':
    case 'stopped':
      // Stopped rather than terminated by AWS: it can do no more work, and must not be kept.
      releaseDraining(t, 'gone', true);
      return;
    default:
      return assertNever(instance.state);
  }
}

/** On every tick: past the notice's deadline, the draining instance is terminated. */
export function checkDrainDeadline(t: Transition): void {
  const deadline = t.job.draining?.deadlineAt;
  if (deadline !== undefined && t.now.getTime() >= Date.parse(deadline)) releaseDraining(t, 'deadline');
}

/**
 * Whether an instance or request is the draining attempt's: by its id once known, else (the
 * attempt's instance never recorded) by the attempt tag.
 */
export function isDrainingResource(resource: { attempt?: number; instanceId?: string; requestId?: string }, drained: DrainingAttempt): boolean {
  if (resource.instanceId !== undefined && resource.instanceId === drained.instanceId) return true;
  if (resource.requestId !== undefined && resource.requestId === drained.spotRequestId) return true;
  return drained.instanceId === undefined && resource.attempt === drained.attempt;
}

function deadlineFrom(t: Transition): string {
  return new Date(t.now.getTime() + t.timings.drainDeadlineSeconds * 1000).toISOString();
}

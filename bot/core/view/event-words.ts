/**
 * The words of a job's history. Events and end reasons are data (bot/core/job-event.ts); this is
 * the one place that turns them into the sentences every surface shows — Slack, the terminal, the
 * log and the REST API's `reason`. Events stored before they were data are shown as stored.
 */
import { describeSpotWait } from '../lifecycle/spot-status.js';
import { formatUtc } from '../request/job-request.js';
import { formatDuration } from '../duration.js';
import { isLegacyEvent, type DrainRelease, type EndReason, type InterruptionCause, type JobEvent, type OnDemandReason, type PoolRef } from '../job-event.js';
import type { Job } from '../job.js';
import { assertNever } from '../assert-never.js';
import { GUARD_RAIL_SETTINGS, type GuardRailLowering } from '../request/guard-rails.js';

/** One event as a sentence: "spot request issued for t3.micro (attempt 1)". */
export function describeEvent(event: JobEvent): string {
  if (isLegacyEvent(event)) return event.text;
  switch (event.kind) {
    case 'created': {
      const created = event.scheduledFor === undefined ? 'created; starting now' : `scheduled for ${formatUtc(new Date(event.scheduledFor))} UTC`;
      return event.lowered?.length ? `${created}; ${event.lowered.map(describeLowering).join('; ')}` : created;
    }
    case 'requested':
      if (event.compute === 'local') return `starting on this machine (attempt ${event.attempt})`;
      return event.market === 'spot'
        ? `spot request issued for ${(event.instanceTypes ?? [event.pool.instanceType]).join(', ')} (attempt ${event.attempt})`
        : `on-demand instance requested: ${(event.instanceTypes ?? [event.pool.instanceType]).join(', ')} (attempt ${event.attempt})`;

    case 'waiting':
      switch (event.wait) {
        case 'capacity':
          return `waiting for spot capacity: ${describeSpotWait(event.statusCode, event.statusMessage)}`;
        case 'launch-retry':
          // Events stored before `compute` was recorded were all EC2's.
          return event.compute === 'local'
            ? `could not start on this machine yet: ${event.code} (${event.message}); retrying`
            : `instance not launched yet: ${event.code} (${event.message}); retrying`;
        case 'pools-refused': {
          const none = `no spot capacity in ${event.pools.map(describePool).join(', ')}`;
          if (event.launchedIn) return `${none}; launched in ${describePool(event.launchedIn)} instead`;
          return `${none}; trying again${event.retryInSeconds === undefined ? '' : ` in ${event.retryInSeconds} s`}`;
        }
        default:
          return assertNever(event);
      }
    case 'instance-type-changed':
      return `no ${event.from} capacity after ${event.afterSeconds} s; trying ${event.to}`;
    case 'on-demand':
      return `running on-demand from now on: ${describeOnDemandReason(event.reason)}`;
    case 'launching':
      return event.compute === 'local'
        ? 'the agent is running on this machine; starting the container'
        : `instance ${String(event.instanceId)} is up (${event.instanceType}); starting the container`;
    case 'started':
      return `container started (attempt ${event.attempt})`;
    case 'interruption-notice':
      return event.source === 'spot' ? `AWS will reclaim the instance soon (${event.statusCode})` : 'the instance received the two-minute spot interruption notice';
    case 'rebalance-recommended':
      return `AWS recommends moving off this instance soon (rebalance recommendation); attempt ${event.attempt} keeps running`;
    case 'interrupted': {
      const next = event.compute === 'local' ? 'starting it again' : 'requesting a new instance';
      return `attempt ${event.attempt} interrupted: ${describeInterruption(event.interruption)}; ${next} (attempt ${event.attempt + 1})`;
    }
    case 'replacing':
      return event.cause === 'notice'
        ? `AWS gave the two-minute notice for attempt ${event.attempt}; launching a replacement now (attempt ${event.attempt + 1}, interruption ${event.interruptions} of ${event.tolerated} tolerated) while attempt ${event.attempt} works on until AWS takes it`
        : `AWS recommends moving off attempt ${event.attempt}'s instance (rebalance recommendation); launching a replacement now (attempt ${event.attempt + 1}, interruption ${event.interruptions} of ${event.tolerated} tolerated) while attempt ${event.attempt} works on`;
    case 'replacement-launched':
      return `${event.cause === 'notice' ? 'AWS gave the two-minute notice' : 'AWS recommended a rebalance'}; replacement launched in ${describePool(event.pool)} (attempt ${event.attempt}) while attempt ${event.replaced} works on`;
    case 'finished-after-all':
      return `attempt ${event.attempt} finished after all (exit ${event.exitCode}); replacement stopped`;
    case 'drain-released':
      return `attempt ${event.attempt}'s instance${event.instanceId ? ` ${event.instanceId}` : ''} ${describeDrainRelease(event.release)}`;
    case 'succeeded':
      return `succeeded (exit 0${ranFor(event.ranSeconds)})`;
    case 'failed':
      return `failed: ${describeEndReason(event.end)}${ranFor(event.ranSeconds)}`;
    case 'cancelled':
      return describeEndReason(event.end);
    case 'callback':
      if (event.delivered) return `callback delivered (HTTP ${event.statusCode ?? 'ok'})`;
      return `callback failed after ${event.attempts} ${event.attempts === 1 ? 'try' : 'tries'}: ${event.error ?? `HTTP ${String(event.statusCode)}`}`;
    default:
      return assertNever(event);
  }
}

/** Why a job failed or was cancelled, in words; undefined when it did neither. */
export function jobReason(job: Job): string | undefined {
  return job.endReason ? describeEndReason(job.endReason) : job.reason;
}

export function describeEndReason(end: EndReason): string {
  switch (end.reason) {
    case 'exit-code':
      return `the container exited with code ${end.exitCode}`;
    case 'timeout':
      return `timed out after ${end.seconds} s`;
    case 'launch-refused':
      return `${end.compute === 'local' ? 'the job could not start on this machine' : 'the spot request was refused'}: ${end.code}: ${end.message}`;
    case 'no-capacity':
      return `EC2 could not place any of the instance types (${end.instanceTypes.join(', ')}): ${end.code}: ${end.message}`;
    case 'spot-failed':
      return `spot request failed: ${end.status}${end.message ? `: ${end.message}` : ''}`;
    case 'retries-spent':
      return `interrupted ${end.interruptions} times (${describeInterruption(end.last)}); retries spent (--retries ${end.tolerated})`;
    case 'cancelled':
      return `cancelled by ${end.by}`;
    default:
      return assertNever(end);
  }
}

function describeInterruption(interruption: InterruptionCause): string {
  switch (interruption.cause) {
    case 'launch-timeout':
      return `the instance did not start the container within ${formatDuration(interruption.seconds)}`;
    case 'request-vanished':
      return 'the spot request disappeared before launching anything';
    case 'spot-reclaimed':
      return `spot ${interruption.status}`;
    case 'spot-ended-elsewhere':
      return `spot ${interruption.status} outside Sched`;
    case 'instance-missing':
      return 'the instance disappeared';
    case 'instance-state':
      return `the instance is ${interruption.state}`;
    case 'retry-exit':
      return `the container exited with code ${interruption.exitCode}, which --retry-exit retries`;
    default:
      return assertNever(interruption);
  }
}

function describeOnDemandReason(reason: OnDemandReason): string {
  switch (reason.why) {
    case 'interruptions':
      return reason.interruptions === 0
        ? 'asked for from the start (--on-demand-after 0)'
        : `interrupted ${reason.interruptions} ${reason.interruptions === 1 ? 'time' : 'times'} (--on-demand-after ${reason.interruptions})`;
    case 'no-spot-capacity':
      return `no spot capacity in any pool for ${formatDuration(reason.waitedSeconds)} (--on-demand-wait)`;
    case 'asked':
      return `asked by ${reason.by}`;
    default:
      return assertNever(reason);
  }
}

function describeDrainRelease(release: DrainRelease): string {
  switch (release) {
    case 'replacement-started':
      return 'terminated: the replacement has started';
    case 'gone':
      return 'is gone (AWS took it)';
    case 'deadline':
      return "terminated: AWS's two-minute deadline has passed";
    case 'superseded':
      return 'terminated: its replacement got the notice in turn';
    case 'retry-exit':
      return 'terminated: its container exited with a --retry-exit code, and the replacement is that retry';
    default:
      return assertNever(release);
  }
}

/** "m7g.medium (us-west-2a)", or the type alone when the zone is not known. */
export function describePool(pool: PoolRef): string {
  return pool.zone ? `${pool.instanceType} (${pool.zone})` : pool.instanceType;
}

/** ", 14m" after a run's outcome when the container started. */
function ranFor(seconds: number | undefined): string {
  return seconds === undefined ? '' : `, ${formatDuration(seconds)}`;
}

/** What a schedule's firing got lower than its schedule asked, and which limit said so. */
function describeLowering(lowering: GuardRailLowering): string {
  return lowering.limit === 'max-price'
    ? `max price lowered from ${lowering.from} to ${lowering.to} USD per hour (the operator's ${GUARD_RAIL_SETTINGS.maxPriceCeiling})`
    : `timeout lowered from ${formatDuration(lowering.from)} to ${formatDuration(lowering.to)} (the operator's ${GUARD_RAIL_SETTINGS.maxTimeout})`;
}

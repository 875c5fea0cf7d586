/**
 * A job's history as data. The lifecycle records what happened — which attempt, on which compute,
 * in which pool, with what outcome — and never words: the view (`describeEvent` in
 * bot/core/view/event-words.ts) writes the one sentence every surface shows (Slack, the terminal, the
 * log). Each kind carries exactly the facts its sentence is made from.
 *
 * Events stored before events were data carry their words only (`LegacyJobEvent`); they are read
 * back as they were written and shown as stored.
 */
import type { Market } from './lifecycle/observation.js';
import type { GuardRailLowering } from './request/guard-rails.js';

/** A pool as events name it: an instance type, and its availability zone when known. */
export interface PoolRef {
  instanceType: string;
  zone?: string;
}

/** Where a job's attempts run: EC2 (spot), or this machine (the embedded default). */
export type Compute = 'ec2' | 'local';

/** Why an attempt was replaced before its instance was gone: AWS's two-minute notice, or its rebalance recommendation. */
export type DrainCause = 'notice' | 'rebalance';

/** How a replaced (draining) attempt's instance was let go. */
export type DrainRelease =
  /** The replacement's agent said `started`: the old instance was terminated. */
  | 'replacement-started'
  /** EC2 shows the old instance gone (AWS took it). */
  | 'gone'
  /** The two-minute deadline passed: terminated as a backstop. */
  | 'deadline'
  /** The replacement itself was replaced: the older instance was terminated. */
  | 'superseded'
  /** Its container exited with one of the job's `--retry-exit` codes: the replacement is that retry. */
  | 'retry-exit';

/** Why the current attempt's instance was lost. */
export type InterruptionCause =
  /** The agent never reported `started` within the launch timeout. */
  | { cause: 'launch-timeout'; seconds: number }
  /** EC2 no longer lists the request, and it never launched anything. */
  | { cause: 'request-vanished' }
  /** AWS reclaimed the spot capacity; `status` is the request's status code (else its state). */
  | { cause: 'spot-reclaimed'; status: string }
  /** The request or its instance was ended by someone other than Sched. */
  | { cause: 'spot-ended-elsewhere'; status: string }
  /** EC2 no longer lists the instance. */
  | { cause: 'instance-missing' }
  | { cause: 'instance-state'; state: 'shutting-down' | 'terminated' | 'stopping' | 'stopped' }
  /** The container exited with a code the job lists as transient (`--retry-exit`). */
  | { cause: 'retry-exit'; exitCode: number };

/** Why the job's attempts moved from spot to on-demand. */
export type OnDemandReason =
  /** `--on-demand-after N`: the job has been interrupted `interruptions` (≥ N) times. */
  | { why: 'interruptions'; interruptions: number }
  /** `--on-demand-wait`: no pool had spot capacity for `waitedSeconds`. */
  | { why: 'no-spot-capacity'; waitedSeconds: number }
  /** Someone pressed "Run on-demand" (`by`: as `cancel` names them). */
  | { why: 'asked'; by: string };

/** Why a job ended without succeeding. */
export type EndReason =
  | { reason: 'exit-code'; exitCode: number }
  | { reason: 'timeout'; seconds: number }
  /** The fleet refused the launch for good (`code` and `message` are its own). */
  | { reason: 'launch-refused'; compute: Compute; code: string; message: string }
  /** Every instance type was refused for capacity for longer than the lifecycle waits. */
  | { reason: 'no-capacity'; instanceTypes: string[]; code: string; message: string }
  /** The spot request failed; `status` is its status code (else its state). */
  | { reason: 'spot-failed'; status: string; message?: string }
  | { reason: 'retries-spent'; interruptions: number; tolerated: number; last: InterruptionCause }
  | { reason: 'cancelled'; by: string };

/** The facts of one event, by kind. */
export type JobEventFacts =
  /** `scheduledFor`: ISO UTC, when the job was created to run later. */
  /** `lowered`: a schedule's firing got the operator's current limits, lower than its schedule asked. */
  | { kind: 'created'; scheduledFor?: string; lowered?: GuardRailLowering[] }
  /** `pool`: the first type asked for; `instanceTypes`: every type of this launch, when more than one. */
  | { kind: 'requested'; attempt: number; compute: Compute; market: Market; pool: { instanceType: string }; instanceTypes?: string[] }

  /** The launch call failed and will be retried (`code` and `message` are the fleet's). */
  | { kind: 'waiting'; wait: 'launch-retry'; code: string; message: string; compute?: Compute }
  /** The spot request waits for capacity (its status code and message, as EC2 gave them). */
  | { kind: 'waiting'; wait: 'capacity'; statusCode?: string; statusMessage?: string }
  /**
   * Pools refused the launch for capacity: it went to `launchedIn` instead, or (none had any)
   * Sched tries them all again in `retryInSeconds`.
   */
  | { kind: 'waiting'; wait: 'pools-refused'; pools: PoolRef[]; launchedIn?: PoolRef; retryInSeconds?: number }
  | { kind: 'instance-type-changed'; from: string; to: string; afterSeconds: number }
  /** The attempt launches on-demand from now on, and why. */
  | { kind: 'on-demand'; attempt: number; reason: OnDemandReason }
  | { kind: 'launching'; compute: Compute; instanceId?: string; instanceType: string }
  | { kind: 'started'; attempt: number }
  /** From the spot request's status (`statusCode`), or from the agent on the instance. */
  | { kind: 'interruption-notice'; source: 'spot'; statusCode: string }
  | { kind: 'interruption-notice'; source: 'agent' }
  /** AWS recommends moving off the attempt's instance (EC2 rebalance recommendation): a warning only. */
  | { kind: 'rebalance-recommended'; attempt: number }
  | { kind: 'interrupted'; attempt: number; compute: Compute; interruption: InterruptionCause }
  /**
   * The agent of `attempt` reported AWS's notice (or rebalance recommendation): attempt + 1 is
   * launched at once while `attempt` works on (`interruptions` of `tolerated`).
   */
  | { kind: 'replacing'; attempt: number; cause: DrainCause; interruptions: number; tolerated: number }
  /** The replacement (`attempt`) of the draining attempt `replaced` has an instance, in `pool`. */
  | { kind: 'replacement-launched'; attempt: number; replaced: number; cause: DrainCause; pool: PoolRef }
  /** The draining attempt's container finished after all: it ends the job; the replacement is stopped. */
  | { kind: 'finished-after-all'; attempt: number; exitCode: number }
  /** The draining attempt's instance was let go. */
  | { kind: 'drain-released'; attempt: number; instanceId?: string; release: DrainRelease }
  /** `ranSeconds`: how long the container ran, when it started. */
  | { kind: 'succeeded'; ranSeconds?: number }
  | { kind: 'failed'; end: EndReason; ranSeconds?: number }
  | { kind: 'cancelled'; end: EndReason }
  | { kind: 'callback'; delivered: true; statusCode?: number }
  | { kind: 'callback'; delivered: false; attempts: number; statusCode?: number; error?: string };

export type JobEventKind = JobEventFacts['kind'];

/** An event as the lifecycle records it. */
export type RecordedJobEvent = JobEventFacts & { at: string };

/** An event stored before events were data: its words only. */
export interface LegacyJobEvent {
  at: string;
  kind: JobEventKind;
  text: string;
}

/** One line of a job's history; the chat thread shows these. */
export type JobEvent = RecordedJobEvent | LegacyJobEvent;

export function isLegacyEvent(event: JobEvent): event is LegacyJobEvent {
  return 'text' in event && typeof event.text === 'string';
}

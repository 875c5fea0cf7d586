import type { Job, JobEvent } from '../job.js';

/** EC2 instance states, plus `missing` for an instance EC2 no longer lists. */
export type InstanceState = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped' | 'missing';

/** Instance states in which an instance may still run (or be started again): it must be terminated. */
export const LIVE_INSTANCE_STATES: ReadonlySet<InstanceState> = new Set<InstanceState>(['pending', 'running', 'stopping', 'stopped']);

/** A spot request as EC2 describes it. */
export interface SpotRequestView {
  requestId: string;
  /** From the request's tags; absent on requests Sched did not make. */
  jobId?: string;
  attempt?: number;
  /** open | active | closed | cancelled | failed, or `missing`: EC2 no longer lists it */
  state: string;
  statusCode?: string;
  statusMessage?: string;
  instanceId?: string;
  instanceType?: string;
}

/** An instance as EC2 describes it. */
export interface InstanceView {
  instanceId: string;
  jobId?: string;
  attempt?: number;
  state: InstanceState;
  instanceType?: string;
  spotRequestId?: string;
  /** The instance's availability zone (`Placement.AvailabilityZone`). */
  zone?: string;
  launchTime?: string;
  /** Current spot price of this instance's type in its zone, USD per hour, when known. */
  pricePerHour?: number;
}

/** Everything of this deployment that the compute side currently lists. */
export interface FleetSnapshot {
  requests: SpotRequestView[];
  instances: InstanceView[];
}

/**
 * What the agent reports: the container `started` or `finished`; AWS gave the two-minute notice
 * (`interrupting`); AWS recommends moving off the instance (`rebalance`: an early warning only).
 */
export type AgentStatus = 'started' | 'finished' | 'interrupting' | 'rebalance';

/**
 * What the world said about a job. `decide` turns one observation into the job's next state.
 * - `tick`: time passed (poll or timer); due jobs start, timeouts fire, callbacks retry.
 * - `spot`: the current attempt's spot request as described (absent from the snapshot: `spot` is
 *   not sent; the request may not be visible yet).
 * - `instance`: the current attempt's instance (state `missing` when EC2 no longer lists it).
 * - `agent`: the agent script's notification (already authenticated and attempt-checked).
 * - `spotRequested` / `spotRequestFailed`: the outcome of our own `launch` effect: where it
 *   launched (an instance, a spot request, or both), at what price (and the on-demand price of
 *   that type, for the saving), and the pools that refused it
 *   for capacity first; or why it failed (with the refused pools when none had capacity).
 * - `callbackResult`: the outcome of one callback delivery try.
 * - `cancel`: a user asked.
 * - `runOnDemand`: a user asked that the current attempt, waiting on spot capacity, launch on-demand now.
 */
export type Observation =
  | { kind: 'tick' }
  | { kind: 'spot'; request: SpotRequestView }
  | { kind: 'instance'; instance: InstanceView }
  | { kind: 'agent'; status: AgentStatus; attempt: number; exitCode?: number; logTail?: string; timedOut?: boolean; ranSeconds?: number }
  | { kind: 'spotRequested'; attempt: number; requestId?: string; instanceId?: string; pool?: LaunchPool; pricePerHour?: number; onDemandPricePerHour?: number; refused?: LaunchPool[] }
  | { kind: 'spotRequestFailed'; attempt: number; code: string; message: string; permanent: boolean; capacity?: boolean; refused?: LaunchPool[] }
  | { kind: 'callbackResult'; tryNumber: number; ok: boolean; statusCode?: number; error?: string; permanent: boolean }
  | { kind: 'cancel'; by: string }
  | { kind: 'runOnDemand'; by: string };

/**
 * What the engine must do after storing the new job. Every effect is idempotent: running it twice
 * (a crash between store and effect repeats it) has the effect of running it once.
 */
/** Where an attempt's instance comes from: EC2's spot market, or on-demand at the full price. */
export type Market = 'spot' | 'on-demand';

/**
 * A pool: an instance type in one availability zone. The lifecycle names types only; the fleet
 * expands them into its subnets' zones (`subnetId` picks one subnet, so one zone).
 */
export interface LaunchPool {
  instanceType: string;
  zone?: string;
  subnetId?: string;
}

export type Effect =
  /**
   * Launch the attempt's instance in one of `pools` (the job's preference order; the fleet orders
   * them by price), `avoid` last; `clientToken` makes it idempotent.
   */
  | { kind: 'launch'; jobId: string; attempt: number; market: Market; pools: LaunchPool[]; avoid?: LaunchPool[]; clientToken: string }
  | { kind: 'cancelSpotRequest'; requestId: string }
  | { kind: 'terminateInstance'; instanceId: string }
  | { kind: 'sendCallback'; jobId: string; url: string; idempotencyKey: string; tryNumber: number }
  | { kind: 'notify'; jobId: string; event: JobEvent };

export interface Decision {
  job: Job;
  effects: Effect[];
}

/**
 * The in-memory twin of the EC2 fleet: requests are fulfilled at once (like moto), instances run
 * until terminated. Tests drive the states no emulator produces (capacity waits, interruption
 * codes) through `setRequestStatus` and `setInstanceState`.
 */
import type { FleetSnapshot, InstanceState, InstanceView, SpotRequestView } from '../core/lifecycle/observation.js';
import type { PoolQuote } from '../core/plan.js';
import type { Fleet, LaunchPlan, Launched } from '../ports.js';

export class MemoryFleet implements Fleet {
  readonly requests = new Map<string, SpotRequestView & { userData: string; clientToken: string }>();
  readonly instances = new Map<string, InstanceView>();
  readonly calls: { op: string; id: string }[] = [];
  /** Every plan `launch` was given, in order (what the engine asked for, pools and `avoid` included). */
  readonly plans: LaunchPlan[] = [];
  /** The zone the twin reports for every launch, as EC2 names the zone of the pool it used. */
  zone = 'memory-1a';
  /** When set, `launch` throws it once (then clears). */
  failNextRequest: Error | undefined;
  /** When false, requests stay `open`/`pending-fulfillment` until `fulfil` is called. */
  fulfilImmediately = true;
  /** Spot price reported on instances (USD/hour), as EC2's price history would give it. */
  pricePerHour: number | undefined;
  /** On-demand price of every type (USD/hour), as the fleet's table would give it. */
  onDemandPricePerHour: number | undefined;
  private sequence = 0;

  async launch(launch: LaunchPlan): Promise<Launched> {
    this.plans.push(structuredClone(launch));
    if (this.failNextRequest) {
      const err = this.failNextRequest;
      this.failNextRequest = undefined;
      throw err;
    }
    const existing = [...this.requests.values()].find((r) => r.clientToken === launch.clientToken);
    if (existing) return this.launched(existing);
    const requestId = `sir-${++this.sequence}`;
    this.calls.push({ op: 'launch', id: requestId });
    this.requests.set(requestId, {
      requestId,
      jobId: launch.jobId,
      attempt: launch.attempt,
      state: 'open',
      statusCode: 'pending-fulfillment',
      instanceType: launch.pools[0]?.instanceType,
      userData: launch.userData,
      clientToken: launch.clientToken,
    });
    if (this.fulfilImmediately) this.fulfil(requestId);
    return this.launched(this.requests.get(requestId)!);
  }

  private launched(request: SpotRequestView): Launched {
    return {
      requestId: request.requestId,
      ...(request.instanceId !== undefined && { instanceId: request.instanceId }),
      pool: { instanceType: request.instanceType ?? 't3.micro', zone: this.zone },
      ...(this.pricePerHour !== undefined && request.instanceId !== undefined && { pricePerHour: this.pricePerHour }),
      ...(this.onDemandPricePerHour !== undefined && { onDemandPricePerHour: this.onDemandPricePerHour }),
      refused: [],
    };
  }

  fulfil(requestId: string): string {
    const request = this.requests.get(requestId);
    if (!request) throw new Error(`no request ${requestId}`);
    const instanceId = `i-${String(++this.sequence).padStart(8, '0')}`;
    Object.assign(request, { state: 'active', statusCode: 'fulfilled', instanceId });
    this.instances.set(instanceId, {
      instanceId,
      jobId: request.jobId,
      attempt: request.attempt,
      state: 'running',
      instanceType: request.instanceType,
      spotRequestId: requestId,
      ...(this.pricePerHour !== undefined && { pricePerHour: this.pricePerHour }),
    });
    return instanceId;
  }

  setRequestStatus(requestId: string, state: string, statusCode: string): void {
    const request = this.requests.get(requestId);
    if (request) Object.assign(request, { state, statusCode });
  }

  setInstanceState(instanceId: string, state: InstanceState): void {
    const instance = this.instances.get(instanceId);
    if (!instance) return;
    if (state === 'missing') this.instances.delete(instanceId);
    else instance.state = state;
  }

  async observe(): Promise<FleetSnapshot> {
    this.calls.push({ op: 'observe', id: '' });
    return {
      requests: [...this.requests.values()].map(({ userData: _u, clientToken: _c, ...view }) => ({ ...view })),
      instances: [...this.instances.values()].map((view) => ({ ...view })),
    };
  }

  async cancelRequest(requestId: string): Promise<void> {
    this.calls.push({ op: 'cancelRequest', id: requestId });
    const request = this.requests.get(requestId);
    if (request && (request.state === 'open' || request.state === 'active')) {
      request.state = 'cancelled';
      request.statusCode = request.instanceId ? 'request-canceled-and-instance-running' : 'canceled-before-fulfillment';
    }
  }

  async terminateInstance(instanceId: string): Promise<void> {
    this.calls.push({ op: 'terminateInstance', id: instanceId });
    const instance = this.instances.get(instanceId);
    if (instance && instance.state !== 'terminated') instance.state = 'terminated';
  }

  /** One pool per type in the twin's zone, at the twin's prices; launches nothing. */
  async quote(instanceTypes: readonly string[]): Promise<PoolQuote[]> {
    this.calls.push({ op: 'quote', id: instanceTypes.join(',') });
    return [...new Set(instanceTypes)].map((instanceType) => ({
      instanceType,
      zone: this.zone,
      ...(this.pricePerHour !== undefined && { spotPricePerHour: this.pricePerHour }),
      ...(this.onDemandPricePerHour !== undefined && { onDemandPricePerHour: this.onDemandPricePerHour }),
    }));
  }

  /** Instances not terminated: what would still be billed. */
  liveInstances(): InstanceView[] {
    return [...this.instances.values()].filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down');
  }
}

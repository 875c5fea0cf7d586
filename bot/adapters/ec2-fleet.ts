// Over 300 lines: the Fleet class itself (launch, quote, observe, cancel, terminate); pool order, the RunInstances call and EC2 views are already beside it.
/**
 * The `Fleet` port on EC2: one-time spot instances launched with RunInstances, walking the job's
 * pools cheapest first (bot/adapters/ec2-pools.ts orders them), observed in bulk by tag.
 *
 * Why RunInstances and not EC2 Fleet: CreateFleet needs a launch template, and Sched's user data
 * is per attempt, so every launch would cost CreateLaunchTemplateVersion + CreateFleet + a later
 * delete. RunInstances takes the user data, the tags (instance, volume and the spot request AWS
 * makes), IMDSv2 settings and a ClientToken directly: one call launches in the common case, one
 * more per pool without capacity (the SDK does not retry a capacity refusal; the next pool is
 * tried at once).
 *
 * Every resource Sched makes is tagged with its job, attempt and deployment; the deployment tag
 * is how `observe()` finds everything with two paginated Describe calls per tick, whatever the
 * number of jobs. Instances launched here are tagged at launch; legacy spot requests
 * (RequestSpotInstances, whose tags AWS does not copy to the instance) still get their instance
 * tagged by `observe()`, once.
 */
import {
  CancelSpotInstanceRequestsCommand,
  CreateTagsCommand,
  DescribeSpotInstanceRequestsCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  paginateDescribeSpotInstanceRequests,
  type EC2Client,
  type Filter,
  type SpotInstanceRequest,
} from '@aws-sdk/client-ec2';
import { SCHED_TAG_KEYS } from '../core/facts.js';
import type { FleetSnapshot, InstanceView, LaunchPool } from '../core/lifecycle/observation.js';
import { onDemandPriceTable, type OnDemandPriceOf } from '../core/on-demand-prices.js';
import type { PoolQuote } from '../core/plan.js';
import { systemClock } from '../clock.js';
import { LaunchError, type Clock, type Fleet, type LaunchPlan, type Launched } from '../ports.js';
import { awsErrorCode, isMalformedId, isNotFound, isServerFault, isThrottling, launchErrorFrom } from './aws-errors.js';
import {
  CapacityMemory,
  isAvoided,
  orderPools,
  PRICE_FRESH_MS,
  PRICE_KEEP_MS,
  SpotPriceBook,
  SubnetZones,
} from './ec2-pools.js';
import { checkLaunchPermission, type LaunchPermission } from './ec2-launch-check.js';
import { CapacityRefusal, runInstance, runInstancesInput, type WorkerLaunchSettings } from './ec2-run-instances.js';
import { isSchedTagKey, toInstanceView, toRequestView, type FleetLogger } from './ec2-views.js';

/** The page size both Describe calls ask for: EC2's maximum, so 1,000 jobs cost one call each. */
export const DESCRIBE_PAGE_SIZE = 1000;

/** CreateTags calls in flight at once when many instances appear in one tick. */
const TAGGING_CONCURRENCY = 4;

export type { FleetLogger } from './ec2-views.js';

export interface Ec2FleetOptions {
  client: EC2Client;
  /** This bot's deployment name; only resources tagged with it are observed. */
  deployment: string;
  amiId: string;
  /** The image of GPU jobs (`SCHED_GPU_AMI`): the ECS GPU-optimized AMI. Absent: GPU jobs fail to launch. */
  gpuAmiId?: string;
  /** Every subnet is a zone a job's types may launch in. Empty: the default VPC, one pool per type. */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Worker instance profile, by name or by ARN (`arn:…`). */
  instanceProfile?: string;
  logger?: FleetLogger;
  /** Ages the cached spot prices and capacity refusals; default: the system clock. */
  clock?: Clock;
  /** The spot price cache; tests pass one with prices set. Default: a new one on `client`. */
  prices?: SpotPriceBook;
  /** On-demand price per type (the default table with the operator's over it). Default: the default table. */
  onDemandPrices?: OnDemandPriceOf;
}

const silentLogger: FleetLogger = { warn: () => {} };

/** EC2 spot instances for the jobs of one deployment. */
export class Ec2Fleet implements Fleet {
  private readonly client: EC2Client;
  private readonly deployment: string;
  private readonly worker: WorkerLaunchSettings;
  private readonly logger: FleetLogger;
  private readonly clock: Clock;
  /**
   * Instances this process tagged that Describe has not yet listed by tag (EC2 tags are eventually
   * consistent). Without it, every tick until then would tag them again.
   */
  private readonly taggedNotYetListed = new Set<string>();
  private readonly prices: SpotPriceBook;
  private readonly zones: SubnetZones;
  private readonly subnetIds: readonly string[];
  private readonly refusals: CapacityMemory;
  private readonly onDemandPrices: OnDemandPriceOf;

  constructor(opts: Ec2FleetOptions) {
    if (!opts.deployment) throw new Error('Ec2Fleet: deployment must not be empty');
    if (!opts.amiId) throw new Error('Ec2Fleet: amiId must not be empty');
    this.client = opts.client;
    this.deployment = opts.deployment;
    this.subnetIds = [...opts.subnetIds];
    this.worker = {
      deployment: opts.deployment,
      amiId: opts.amiId,
      ...(opts.gpuAmiId ? { gpuAmiId: opts.gpuAmiId } : {}),
      securityGroupIds: [...opts.securityGroupIds],
      // An empty string from configuration means "no profile", like an absent one.
      ...(opts.instanceProfile ? { instanceProfile: opts.instanceProfile } : {}),
    };
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
    this.prices = opts.prices ?? new SpotPriceBook(this.client, this.clock, this.logger);
    this.zones = new SubnetZones(this.client, this.subnetIds);
    this.refusals = new CapacityMemory(this.clock);
    this.onDemandPrices = opts.onDemandPrices ?? onDemandPriceTable();
  }

  /**
   * Launches one job attempt's instance: RunInstances in each pool in turn, cheapest first, until
   * one has capacity. A capacity refusal is remembered (that pool goes last for a few minutes) and
   * the next pool is tried at once; any other error is thrown as a `LaunchError`. Every pool
   * refused: a `LaunchError` with `capacity` and the refused pools.
   */
  async launch(plan: LaunchPlan): Promise<Launched> {
    if (plan.pools.length === 0) throw new LaunchError('InvalidParameterValue', 'a launch needs at least one pool', true);
    const refused: LaunchPool[] = [];
    let lastRefusal: unknown;
    for (const pool of await this.poolsInOrder(plan)) {
      try {
        const instance = await runInstance(this.client, runInstancesInput(this.worker, plan, pool));
        return {
          instanceId: instance.InstanceId!,
          ...(instance.SpotInstanceRequestId && { requestId: instance.SpotInstanceRequestId }),
          pool: { ...pool, ...(!pool.zone && instance.Placement?.AvailabilityZone && { zone: instance.Placement.AvailabilityZone }) },
          ...priceField(plan.market === 'spot' ? this.prices.get(pool.instanceType, pool.zone ?? instance.Placement?.AvailabilityZone) : undefined),
          ...withPrice('onDemandPricePerHour', this.onDemandPrices(pool.instanceType)),
          refused,
        };
      } catch (err) {
        const cause = err instanceof CapacityRefusal ? err.refusal : err;
        if (!(err instanceof CapacityRefusal)) throw launchErrorFrom(cause);
        this.refusals.remember(pool);
        refused.push(pool);
        lastRefusal = cause;
      }
    }
    const names = refused.map((p) => (p.zone ? `${p.instanceType}/${p.zone}` : p.instanceType)).join(', ');
    throw new LaunchError(awsErrorCode(lastRefusal) ?? 'InsufficientInstanceCapacity', `no spot capacity in ${names}`, false, {
      cause: lastRefusal,
      capacity: true,
      refused,
    });
  }

  /** The plan's types × the subnets (zones), ordered by price, recent refusals and `avoid` last. */
  private async poolsInOrder(plan: LaunchPlan): Promise<LaunchPool[]> {
    let zones: Map<string, string>;
    try {
      zones = await this.zones.get();
    } catch (err) {
      throw launchErrorFrom(err);
    }
    const pools = this.expandPools(plan.pools, zones);
    if (plan.market === 'spot') await this.prices.refresh(pools.map((p) => p.instanceType), PRICE_FRESH_MS);
    const avoid = plan.avoid ?? [];
    return orderPools(
      pools,
      (pool) => (plan.market === 'spot' ? this.prices.get(pool.instanceType, pool.zone) : undefined),
      (pool) => this.refusals.recentlyRefused(pool) || isAvoided(pool, avoid),
    );
  }

  /** Each pool without a subnet becomes its type in every configured subnet (one zone each). */
  private expandPools(pools: readonly LaunchPool[], zones: Map<string, string>): LaunchPool[] {
    return pools.flatMap((pool): LaunchPool[] => {
      if (pool.subnetId || this.subnetIds.length === 0) return [pool];
      return this.subnetIds.map((subnetId) => ({ instanceType: pool.instanceType, subnetId, ...(zones.has(subnetId) && { zone: zones.get(subnetId)! }) }));
    });
  }

  /**
   * A dry run's view of the pools: the same expansion and the same price lookups as `launch`
   * (one DescribeSubnets per process, one DescribeSpotPriceHistory per five minutes), cheapest
   * first. No RunInstances. Without subnets (the default VPC) a type is one pool, at its lowest
   * known spot price in any zone.
   */
  async quote(instanceTypes: readonly string[]): Promise<PoolQuote[]> {
    const zones = await this.zones.get();
    const pools = this.expandPools([...new Set(instanceTypes)].map((instanceType) => ({ instanceType })), zones);
    await this.prices.refresh(pools.map((p) => p.instanceType), PRICE_FRESH_MS);
    return orderPools(pools, (pool) => this.prices.get(pool.instanceType, pool.zone), () => false).map((pool) => ({
      instanceType: pool.instanceType,
      ...(pool.zone && { zone: pool.zone }),
      ...withPrice('spotPricePerHour', this.prices.get(pool.instanceType, pool.zone)),
      ...withPrice('onDemandPricePerHour', this.onDemandPrices(pool.instanceType)),
    }));
  }

  /** Whether a spot launch of `instanceType` in the first subnet is allowed: a DryRun RunInstances. */
  checkLaunchPermission(instanceType: string): Promise<LaunchPermission> {
    return checkLaunchPermission(this.client, this.worker, { instanceType, ...(this.subnetIds[0] !== undefined && { subnetId: this.subnetIds[0] }) });
  }

  /**
   * Lists this deployment's spot requests and instances: one paginated DescribeSpotInstanceRequests
   * and one paginated DescribeInstances, 1,000 per page.
   *
   * A fulfilled request whose instance is not tagged yet gets its job's tags here (one CreateTags
   * per such instance, once), and that instance is absent from this snapshot: it is listed from
   * the next observe on. So "request has an instance id, snapshot has no such instance" means
   * "not visible yet", not "gone".
   */
  async observe(): Promise<FleetSnapshot> {
    const filters = [{ Name: `tag:${SCHED_TAG_KEYS.deployment}`, Values: [this.deployment] }];
    // The two lists are read side by side. A race between them (a request fulfilled, another
    // replica tagging) costs at most one redundant CreateTags, which is idempotent.
    const [rawRequests, instances] = await Promise.all([this.listRequests(filters), this.listInstances(filters)]);

    const listed = new Set(instances.map((i) => i.instanceId));
    for (const id of listed) this.taggedNotYetListed.delete(id);
    const untagged = rawRequests.filter(
      (r) => r.InstanceId && !listed.has(r.InstanceId) && !this.taggedNotYetListed.has(r.InstanceId),
    );
    await this.tagInstances(untagged);
    // Forget ids no request points at any more, so the set stays as small as the live fleet.
    const referenced = new Set(rawRequests.map((r) => r.InstanceId));
    for (const id of this.taggedNotYetListed) if (!referenced.has(id)) this.taggedNotYetListed.delete(id);

    await this.priceInstances(instances);
    return { requests: rawRequests.map(toRequestView), instances };
  }

  /**
   * Attaches the current spot price of its own (type, zone) to every live spot instance, for the
   * cost of a job. Prices are read with one DescribeSpotPriceHistory for every type not read in
   * the last hour (the launch has usually read them already), so a steady tick reads none. A
   * missing price only means an unknown cost.
   */
  private async priceInstances(instances: InstanceView[]): Promise<void> {
    const live = instances.filter((i) => i.instanceType && (i.state === 'pending' || i.state === 'running'));
    if (live.length === 0) return;
    await this.prices.refresh(live.map((i) => i.instanceType!), PRICE_KEEP_MS);
    for (const instance of live) {
      const usd = this.prices.get(instance.instanceType!, instance.zone);
      if (usd !== undefined) instance.pricePerHour = usd;
    }
  }

  /** Cancels a spot request. Unknown or already cancelled requests are success. */
  async cancelRequest(requestId: string): Promise<void> {
    try {
      await this.client.send(new CancelSpotInstanceRequestsCommand({ SpotInstanceRequestIds: [requestId] }));
    } catch (err) {
      if (this.isGone(err, { requestId })) return;
      // moto answers 500 for an id it does not hold (real EC2: InvalidSpotInstanceRequestID.NotFound);
      // either way, a request that is no longer listed open or active is as cancelled as it gets.
      if (isServerFault(err) && (await this.requestIsGone(requestId))) return;
      throw err;
    }
  }

  /** Terminates an instance. Unknown or already terminated instances are success. */
  async terminateInstance(instanceId: string): Promise<void> {
    try {
      await this.client.send(new TerminateInstancesCommand({ InstanceIds: [instanceId] }));
    } catch (err) {
      if (this.isGone(err, { instanceId })) return;
      throw err;
    }
  }

  private async listRequests(filters: Filter[]): Promise<SpotInstanceRequest[]> {
    const requests: SpotInstanceRequest[] = [];
    const pages = paginateDescribeSpotInstanceRequests({ client: this.client, pageSize: DESCRIBE_PAGE_SIZE }, { Filters: filters });
    for await (const page of pages) {
      for (const request of page.SpotInstanceRequests ?? []) {
        if (request.SpotInstanceRequestId) requests.push(request);
      }
    }
    return requests;
  }

  private async listInstances(filters: Filter[]): Promise<InstanceView[]> {
    const instances: InstanceView[] = [];
    const pages = paginateDescribeInstances({ client: this.client, pageSize: DESCRIBE_PAGE_SIZE }, { Filters: filters });
    for await (const page of pages) {
      for (const reservation of page.Reservations ?? []) {
        for (const instance of reservation.Instances ?? []) {
          const view = toInstanceView(instance, this.logger);
          if (view) instances.push(view);
        }
      }
    }
    return instances;
  }

  private isGone(err: unknown, target: object): boolean {
    if (isNotFound(err)) return true;
    if (isMalformedId(err)) {
      // Nothing with that id can exist, but a stored malformed id is a bug worth seeing.
      this.logger.warn({ ...target, err }, 'malformed EC2 id treated as already gone');
      return true;
    }
    return false;
  }

  /** True only when EC2 positively lists no open or active request with that id. */
  private async requestIsGone(requestId: string): Promise<boolean> {
    try {
      // A filter, not SpotInstanceRequestIds: an unknown id then lists nothing instead of failing.
      const out = await this.client.send(
        new DescribeSpotInstanceRequestsCommand({ Filters: [{ Name: 'spot-instance-request-id', Values: [requestId] }] }),
      );
      return !(out.SpotInstanceRequests ?? []).some((r) => r.State === 'open' || r.State === 'active');
    } catch {
      return false;
    }
  }

  private async tagInstances(requests: SpotInstanceRequest[]): Promise<void> {
    let throttled = false;
    const queue = [...requests];
    const worker = async () => {
      for (let request = queue.shift(); request && !throttled; request = queue.shift()) {
        const instanceId = request.InstanceId!;
        const tags = (request.Tags ?? []).filter((t) => t.Key && isSchedTagKey(t.Key));
        try {
          await this.client.send(new CreateTagsCommand({ Resources: [instanceId], Tags: tags }));
          this.taggedNotYetListed.add(instanceId);
        } catch (err) {
          // The SDK has retried already; the next tick tries again. Throttling means the account's
          // bucket is empty, so the rest of this tick's tagging would only deepen the hole.
          if (isThrottling(err)) throttled = true;
          this.logger.warn({ err, instanceId, requestId: request.SpotInstanceRequestId }, 'tagging spot instance failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(TAGGING_CONCURRENCY, queue.length) }, worker));
  }

}

function priceField(usd: number | undefined): { pricePerHour?: number } {
  return usd === undefined ? {} : { pricePerHour: usd };
}

function withPrice<K extends string>(key: K, usd: number | undefined): Partial<Record<K, number>> {
  return usd === undefined ? {} : ({ [key]: usd } as Record<K, number>);
}

// Over 300 lines, not split: the spot-pools work rewrites this adapter next (launch across pools).
/**
 * The `Fleet` port on EC2: one-time spot instance requests, observed in bulk by tag.
 *
 * Every request Sched makes is tagged with its job, attempt and deployment; the deployment tag is
 * how `observe()` finds everything with two paginated Describe calls per tick, whatever the number
 * of jobs. AWS does not copy a spot request's tags to its instance (RequestSpotInstances accepts
 * only `spot-instances-request` tag specifications), so `observe()` tags each newly fulfilled
 * instance itself, once.
 */
import {
  CancelSpotInstanceRequestsCommand,
  CreateTagsCommand,
  DescribeSpotInstanceRequestsCommand,
  DescribeSpotPriceHistoryCommand,
  RequestSpotInstancesCommand,
  TerminateInstancesCommand,
  paginateDescribeInstances,
  paginateDescribeSpotInstanceRequests,
  type EC2Client,
  type Filter,
  type Instance,
  type SpotInstanceRequest,
  type Tag,
  type _InstanceType,
} from '@aws-sdk/client-ec2';
import { SCHED_TAG_KEYS } from '../core/facts.js';
import type { FleetSnapshot, InstanceState, InstanceView, SpotRequestView } from '../core/lifecycle/observation.js';
import { systemClock } from '../clock.js';
import { LaunchError, type Clock, type Fleet, type LaunchPlan, type Launched } from '../ports.js';
import { isMalformedId, isNotFound, isServerFault, isThrottling, launchErrorFrom } from './aws-errors.js';

/** The page size both Describe calls ask for: EC2's maximum, so 1,000 jobs cost one call each. */
export const DESCRIBE_PAGE_SIZE = 1000;

/** CreateTags calls in flight at once when many instances appear in one tick. */
const TAGGING_CONCURRENCY = 4;

/** Structured warnings; pino's `logger.warn(obj, msg)` fits. */
export interface FleetLogger {
  warn(obj: object, msg: string): void;
}

export interface Ec2FleetOptions {
  client: EC2Client;
  /** This bot's deployment name; only resources tagged with it are observed. */
  deployment: string;
  amiId: string;
  /** Tried in turn by attempt, so a retried job can land in another availability zone. Empty: the default VPC. */
  subnetIds: string[];
  securityGroupIds: string[];
  /** Worker instance profile, by name or by ARN (`arn:…`). */
  instanceProfile?: string;
  logger?: FleetLogger;
  /** Ages the cached spot prices; default: the system clock. */
  clock?: Clock;
}

const silentLogger: FleetLogger = { warn: () => {} };

const INSTANCE_STATES: ReadonlySet<string> = new Set<InstanceState>([
  'pending',
  'running',
  'shutting-down',
  'terminated',
  'stopping',
  'stopped',
]);

/** EC2 spot instances for the jobs of one deployment. */
export class Ec2Fleet implements Fleet {
  private readonly client: EC2Client;
  private readonly deployment: string;
  private readonly amiId: string;
  private readonly subnetIds: readonly string[];
  private readonly securityGroupIds: readonly string[];
  private readonly instanceProfile: string | undefined;
  private readonly logger: FleetLogger;
  private readonly clock: Clock;
  /**
   * Instances this process tagged that Describe has not yet listed by tag (EC2 tags are eventually
   * consistent). Without it, every tick until then would tag them again.
   */
  private readonly taggedNotYetListed = new Set<string>();
  /** Spot price per (instance type, zone), USD/hour, with when it was read. */
  private readonly prices = new Map<string, { usd: number; at: number }>();

  constructor(opts: Ec2FleetOptions) {
    if (!opts.deployment) throw new Error('Ec2Fleet: deployment must not be empty');
    if (!opts.amiId) throw new Error('Ec2Fleet: amiId must not be empty');
    this.client = opts.client;
    this.deployment = opts.deployment;
    this.amiId = opts.amiId;
    this.subnetIds = [...opts.subnetIds];
    this.securityGroupIds = [...opts.securityGroupIds];
    // An empty string from configuration means "no profile", like an absent one.
    this.instanceProfile = opts.instanceProfile ? opts.instanceProfile : undefined;
    this.logger = opts.logger ?? silentLogger;
    this.clock = opts.clock ?? systemClock;
  }

  /**
   * Issues one one-time spot request for one job attempt, in its first pool. Throws `LaunchError`
   * carrying the AWS code and whether a retry can ever succeed.
   */
  async launch(launch: LaunchPlan): Promise<Launched> {
    const pool = launch.pools[0];
    if (!pool) throw new LaunchError('InvalidParameterValue', 'a launch needs at least one pool', true);
    if (launch.market !== 'spot') throw new LaunchError('Unsupported', `this adapter launches spot instances only, not ${launch.market}`, true);
    const tags = this.jobTags(launch.jobId, launch.attempt);
    const subnetId = pool.subnetId ?? this.subnetFor(launch.attempt);
    let request: SpotInstanceRequest | undefined;
    try {
      const out = await this.client.send(
        new RequestSpotInstancesCommand({
          InstanceCount: 1,
          Type: 'one-time',
          ClientToken: launch.clientToken,
          ...(launch.maxPrice !== undefined && { SpotPrice: launch.maxPrice }),
          InstanceInterruptionBehavior: 'terminate',
          LaunchSpecification: {
            ImageId: this.amiId,
            // The SDK's union lags behind new instance types; EC2 itself validates the name.
            InstanceType: pool.instanceType as _InstanceType,
            UserData: Buffer.from(launch.userData, 'utf8').toString('base64'),
            ...(subnetId !== undefined && { SubnetId: subnetId }),
            ...(this.securityGroupIds.length > 0 && { SecurityGroupIds: [...this.securityGroupIds] }),
            ...(this.instanceProfile !== undefined && {
              IamInstanceProfile: this.instanceProfile.startsWith('arn:')
                ? { Arn: this.instanceProfile }
                : { Name: this.instanceProfile },
            }),
          },
          TagSpecifications: [{ ResourceType: 'spot-instances-request', Tags: tags }],
        }),
      );
      request = out.SpotInstanceRequests?.[0];
    } catch (err) {
      throw launchErrorFrom(err);
    }
    if (!request?.SpotInstanceRequestId) {
      throw new LaunchError('EmptyResponse', 'RequestSpotInstances returned no spot request', false);
    }
    return {
      requestId: request.SpotInstanceRequestId,
      ...(request.InstanceId && { instanceId: request.InstanceId }),
    };
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

    await this.priceInstances(rawRequests, instances);
    return { requests: rawRequests.map(toRequestView), instances };
  }

  /**
   * Attaches the current spot price to live instances, for the cost of a job. Prices are keyed by
   * (instance type, zone) as the fulfilled requests state them, so they are read in the tick a
   * request is fulfilled (with its tagging), never in a steady tick: one DescribeSpotPriceHistory
   * per pair not read in the last hour, a few per tick at most. A missing price only means an
   * unknown cost.
   */
  private async priceInstances(requests: SpotInstanceRequest[], instances: InstanceView[]): Promise<void> {
    const now = this.clock.now().getTime();
    const keyOf = new Map<string, string>();
    const wanted = new Set<string>();
    for (const request of requests) {
      const type = request.LaunchSpecification?.InstanceType;
      // AWS names the zone of a fulfilled request; moto does not, and then any zone's price will do.
      const zone = request.LaunchedAvailabilityZone ?? request.LaunchSpecification?.Placement?.AvailabilityZone ?? '';
      if (!request.InstanceId || !type || request.State !== 'active') continue;
      const key = `${type}/${zone}`;
      keyOf.set(request.InstanceId, key);
      const cached = this.prices.get(key);
      if (!cached || now - cached.at > PRICE_TTL_MS) wanted.add(key);
    }
    for (const key of [...wanted].slice(0, PRICE_LOOKUPS_PER_TICK)) {
      const [instanceType, zone] = key.split('/') as [string, string];
      try {
        const out = await this.client.send(
          new DescribeSpotPriceHistoryCommand({
            InstanceTypes: [instanceType as never],
            ...(zone && { AvailabilityZone: zone }),
            ProductDescriptions: ['Linux/UNIX'],
            StartTime: new Date(now),
            MaxResults: zone ? 1 : 20,
          }),
        );
        const rows = out.SpotPriceHistory ?? [];
        const row = rows.find((r) => (!zone || r.AvailabilityZone === zone) && r.InstanceType === instanceType) ?? rows[0];
        const usd = Number(row?.SpotPrice);
        if (Number.isFinite(usd) && usd > 0) this.prices.set(key, { usd, at: now });
      } catch (err) {
        this.logger.warn({ err, instanceType, zone }, 'reading the spot price failed; the job cost stays unknown for now');
      }
    }
    for (const instance of instances) {
      const key = keyOf.get(instance.instanceId);
      const price = key === undefined ? undefined : this.prices.get(key);
      if (price) instance.pricePerHour = price.usd;
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
          const view = this.toInstanceView(instance);
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

  private toInstanceView(instance: Instance): InstanceView | undefined {
    const stateName = instance.State?.Name;
    if (!instance.InstanceId || !stateName || !INSTANCE_STATES.has(stateName)) {
      this.logger.warn({ instanceId: instance.InstanceId, state: stateName }, 'instance with unknown state skipped');
      return undefined;
    }
    const { jobId, attempt } = jobFromTags(instance.Tags);
    return {
      instanceId: instance.InstanceId,
      state: stateName as InstanceState,
      ...(jobId !== undefined && { jobId }),
      ...(attempt !== undefined && { attempt }),
      ...(instance.InstanceType && { instanceType: instance.InstanceType }),
      ...(instance.SpotInstanceRequestId && { spotRequestId: instance.SpotInstanceRequestId }),
      ...(instance.LaunchTime && { launchTime: instance.LaunchTime.toISOString() }),
    };
  }

  private jobTags(jobId: string, attempt: number): Tag[] {
    return [
      { Key: SCHED_TAG_KEYS.jobId, Value: jobId },
      { Key: SCHED_TAG_KEYS.attempt, Value: String(attempt) },
      { Key: SCHED_TAG_KEYS.deployment, Value: this.deployment },
      { Key: 'Name', Value: `sched ${jobId} #${attempt}` },
    ];
  }

  private subnetFor(attempt: number): string | undefined {
    if (this.subnetIds.length === 0) return undefined;
    const index = Number.isSafeInteger(attempt) && attempt > 0 ? (attempt - 1) % this.subnetIds.length : 0;
    return this.subnetIds[index];
  }
}

const PRICE_TTL_MS = 3600_000;
const PRICE_LOOKUPS_PER_TICK = 5;

function isSchedTagKey(key: string): boolean {
  return key === 'Name' || (Object.values(SCHED_TAG_KEYS) as string[]).includes(key);
}

function jobFromTags(tags: Tag[] | undefined): { jobId?: string; attempt?: number } {
  let jobId: string | undefined;
  let attempt: number | undefined;
  for (const tag of tags ?? []) {
    if (tag.Key === SCHED_TAG_KEYS.jobId && tag.Value) jobId = tag.Value;
    if (tag.Key === SCHED_TAG_KEYS.attempt && tag.Value && /^\d+$/.test(tag.Value)) attempt = Number(tag.Value);
  }
  return { ...(jobId !== undefined && { jobId }), ...(attempt !== undefined && { attempt }) };
}

function toRequestView(request: SpotInstanceRequest): SpotRequestView {
  const { jobId, attempt } = jobFromTags(request.Tags);
  return {
    requestId: request.SpotInstanceRequestId!,
    state: request.State ?? 'unknown',
    ...(jobId !== undefined && { jobId }),
    ...(attempt !== undefined && { attempt }),
    ...(request.Status?.Code && { statusCode: request.Status.Code }),
    ...(request.Status?.Message && { statusMessage: request.Status.Message }),
    ...(request.InstanceId && { instanceId: request.InstanceId }),
    ...(request.LaunchSpecification?.InstanceType && { instanceType: request.LaunchSpecification.InstanceType }),
  };
}

/**
 * Where an EC2 launch may go, and in which order. A pool is an instance type in one availability
 * zone; a plan's pools are its instance types × the configured subnets (each subnet is in one
 * zone). They are tried cheapest first by the current spot price of each (type, zone); pools whose
 * price is unknown come after those with one, in the job's own order; pools that refused for
 * capacity in the last few minutes, and the pools the plan asks to avoid, come last.
 *
 * All three lookups are cached in process memory, so a burst of launches costs one
 * DescribeSubnets for the process and one DescribeSpotPriceHistory per five minutes:
 * - `SubnetZones`: subnet → zone, read once.
 * - `SpotPriceBook`: the spot price per (type, zone), one call for all the types asked about.
 * - `CapacityMemory`: the pools that recently had no capacity, bounded.
 */
import { createHash } from 'node:crypto';
import { DescribeSpotPriceHistoryCommand, DescribeSubnetsCommand, type EC2Client, type _InstanceType } from '@aws-sdk/client-ec2';
import type { LaunchPool } from '../core/lifecycle/observation.js';
import type { Clock } from '../ports.js';
import type { FleetLogger } from './ec2-views.js';

/** Prices older than this are read again before a launch orders its pools by them. */
export const PRICE_FRESH_MS = 5 * 60_000;
/** Prices older than this are read again to price running instances (cost only, not order). */
export const PRICE_KEEP_MS = 60 * 60_000;
/** A failed price lookup is not repeated for this long: an unknown price only costs the order. */
const PRICE_FAILURE_BACKOFF_MS = 60_000;
/** How long a pool that refused for capacity is tried after the others. */
export const CAPACITY_MEMORY_MS = 5 * 60_000;
/** Pools remembered as refused at most; the oldest refusal is forgotten first. */
export const CAPACITY_MEMORY_MAX = 256;

/** "m7g.medium/us-west-2a"; a pool without a zone (the default VPC) is "m7g.medium/". */
export function poolKey(pool: { instanceType: string; zone?: string }): string {
  return `${pool.instanceType}/${pool.zone ?? ''}`;
}

/** Whether `pool` is one of `avoid`: same type, and same zone or subnet when the avoided pool names one. */
export function isAvoided(pool: LaunchPool, avoid: readonly LaunchPool[]): boolean {
  return avoid.some(
    (a) =>
      a.instanceType === pool.instanceType &&
      (a.zone === undefined || a.zone === pool.zone) &&
      (a.subnetId === undefined || a.subnetId === pool.subnetId),
  );
}

/**
 * The pools in launch order: not demoted before demoted, then known price (cheapest first)
 * before unknown, then the order given (the job's type order × the subnets' order). Pure.
 */
export function orderPools(
  pools: readonly LaunchPool[],
  priceOf: (pool: LaunchPool) => number | undefined,
  demoted: (pool: LaunchPool) => boolean,
): LaunchPool[] {
  const ranked = pools.map((pool, index) => ({ pool, index, demoted: demoted(pool), price: priceOf(pool) }));
  ranked.sort((a, b) => {
    if (a.demoted !== b.demoted) return a.demoted ? 1 : -1;
    if ((a.price === undefined) !== (b.price === undefined)) return a.price === undefined ? 1 : -1;
    if (a.price !== undefined && b.price !== undefined && a.price !== b.price) return a.price - b.price;
    return a.index - b.index;
  });
  return ranked.map((r) => r.pool);
}

/**
 * The ClientToken of one attempt's launch in one pool: deterministic, so a retried launch of the
 * same attempt in the same pool is the same launch to EC2, and different per pool, so the next
 * pool is a new launch. At most 64 ASCII characters (EC2's limit): the plan's token, cut, and a
 * hash of the whole.
 */
export function poolClientToken(planToken: string, pool: LaunchPool): string {
  const digest = createHash('sha256').update(`${planToken}\n${pool.instanceType}\n${pool.subnetId ?? pool.zone ?? ''}`).digest('hex');
  return `${planToken.replace(/[^\x21-\x7e]/g, '').slice(0, 31)}-${digest.slice(0, 32)}`;
}

/** Subnet → availability zone, read with one DescribeSubnets and kept for the process. */
export class SubnetZones {
  private zones: Promise<Map<string, string>> | undefined;

  constructor(
    private readonly client: EC2Client,
    private readonly subnetIds: readonly string[],
  ) {}

  /** The zone of every configured subnet; throws the SDK's error (a bad subnet is a bad launch). */
  async get(): Promise<Map<string, string>> {
    if (this.subnetIds.length === 0) return new Map();
    this.zones ??= this.read();
    try {
      return await this.zones;
    } catch (err) {
      this.zones = undefined; // read again next time
      throw err;
    }
  }

  private async read(): Promise<Map<string, string>> {
    const out = await this.client.send(new DescribeSubnetsCommand({ SubnetIds: [...this.subnetIds] }));
    return new Map((out.Subnets ?? []).flatMap((s) => (s.SubnetId && s.AvailabilityZone ? [[s.SubnetId, s.AvailabilityZone] as const] : [])));
  }
}

/**
 * The current spot price per (instance type, zone), USD/hour, Linux/UNIX. `refresh` reads every
 * stale type with one DescribeSpotPriceHistory (StartTime now: the current price of each pool).
 */
export class SpotPriceBook {
  private readonly prices = new Map<string, number>();
  /** When each type was last read (or set), and when a read last failed. */
  private readonly readAt = new Map<string, number>();
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly client: EC2Client,
    private readonly clock: Clock,
    private readonly logger: FleetLogger,
  ) {}

  /** Records a price (as read, or as a test states it); it counts as fresh now. */
  set(instanceType: string, zone: string, usd: number): void {
    this.prices.set(poolKey({ instanceType, zone }), usd);
    this.readAt.set(instanceType, this.clock.now().getTime());
  }

  /** The price of the type in `zone`; without a zone, the type's lowest known price. */
  get(instanceType: string, zone?: string): number | undefined {
    if (zone) return this.prices.get(poolKey({ instanceType, zone }));
    let lowest: number | undefined;
    for (const [key, usd] of this.prices) {
      if (key.startsWith(`${instanceType}/`) && (lowest === undefined || usd < lowest)) lowest = usd;
    }
    return lowest;
  }

  /** Reads the types not read within `maxAgeMs`, in one call; a failure is logged, not thrown. */
  async refresh(instanceTypes: Iterable<string>, maxAgeMs: number): Promise<void> {
    const now = this.clock.now().getTime();
    const stale = [...new Set(instanceTypes)].filter((type) => !(now - (this.readAt.get(type) ?? Number.NEGATIVE_INFINITY) < maxAgeMs));
    if (stale.length === 0 || now - this.failedAt < PRICE_FAILURE_BACKOFF_MS) return;
    try {
      const out = await this.client.send(
        new DescribeSpotPriceHistoryCommand({
          InstanceTypes: stale as _InstanceType[],
          ProductDescriptions: ['Linux/UNIX'],
          StartTime: new Date(now),
          MaxResults: 1000,
        }),
      );
      const newest = new Map<string, { usd: number; at: number }>();
      for (const row of out.SpotPriceHistory ?? []) {
        const usd = Number(row.SpotPrice);
        // moto labels its rows "Linux/UNIX (Amazon VPC)"; AWS answers the description asked for.
        if (!row.InstanceType || !row.AvailabilityZone || !row.ProductDescription?.startsWith('Linux/UNIX')) continue;
        if (!Number.isFinite(usd) || usd <= 0) continue;
        const key = poolKey({ instanceType: row.InstanceType, zone: row.AvailabilityZone });
        const at = row.Timestamp?.getTime() ?? 0;
        if ((newest.get(key)?.at ?? Number.NEGATIVE_INFINITY) < at) newest.set(key, { usd, at });
      }
      for (const [key, { usd }] of newest) this.prices.set(key, usd);
      for (const type of stale) this.readAt.set(type, now);
    } catch (err) {
      this.failedAt = now;
      this.logger.warn({ err, instanceTypes: stale }, 'reading spot prices failed; pools keep the job order and costs stay unknown for now');
    }
  }
}

/** Pools that refused a launch for capacity recently; process memory, at most `CAPACITY_MEMORY_MAX`. */
export class CapacityMemory {
  private readonly refusedAt = new Map<string, number>();

  constructor(private readonly clock: Clock) {}

  remember(pool: LaunchPool): void {
    const key = this.keyOf(pool);
    this.refusedAt.delete(key); // re-inserted last: the map's order is the refusals' order
    this.refusedAt.set(key, this.clock.now().getTime());
    while (this.refusedAt.size > CAPACITY_MEMORY_MAX) this.refusedAt.delete(this.refusedAt.keys().next().value!);
  }

  recentlyRefused(pool: LaunchPool): boolean {
    const at = this.refusedAt.get(this.keyOf(pool));
    return at !== undefined && this.clock.now().getTime() - at < CAPACITY_MEMORY_MS;
  }

  private keyOf(pool: LaunchPool): string {
    return pool.zone ? poolKey(pool) : `${pool.instanceType}/${pool.subnetId ?? ''}`;
  }
}

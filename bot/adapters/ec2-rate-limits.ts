/**
 * EC2's API rate buckets, and the limiter that keeps this process inside them: a call waits for
 * its tokens here instead of being sent into `RequestLimitExceeded` (aws-clients.ts puts it in
 * front of every EC2 request, retries included).
 *
 * Source: AWS, "Request throttling for the Amazon EC2 API", sections "Request token bucket sizes
 * and refill rates" and "Resource token bucket sizes and refill rates",
 * https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html (formerly
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/throttling.html), read 2026-11-29 in a
 * stored copy of the page; the numbers below are its tables', for the default account limits.
 * What it says, in short:
 * - EC2 throttles per account and Region, whoever sends the request (this bot, the console, the
 *   CLI, other tools in the account): every API has its own bucket, sized by its category.
 * - `DescribeInstances`, `DescribeSpotInstanceRequests` (and five others) sent with neither a
 *   filter nor pagination draw on a smaller bucket.
 * - `RunInstances`, `TerminateInstances`, `StartInstances` and `StopInstances` also have a
 *   *resource* bucket that pays one token per instance the call affects.
 * - These are the default limits. AWS raises them per account on request, so an account may have
 *   higher ones: pass them in `requestLimits` / `resourceLimits`.
 *
 * The limiter is per process. Several replicas of the bot each hold their own, and the account's
 * other users are invisible to it; that is why it runs at a `share` of the documented limits
 * (default DEFAULT_EC2_RATE_SHARE), which also absorbs timer lateness (core/token-bucket.ts): at
 * one half, AWS's RunInstances bucket (5, then 2 a second) stays full while this process sends 1 a
 * second, so even a stall of about 5 s that lets the queued launches go at once is not refused.
 * The SDK's adaptive retry mode stays behind it for the throttling that still happens.
 */
import { reserve, type BucketLevel, type BucketLimit } from '../core/token-bucket.js';
import type { Clock } from '../ports.js';
import { systemClock } from '../clock.js';

/** `Describe*`, `List*`, `Search*`, `Get*` not named elsewhere. */
const NON_MUTATING: BucketLimit = { capacity: 100, refillPerSecond: 20 };
/** The smaller bucket of the seven Describe calls below, when sent with no filter and no pagination. */
const UNFILTERED_NON_MUTATING: BucketLimit = { capacity: 50, refillPerSecond: 10 };
/** Every other call that changes something (`CreateFleet`, `CreateLaunchTemplate`, …). */
const MUTATING: BucketLimit = { capacity: 50, refillPerSecond: 5 };
/** Mutating calls AWS lists as the most expensive; throttled apart from the other mutating ones. */
const RESOURCE_INTENSIVE: BucketLimit = { capacity: 50, refillPerSecond: 5 };

/**
 * Request buckets of the calls Sched makes, or may make on its launch paths, by action. Other
 * actions fall back to their category by name (`requestLimitFor`).
 */
export const EC2_REQUEST_LIMITS: Readonly<Record<string, BucketLimit>> = {
  DescribeInstances: NON_MUTATING,
  DescribeInstanceStatus: NON_MUTATING,
  DescribeSpotInstanceRequests: NON_MUTATING,
  DescribeSpotPriceHistory: NON_MUTATING,
  CancelSpotInstanceRequests: RESOURCE_INTENSIVE,
  RequestSpotInstances: RESOURCE_INTENSIVE,
  // "Uncategorized actions": their own sizes.
  CreateTags: { capacity: 100, refillPerSecond: 10 },
  DeleteTags: { capacity: 100, refillPerSecond: 10 },
  RunInstances: { capacity: 5, refillPerSecond: 2 },
  StartInstances: { capacity: 5, refillPerSecond: 2 },
  TerminateInstances: { capacity: 100, refillPerSecond: 5 },
};

/** The actions whose unfiltered, unpaginated calls draw on UNFILTERED_NON_MUTATING. */
export const EC2_UNFILTERED_ACTIONS: ReadonlySet<string> = new Set([
  'DescribeInstances',
  'DescribeInstanceStatus',
  'DescribeNetworkInterfaces',
  'DescribeSecurityGroups',
  'DescribeSnapshots',
  'DescribeSpotInstanceRequests',
  'DescribeVolumes',
]);

/** Resource buckets: one token per instance launched, started, stopped or terminated. */
export const EC2_RESOURCE_LIMITS: Readonly<Record<string, BucketLimit>> = {
  RunInstances: { capacity: 1000, refillPerSecond: 2 },
  TerminateInstances: { capacity: 1000, refillPerSecond: 20 },
  StartInstances: { capacity: 1000, refillPerSecond: 2 },
  StopInstances: { capacity: 1000, refillPerSecond: 20 },
};

/**
 * The share of the documented limits one process uses: room for a second replica's bursts, the
 * console and timer lateness. 200 due launches then take about 200 s (RunInstances refills 2 a
 * second; this process takes 1) instead of failing into throttling.
 */
export const DEFAULT_EC2_RATE_SHARE = 0.5;

/** One bucket a call draws on. */
export interface Ec2Charge {
  /** The bucket's name: the action, with a suffix for its unfiltered or resource bucket. */
  key: string;
  limit: BucketLimit;
  cost: number;
}

/** An action's request bucket: the table, else its category by name. */
export function requestLimitFor(action: string, table: Readonly<Record<string, BucketLimit>> = EC2_REQUEST_LIMITS): BucketLimit {
  return table[action] ?? (/^(Describe|List|Search|Get)[A-Z]/.test(action) ? NON_MUTATING : MUTATING);
}

/** What the SDK passes as a command's input; only the fields that choose a bucket are read. */
interface InputFields {
  Filters?: readonly unknown[];
  MaxResults?: number;
  NextToken?: string;
  MaxCount?: number;
  InstanceIds?: readonly unknown[];
}

function isUnfiltered(input: InputFields): boolean {
  return !input.Filters?.length && input.MaxResults === undefined && input.NextToken === undefined;
}

/** How many instances a call affects: RunInstances may launch up to MaxCount, the others name theirs. */
function resourceCount(action: string, input: InputFields): number {
  if (action === 'RunInstances') return Math.max(1, input.MaxCount ?? 1);
  return Math.max(1, input.InstanceIds?.length ?? 1);
}

export interface Ec2LimitTables {
  requestLimits?: Readonly<Record<string, BucketLimit>>;
  resourceLimits?: Readonly<Record<string, BucketLimit>>;
}

/**
 * Every bucket one call of `action` with `input` draws on, at the documented limits. An
 * unfiltered Describe pays its small bucket *and* the action's usual one: AWS does not say the
 * two are separate, and unfiltered polling is rare in Sched (it filters by tag).
 */
export function chargesFor(action: string, input: unknown, tables: Ec2LimitTables = {}): Ec2Charge[] {
  const fields: InputFields = typeof input === 'object' && input !== null ? (input as InputFields) : {};
  const requestLimits = { ...EC2_REQUEST_LIMITS, ...tables.requestLimits };
  const resourceLimits = { ...EC2_RESOURCE_LIMITS, ...tables.resourceLimits };
  const charges: Ec2Charge[] = [{ key: action, limit: requestLimitFor(action, requestLimits), cost: 1 }];
  if (EC2_UNFILTERED_ACTIONS.has(action) && isUnfiltered(fields)) {
    charges.push({ key: `${action} (unfiltered)`, limit: requestLimits[`${action} (unfiltered)`] ?? UNFILTERED_NON_MUTATING, cost: 1 });
  }
  const resource = resourceLimits[action];
  if (resource) charges.push({ key: `${action} (resources)`, limit: resource, cost: resourceCount(action, fields) });
  return charges;
}

export interface Ec2RateLimiterOptions extends Ec2LimitTables {
  /** Fraction (0, 1] of every documented limit this process uses; default DEFAULT_EC2_RATE_SHARE. */
  share?: number;
  clock?: Clock;
  /** Waits `ms`; a test can hand in fake timers. */
  sleep?: (ms: number) => Promise<void>;
}

// Whole milliseconds, rounded up: a timer never fires before the booked time.
const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.ceil(ms)));

/**
 * The buckets of one process, keyed by action. `acquire` books the call at once (so calls are
 * served in the order they arrive, whatever their wait) and resolves when it may be sent.
 */
export class Ec2RateLimiter {
  private readonly levels = new Map<string, BucketLevel>();
  private readonly share: number;
  private readonly clock: Clock;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: Ec2RateLimiterOptions = {}) {
    this.share = options.share ?? DEFAULT_EC2_RATE_SHARE;
    if (!(this.share > 0 && this.share <= 1)) throw new RangeError(`the EC2 rate share must be in (0, 1], got ${String(this.share)}`);
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? realSleep;
  }

  /** The buckets a call draws on, scaled to this process's share (never below one token). */
  chargesFor(action: string, input: unknown): Ec2Charge[] {
    return chargesFor(action, input, this.options).map((charge) => ({
      ...charge,
      limit: { capacity: Math.max(1, charge.limit.capacity * this.share), refillPerSecond: charge.limit.refillPerSecond * this.share },
    }));
  }

  /** Books the call and answers the milliseconds it must wait before it is sent. */
  book(action: string, input: unknown): number {
    const nowMs = this.clock.now().getTime();
    const charges = this.chargesFor(action, input);
    const booked = reserve(
      charges.map((charge) => ({ limit: charge.limit, level: this.levels.get(charge.key), cost: charge.cost })),
      nowMs,
    );
    charges.forEach((charge, index) => this.levels.set(charge.key, booked.levels[index]!));
    return booked.sendAtMs - nowMs;
  }

  /** Resolves when a call of `action` with `input` may be sent; answers how long it waited (ms). */
  async acquire(action: string, input: unknown): Promise<number> {
    const waitMs = this.book(action, input);
    if (waitMs > 0) await this.sleep(waitMs);
    return waitMs;
  }
}

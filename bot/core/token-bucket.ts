/**
 * Token buckets by reservation: the arithmetic behind the client-side EC2 limiter
 * (adapters/ec2-rate-limits.ts). Pure: every time is an argument, in milliseconds.
 *
 * A bucket holds at most `capacity` tokens and gains `refillPerSecond` of them continuously. A
 * call that needs tokens from one or more buckets (RunInstances: one request token, plus one
 * resource token per instance) does not poll: `reserve` books them at once and answers the
 * earliest time at which every bucket can pay — its send time — and the buckets' levels after
 * paying at that time. A level may therefore lie in the future (`atMs` after now); the next call
 * books after it. So:
 * - calls are served in the order they reserve (FIFO per bucket): none can starve;
 * - a call waits no longer than its buckets need, given the calls booked before it;
 * - over any window of t seconds a bucket pays out at most `capacity + refillPerSecond · t`
 *   tokens, which is what AWS allows (token bucket, per account and Region).
 * A multi-bucket call pays every bucket at the same instant, the one it is sent: booking a bucket
 * earlier than the request really leaves would let two requests bunch up in that bucket later.
 * Sending a request later than its booked time costs the remote bucket up to
 * `refillPerSecond · delay` tokens in the worst case: the caller's timer lateness is what the
 * limiter's safety share (below AWS's documented limits) absorbs.
 */

/** A bucket's size and how fast it fills. */
export interface BucketLimit {
  /** Tokens the bucket holds when full: the burst. */
  readonly capacity: number;
  /** Tokens added per second, continuously: the sustained rate. */
  readonly refillPerSecond: number;
}

/** How many tokens a bucket held at `atMs` (after the last call booked at that time paid). */
export interface BucketLevel {
  readonly tokens: number;
  readonly atMs: number;
}

/** One bucket a call draws on, and how many of its tokens the call takes. */
export interface Demand {
  readonly limit: BucketLimit;
  /** The bucket's level now; absent for a bucket nobody has drawn on yet (full). */
  readonly level: BucketLevel | undefined;
  readonly cost: number;
}

export interface Reservation {
  /** When the call may be sent: `nowMs` or later. */
  readonly sendAtMs: number;
  /** Each demanded bucket's level after paying at `sendAtMs`, in the order of the demands. */
  readonly levels: readonly BucketLevel[];
}

/** Refuses a limit that could never pay (no capacity, no refill) or is not a number. */
export function assertBucketLimit(limit: BucketLimit): void {
  const { capacity, refillPerSecond } = limit;
  if (!(Number.isFinite(capacity) && capacity > 0)) throw new RangeError(`bucket capacity must be a positive number, got ${String(capacity)}`);
  if (!(Number.isFinite(refillPerSecond) && refillPerSecond > 0)) {
    throw new RangeError(`bucket refill rate must be a positive number, got ${String(refillPerSecond)}`);
  }
}

/**
 * The tokens in a bucket at `tMs`, not before its level's own time (a booked future is not
 * undone): full when nobody has drawn on it.
 */
export function tokensAt(limit: BucketLimit, level: BucketLevel | undefined, tMs: number): number {
  if (!level) return limit.capacity;
  const elapsedMs = Math.max(0, tMs - level.atMs);
  return Math.min(limit.capacity, level.tokens + (elapsedMs * limit.refillPerSecond) / 1000);
}

/**
 * The cost a bucket can ever pay: a call asking more than the capacity (a RunInstances for more
 * instances than the resource bucket holds) waits for a full bucket instead of forever.
 */
export function payableCost(limit: BucketLimit, cost: number): number {
  if (!(Number.isFinite(cost) && cost >= 0)) throw new RangeError(`a call's cost must be a number of tokens, got ${String(cost)}`);
  return Math.min(cost, limit.capacity);
}

/** The earliest time, not before `nowMs` nor before the bucket's last booking, it holds `cost`. */
function earliestPayable(demand: Demand, nowMs: number): number {
  const startMs = Math.max(nowMs, demand.level?.atMs ?? nowMs);
  const missing = payableCost(demand.limit, demand.cost) - tokensAt(demand.limit, demand.level, startMs);
  return missing <= 0 ? startMs : startMs + (missing * 1000) / demand.limit.refillPerSecond;
}

/**
 * Books a call on every bucket it draws on: the earliest time all of them can pay, and their
 * levels once paid. A call that demands nothing is sent now.
 */
export function reserve(demands: readonly Demand[], nowMs: number): Reservation {
  for (const demand of demands) assertBucketLimit(demand.limit);
  const sendAtMs = demands.reduce((latest, demand) => Math.max(latest, earliestPayable(demand, nowMs)), nowMs);
  const levels = demands.map((demand) => ({
    // Rounding can leave a hair below zero where the wait was computed to the exact token.
    tokens: Math.max(0, tokensAt(demand.limit, demand.level, sendAtMs) - payableCost(demand.limit, demand.cost)),
    atMs: sendAtMs,
  }));
  return { sendAtMs, levels };
}

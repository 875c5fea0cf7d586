/**
 * Exponential back-off with a cap and jitter, the one formula every retry loop in Sched uses.
 * Pure: the caller hands in `random` (`Math.random` in the bot, a fixed value in tests).
 *
 * The ceiling after the n-th consecutive failure is `baseMs · 2^(n-1)`, capped at `maxMs`. Jitter
 * spreads the delay below that ceiling, so callers that failed together (replicas throttled by
 * EC2, channels refused by Slack) do not retry together:
 * - `full`: anywhere in [0, ceiling] — the widest spread; the caller adds a floor if it needs one;
 * - `equal`: in [ceiling/2, ceiling] — never much shorter than the ceiling.
 * The upper end is reached only by rounding (`random` just below 1), so the ranges are closed.
 */

export const Jitter = {
  Full: 'full',
  Equal: 'equal',
} as const;
export type Jitter = (typeof Jitter)[keyof typeof Jitter];

export interface BackoffPolicy {
  /** The ceiling after the first failure. */
  baseMs: number;
  /** No ceiling is higher than this. */
  maxMs: number;
  jitter: Jitter;
}

/**
 * A fraction in [0, 1) fixed by `key` (FNV-1a, 32 bits): jitter for a pure decision, which may not
 * draw a random number. Keys that differ (job ids) spread; the same key always lands in the same
 * place, so deciding twice on the same facts decides the same.
 */
export function stableFraction(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 2 ** 32;
}

/** The ceiling after `failures` (1 or more) consecutive failures: `baseMs · 2^(failures-1)`, capped. */
export function backoffCeilingMs(failures: number, policy: Pick<BackoffPolicy, 'baseMs' | 'maxMs'>): number {
  if (!Number.isSafeInteger(failures) || failures < 1) {
    throw new RangeError(`failures must be a positive integer, got ${String(failures)}`);
  }
  return Math.min(policy.maxMs, policy.baseMs * 2 ** (failures - 1));
}

/** The delay before the next try after `failures` consecutive failures; `random` returns [0, 1). */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: () => number): number {
  const ceiling = backoffCeilingMs(failures, policy);
  switch (policy.jitter) {
    case Jitter.Full:
      return random() * ceiling;
    case Jitter.Equal:
      return ceiling / 2 + (random() * ceiling) / 2;
    default: {
      const unknown: never = policy.jitter;
      throw new Error(`unknown jitter ${String(unknown)}`);
    }
  }
}

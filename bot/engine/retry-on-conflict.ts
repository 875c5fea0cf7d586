/**
 * The one way a lost conditional write is retried. Every job and schedule write is conditional on
 * the stored version; when another writer (a timer, a notification, another replica) got there
 * first, the change is worked out again on fresh state, a bounded number of times.
 */
import { ConflictError } from '../core/errors.js';

/** How many times one change is tried before the writers racing it win. */
export const MAX_WRITE_TRIES = 5;

export interface RetryOnConflictOptions<T> {
  /** What to do when every try lost: usually throw a `ConflictError` saying what kept changing. */
  exhausted(): T;
  /** Called after each lost write, before the next try (to drop state read before it, count it). */
  onConflict?(): void;
}

/**
 * Runs `attempt` (which must read what it changes afresh each time) until it completes without a
 * `ConflictError`. Any other error ends the retries at once and propagates.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T>, options: RetryOnConflictOptions<T>): Promise<T> {
  for (let tries = 0; tries < MAX_WRITE_TRIES; tries++) {
    try {
      return await attempt();
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      options.onConflict?.();
    }
  }
  return options.exhausted();
}

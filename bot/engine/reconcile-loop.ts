/**
 * Runs the reconcile pass every interval, forever: one failed pass never stops the loop. After
 * consecutive failures it backs off exponentially with full jitter, so replicas that fail
 * together (EC2 throttling, a DynamoDB outage) do not retry in lockstep.
 */
import type { Logger } from 'pino';
import { backoffDelayMs, Jitter } from '../core/backoff.js';
import { coerceError } from '../core/errors.js';

export interface ReconcileLoopOptions {
  intervalMs: number;
  logger: Logger;
  pass: () => Promise<unknown>;
  /** Upper bound of the back-off. */
  maxBackoffMs?: number;
  random?: () => number;
}

export class ReconcileLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private consecutiveErrors = 0;

  constructor(private readonly opts: ReconcileLoopOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops scheduling and waits for a pass in progress to finish. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /** Delay before the next pass after `errors` consecutive failures. */
  delayAfter(errors: number): number {
    const { intervalMs } = this.opts;
    if (errors === 0) return intervalMs;
    // Ceiling interval · 2^errors (the exponent stops at 10); never faster than half an interval.
    const policy = { baseMs: 2 * intervalMs, maxMs: this.opts.maxBackoffMs ?? 300_000, jitter: Jitter.Full };
    return Math.max(intervalMs / 2, backoffDelayMs(Math.min(errors, 10), policy, this.opts.random ?? Math.random));
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runPass().finally(() => {
        this.running = undefined;
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async runPass(): Promise<void> {
    try {
      await this.opts.pass();
      this.consecutiveErrors = 0;
    } catch (err) {
      this.consecutiveErrors++;
      this.opts.logger.error({ err: coerceError(err), consecutiveErrors: this.consecutiveErrors }, 'reconcile pass failed');
    }
    this.schedule(this.delayAfter(this.consecutiveErrors));
  }
}

/**
 * A `Fleet` that passes every call to another and notes when each launch was issued and answered
 * (wall-clock ms), per job and attempt: what the timing benchmarks measure against.
 */
import type { FleetSnapshot } from '../bot/core/lifecycle/observation.js';
import type { PoolQuote } from '../bot/core/plan.js';
import type { Fleet, LaunchPlan, Launched } from '../bot/ports.js';

export interface LaunchTiming {
  jobId: string;
  attempt: number;
  issuedAt: number;
  answeredAt?: number;
  /** The launch error's code, when it failed. */
  failed?: string;
}

export class TimedFleet implements Fleet {
  readonly launches: LaunchTiming[] = [];
  private waiters: { until: () => boolean; resolve: () => void }[] = [];

  constructor(private readonly inner: Fleet) {}

  async launch(plan: LaunchPlan): Promise<Launched> {
    const timing: LaunchTiming = { jobId: plan.jobId, attempt: plan.attempt, issuedAt: Date.now() };
    this.launches.push(timing);
    this.wake();
    try {
      return await this.inner.launch(plan);
    } catch (err) {
      timing.failed = (err as { code?: string }).code ?? (err instanceof Error ? err.name : 'error');
      throw err;
    } finally {
      timing.answeredAt = Date.now();
      this.wake();
    }
  }

  /** The first launch of `attempt` for `jobId`. */
  launchOf(jobId: string, attempt: number): LaunchTiming | undefined {
    return this.launches.find((l) => l.jobId === jobId && l.attempt === attempt);
  }

  /** Resolves once `until()` holds, checked after every launch issued or answered; rejects after `timeoutMs`. */
  waitFor(until: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (until()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      this.waiters.push({ until, resolve: () => (clearTimeout(timer), resolve()) });
    });
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => w.until());
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve();
  }

  observe(): Promise<FleetSnapshot> {
    return this.inner.observe();
  }
  cancelRequest(requestId: string): Promise<void> {
    return this.inner.cancelRequest(requestId);
  }
  terminateInstance(instanceId: string): Promise<void> {
    return this.inner.terminateInstance(instanceId);
  }
  quote(instanceTypes: readonly string[]): Promise<PoolQuote[]> {
    return this.inner.quote(instanceTypes);
  }
}

/**
 * One level-triggered pass, Karpenter-style: small sub-reconcilers run in turn on every pass —
 * schedules (fire what is due), jobs (observe the fleet in bulk, decide on each job), orphans
 * (sweep what no job wants). None depends on having seen one particular event. With a lease, only
 * its holder runs passes, so several replicas never act twice.
 */
import type { Logger } from 'pino';
import { indexSnapshot, observationsFor, type SnapshotIndex } from '../core/lifecycle/correlate.js';
import { coerceError } from '../core/errors.js';
import type { Job } from '../core/job.js';
import type { FleetSnapshot } from '../core/lifecycle/observation.js';
import type { Fleet, JobStore, LeaseStore } from '../ports.js';
import type { JobDriver } from './job-driver.js';
import type { EngineMetrics } from './metrics.js';
import { sweepOrphans } from './orphan-sweep.js';

/** How many jobs a reconcile pass works on at once. */
const RECONCILE_CONCURRENCY = 16;
const LEASE_NAME = 'reconciler';

export interface ReconcilerDeps {
  store: JobStore;
  fleet: Fleet;
  driver: JobDriver;
  logger: Logger;
  metrics: EngineMetrics;
  pollSeconds: number;
  /** When given, only the lease holder runs passes (several replicas may run). */
  lease?: LeaseStore;
  /** Identifies this process as a lease holder. */
  holderId: string;
  /** Cron schedules to fire on each pass (under the same lease). */
  scheduler?: { fireDue(): Promise<number> };
}

export interface PassResult {
  skipped: boolean;
  jobs: number;
  orphansTerminated: number;
  orphansCancelled: number;
}

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** One pass; returns what it did, for tests and benchmarks. */
  async pass(): Promise<PassResult> {
    const { lease, store, metrics } = this.deps;
    if (lease && !(await lease.tryAcquire(LEASE_NAME, this.deps.holderId, this.deps.pollSeconds * 3000))) {
      return { skipped: true, jobs: 0, orphansTerminated: 0, orphansCancelled: 0 };
    }
    // A duration, not a time of day: the monotonic clock, which no wall-clock step can skew.
    const started = performance.now();
    await this.fireSchedules();
    const jobs = await store.listActive();
    const snapshot = await this.observeFleet();
    await this.reconcileJobs(jobs, snapshot && indexSnapshot(snapshot));
    const swept = snapshot ? await sweepOrphans(this.deps, jobs, snapshot) : { terminated: 0, cancelled: 0 };
    metrics.recordPass(performance.now() - started, jobs);
    return { skipped: false, jobs: jobs.length, orphansTerminated: swept.terminated, orphansCancelled: swept.cancelled };
  }

  /** Gives the lease up, so another replica takes over at once rather than at expiry. */
  async release(): Promise<void> {
    await this.deps.lease?.release(LEASE_NAME, this.deps.holderId).catch(() => undefined);
  }

  private async fireSchedules(): Promise<void> {
    await this.deps.scheduler?.fireDue().catch((err) => this.deps.logger.error({ err: coerceError(err) }, 'firing schedules failed'));
  }

  /** Without a snapshot, only time-driven decisions run: nothing is presumed gone. */
  private async observeFleet(): Promise<FleetSnapshot | undefined> {
    try {
      return await this.deps.fleet.observe();
    } catch (err) {
      this.deps.metrics.observeErrors++;
      this.deps.logger.warn({ err: coerceError(err) }, 'fleet observation failed; this pass decides on time alone');
      return undefined;
    }
  }

  private async reconcileJobs(jobs: Job[], index: SnapshotIndex | undefined): Promise<void> {
    await forEachLimited(jobs, RECONCILE_CONCURRENCY, async (job) => {
      try {
        await this.deps.driver.applyAll(job, observationsFor(job, index));
      } catch (err) {
        this.deps.logger.error({ err: coerceError(err), jobId: job.id }, 'reconciling a job failed; the next pass tries again');
      }
    });
  }
}

async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await work(item);
    }
  });
  await Promise.all(workers);
}

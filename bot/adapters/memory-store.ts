/**
 * In-memory twins of the DynamoDB job and lease stores, for fast engine tests. They keep the same
 * contract (the shared suite in test/adapters/job-store.test.ts runs against both): copies in and
 * out so callers never share state with the store, `ConflictError` on the same conditions, the
 * same listing orders. No TTL: finished jobs stay until the process ends.
 */
import { ConflictError } from '../core/errors.js';
import { needsReconcile, type Job } from '../core/job.js';
import type { Clock, JobStore, LeaseStore } from '../ports.js';

/** {@link JobStore} in a Map. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Job>();

  async ensureTable(): Promise<void> {}

  async create(job: Job): Promise<void> {
    assertJobId(job.id);
    if (job.version !== 1) throw new RangeError(`a new job has version 1, job ${job.id} has ${job.version}`);
    if (this.jobs.has(job.id)) throw new ConflictError(`job ${job.id} already exists`);
    this.jobs.set(job.id, copyJob(job));
  }

  async get(id: string): Promise<Job | undefined> {
    const job = this.jobs.get(id);
    return job ? copyJob(job) : undefined;
  }

  async update(job: Job): Promise<void> {
    assertJobId(job.id);
    const stored = this.jobs.get(job.id);
    if (!stored || stored.version !== job.version - 1) {
      throw new ConflictError(`job ${job.id} is not at version ${job.version - 1}`);
    }
    this.jobs.set(job.id, copyJob(job));
  }

  async listActive(): Promise<Job[]> {
    return [...this.jobs.values()]
      .filter(needsReconcile)
      .sort((a, b) => compareStrings(a.runAt, b.runAt) || compareStrings(a.id, b.id))
      .map(copyJob);
  }

  async listCreatedSince(since: string, limit: number): Promise<Job[]> {
    const sinceMs = Date.parse(since);
    if (Number.isNaN(sinceMs)) throw new RangeError(`not an ISO time: ${JSON.stringify(since)}`);
    const sinceIso = new Date(sinceMs).toISOString();
    return [...this.jobs.values()]
      .filter((job) => job.createdAt >= sinceIso)
      .sort((a, b) => compareStrings(b.createdAt, a.createdAt) || compareStrings(b.id, a.id))
      .slice(0, Math.max(0, limit))
      .map(copyJob);
  }
}

/** Options of {@link MemoryLeaseStore}. */
export interface MemoryLeaseStoreOptions {
  clock: Clock;
}

/** {@link LeaseStore} in a Map; only meaningful within one process (tests, a single replica). */
export class MemoryLeaseStore implements LeaseStore {
  private readonly leases = new Map<string, { holder: string; expiresAtMs: number }>();
  private readonly clock: Clock;

  constructor(options: MemoryLeaseStoreOptions) {
    this.clock = options.clock;
  }

  async tryAcquire(name: string, holder: string, ttlMs: number): Promise<boolean> {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new RangeError(`lease ttlMs must be positive, got ${ttlMs}`);
    const nowMs = this.clock.now().getTime();
    const current = this.leases.get(name);
    if (current && current.expiresAtMs > nowMs && current.holder !== holder) return false;
    this.leases.set(name, { holder, expiresAtMs: nowMs + ttlMs });
    return true;
  }

  async release(name: string, holder: string): Promise<void> {
    if (this.leases.get(name)?.holder === holder) this.leases.delete(name);
  }
}

function assertJobId(id: string): void {
  // Same rule as the DynamoDB store, where '#' marks other item kinds, so tests catch it here too.
  if (id.length === 0 || id.includes('#')) throw new RangeError(`invalid job id ${JSON.stringify(id)}`);
}

/**
 * A JSON round trip, not structuredClone: like DynamoDB with `removeUndefinedValues`, it drops
 * properties set to `undefined`, so both stores hand back equal jobs.
 */
function copyJob(job: Job): Job {
  return JSON.parse(JSON.stringify(job)) as Job;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The memory job store, counting its writes: a fuzz test checks that a refused input made none
 * (cheaper than comparing every stored job after each of thousands of inputs).
 */
import { MemoryJobStore } from '../../bot/adapters/memory-store.js';
import type { Job } from '../../bot/core/job.js';

export class CountingJobStore extends MemoryJobStore {
  writes = 0;

  override async create(job: Job): Promise<void> {
    await super.create(job);
    this.writes++;
  }

  override async update(job: Job): Promise<void> {
    await super.update(job);
    this.writes++;
  }
}

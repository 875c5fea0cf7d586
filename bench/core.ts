/**
 * The in-process benchmarks that were here first: decide() speed, and one reconcile pass over
 * active jobs on the in-memory twins (no emulator). No issue target: figures to compare across runs.
 */
import { MemoryFleet } from '../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../bot/adapters/memory-store.js';
import { decide } from '../bot/core/lifecycle/lifecycle.js';
import { makeJob } from '../test/harness/jobs.js';
import { msSince, round, type BenchResult } from './report.js';
import { benchEngine, benchSpec } from './world.js';

export function benchDecide(ops: number): BenchResult {
  const job = makeJob({ status: 'running', attempt: 1, instanceId: 'i-1', spotRequestId: 'sir-1', startedAt: '2026-01-15T10:05:00.000Z', launchedAt: '2026-01-15T10:05:00.000Z' });
  const now = new Date('2026-01-15T10:10:00.000Z');
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) decide(job, { kind: 'instance', instance: { instanceId: 'i-1', attempt: 1, state: 'running' } }, now);
  const ns = Number(process.hrtime.bigint() - start);
  const usPerOp = ns / ops / 1000;
  return { bench: 'decide', figures: { ops, ops_per_sec: Math.round((ops / ns) * 1e9), us_per_op: round(usPerOp, 2) }, target: 'none (a figure to compare across runs)', met: true };
}

export async function benchReconcileMemory(jobs: number): Promise<BenchResult> {
  const engine = benchEngine(new MemoryFleet(), new MemoryJobStore());
  for (let i = 0; i < jobs; i++) await engine.createJob({ spec: benchSpec, runAt: new Date().toISOString(), owner: { kind: 'api', id: 'bench' } });
  const start = performance.now();
  await engine.reconcileOnce();
  const firstMs = msSince(start);
  const steady = performance.now();
  await engine.reconcileOnce();
  return {
    bench: 'reconcile_pass_memory',
    figures: { active_jobs: jobs, first_pass_ms: firstMs, steady_pass_ms: msSince(steady) },
    target: 'none (a figure to compare across runs)',
    met: true,
  };
}

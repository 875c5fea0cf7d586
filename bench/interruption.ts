/**
 * Issue 14, item 6: how fast a job is moved off an instance that is going away.
 * - `interruption_reaction`: running jobs (the embedded store, the in-memory fleet) receive the
 *   agent's `interrupting` (AWS's two-minute notice), one after another: report → the
 *   replacement's launch call issued, p50 and p99. Target: p99 ≤ 2 s.
 * - `capacity_fallback`: a launch whose first pool answers `InsufficientInstanceCapacity` (the
 *   fault proxy in front of moto): refusal → the next pool's RunInstances, p50 and p99, each sample
 *   with a fresh adapter (it remembers a refused pool and would try it last). Target: p99 ≤ 2 s.
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { Ec2Fleet } from '../bot/adapters/ec2-fleet.js';
import { MemoryFleet } from '../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../bot/adapters/memory-store.js';
import { startDynalite } from '../test/harness/dynalite.js';
import { startFaultProxy } from '../test/harness/fault-proxy.js';
import { startMoto } from '../test/harness/moto.js';
import { percentile, type BenchResult } from './report.js';
import { TimedFleet } from './timed-fleet.js';
import { BENCH_AMI, BENCH_DEPLOYMENT, benchEngine, benchSpec, benchStore } from './world.js';

export async function benchInterruptionReaction(jobs: number): Promise<BenchResult> {
  const dynalite = await startDynalite();
  const fleet = new TimedFleet(new MemoryFleet());
  const { store } = await benchStore(dynalite.client());
  const engine = benchEngine(fleet, store);
  try {
    const ids: string[] = [];
    for (let i = 0; i < jobs; i++) {
      const job = await engine.createJob({ spec: benchSpec, runAt: new Date().toISOString(), owner: { kind: 'api', id: 'bench' } });
      await engine.reconcileOnce(); // the instance is seen: launching
      await engine.agentReport({ jobId: job.id, status: 'started', attempt: 1 });
      ids.push(job.id);
    }
    const reaction: number[] = [];
    for (const id of ids) {
      const reported = Date.now();
      await engine.agentReport({ jobId: id, status: 'interrupting', attempt: 1 });
      await fleet.waitFor(() => fleet.launchOf(id, 2) !== undefined, 10_000, `the replacement of ${id}`);
      reaction.push(fleet.launchOf(id, 2)!.issuedAt - reported);
    }
    const p99 = percentile(reaction, 99);
    return {
      bench: 'interruption_reaction',
      figures: { jobs, report_to_replacement_p50_ms: percentile(reaction, 50), report_to_replacement_p99_ms: p99, report_to_replacement_max_ms: Math.max(...reaction) },
      target: 'interrupting received -> replacement launch issued p99 <= 2 s',
      met: p99 <= 2000,
    };
  } finally {
    await engine.stop();
    await dynalite.stop();
  }
}

export async function benchCapacityFallback(samples: number): Promise<BenchResult> {
  const moto = await startMoto();
  const proxy = await startFaultProxy(moto.endpoint);
  const client = new EC2Client({ ...proxy.clientConfig, maxAttempts: 3 });
  try {
    const fallback: number[] = [];
    for (let i = 0; i < samples; i++) {
      const fleet = new Ec2Fleet({ client, deployment: BENCH_DEPLOYMENT, amiId: BENCH_AMI, subnetIds: [], securityGroupIds: [] });
      const engine = benchEngine(fleet, new MemoryJobStore());
      proxy.resetCounts();
      // The first pool tried, whichever the price order makes it, has no capacity.
      proxy.inject({ service: 'ec2', action: 'RunInstances', times: 1, fault: { kind: 'error', status: 500, code: 'InsufficientInstanceCapacity', message: 'There is no Spot capacity available that matches your request.' } });
      await engine.createJob({ spec: { ...benchSpec, instanceTypes: ['t3.micro', 't3.small'] }, runAt: new Date().toISOString(), owner: { kind: 'api', id: 'bench' } });
      const runs = proxy.requests.filter((r) => r.action === 'RunInstances');
      const refused = runs.find((r) => r.code === 'InsufficientInstanceCapacity');
      const next = runs.find((r) => r.outcome === 'forwarded');
      if (!refused || !next) throw new Error(`sample ${i}: expected a refused RunInstances then a launch in the next pool, saw ${JSON.stringify(runs)}`);
      fallback.push(next.at - refused.at);
      await engine.stop();
    }
    const p99 = percentile(fallback, 99);
    return {
      bench: 'capacity_fallback',
      figures: { samples, refusal_to_next_pool_p50_ms: percentile(fallback, 50), refusal_to_next_pool_p99_ms: p99, refusal_to_next_pool_max_ms: Math.max(...fallback) },
      target: 'capacity refusal -> next pool launched p99 <= 2 s',
      met: p99 <= 2000,
    };
  } finally {
    client.destroy();
    await proxy.close();
    await moto.stop();
  }
}

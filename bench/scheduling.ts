/**
 * Issue 14, item 5: scheduling precision.
 * - `schedule_precision`: 100 jobs due at different moments (the embedded store, the in-memory
 *   fleet): due → launch call issued, p50 and p99. Target: p99 ≤ 1 s.
 * - `launch_burst`: 200 jobs due in the same second, launched by the EC2 adapter through the bot's
 *   EC2 client (its client-side limiter, adaptive retries) against a fake EC2 (fake-ec2.ts) that
 *   plays AWS's RunInstances request bucket and answers `RequestLimitExceeded` when it is empty. Time is compressed: both the
 *   limiter's table and the proxy's bucket are AWS's ×`TIME_SCALE` (5 then 2/s becomes 50 then
 *   20/s), so the run takes seconds, not minutes, and the ratio to what the bucket allows is the
 *   same. Measured at the limiter's default share and at share 1. Target: 0 throttles, all
 *   launched within 10 % of what the bucket allows.
 */
import { MemoryFleet } from '../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../bot/adapters/memory-store.js';
import { createEc2Client } from '../bot/adapters/aws-clients.js';
import { Ec2Fleet } from '../bot/adapters/ec2-fleet.js';
import { DEFAULT_EC2_RATE_SHARE, EC2_REQUEST_LIMITS, EC2_RESOURCE_LIMITS } from '../bot/adapters/ec2-rate-limits.js';
import type { BucketLimit } from '../bot/core/token-bucket.js';
import type { Engine } from '../bot/engine/engine.js';
import { startDynalite } from '../test/harness/dynalite.js';
import { TEST_CREDENTIALS, TEST_REGION } from '../test/harness/moto.js';
import { startFakeEc2 } from './fake-ec2.js';
import { percentile, round, type BenchResult } from './report.js';
import { TimedFleet } from './timed-fleet.js';
import { BENCH_AMI, BENCH_DEPLOYMENT, benchEngine, benchSpec, benchStore } from './world.js';

export const TIME_SCALE = 10;

export async function benchSchedulePrecision(jobs: number, spreadMs: number): Promise<BenchResult> {
  const dynalite = await startDynalite();
  const fleet = new TimedFleet(new MemoryFleet());
  const { store } = await benchStore(dynalite.client());
  const engine = benchEngine(fleet, store);
  try {
    const firstDue = Date.now() + 2000 + jobs * 20; // after every job is created
    const due = new Map<string, number>();
    for (let i = 0; i < jobs; i++) {
      const at = firstDue + Math.round((i * spreadMs) / jobs) + (i % 7) * 3; // not on round milliseconds
      const job = await engine.createJob({ spec: benchSpec, runAt: new Date(at).toISOString(), owner: { kind: 'api', id: 'bench' } });
      due.set(job.id, at);
    }
    await fleet.waitFor(() => fleet.launches.length >= jobs && fleet.launches.every((l) => l.answeredAt !== undefined), spreadMs + 60_000, 'every due job to launch');
    await settled(engine, jobs);
    const lateness = [...due].map(([id, at]) => fleet.launchOf(id, 1)!.issuedAt - at);
    const p99 = percentile(lateness, 99);
    return {
      bench: 'schedule_precision',
      figures: { jobs, spread_ms: spreadMs, due_to_launch_p50_ms: percentile(lateness, 50), due_to_launch_p99_ms: p99, due_to_launch_max_ms: Math.max(...lateness), early: lateness.filter((ms) => ms < 0).length },
      target: 'due -> launch call issued p99 <= 1 s',
      met: p99 <= 1000 && lateness.every((ms) => ms >= 0),
    };
  } finally {
    await engine.stop();
    await dynalite.stop();
  }
}

/** Waits (up to 10 s) until every job has recorded its launch, so the store may close. */
async function settled(engine: Engine, jobs: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const active = await engine.listActiveJobs();
    if (active.length === jobs && active.every((job) => job.attempt >= 1 && (job.instanceId ?? job.spotRequestId) !== undefined)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function scaled(table: Readonly<Record<string, BucketLimit>>): Record<string, BucketLimit> {
  return Object.fromEntries(Object.entries(table).map(([k, v]) => [k, { capacity: v.capacity * TIME_SCALE, refillPerSecond: v.refillPerSecond * TIME_SCALE }]));
}

export async function benchLaunchBurst(jobs: number, shares: readonly number[] = [DEFAULT_EC2_RATE_SHARE, 1]): Promise<BenchResult[]> {
  const results: BenchResult[] = [];
  for (const share of shares) {
    const aws = scaled(EC2_REQUEST_LIMITS).RunInstances!;
    const ec2 = await startFakeEc2(aws);
    const client = createEc2Client({
      endpoint: ec2.endpoint,
      region: TEST_REGION,
      credentials: TEST_CREDENTIALS,
      ec2RateLimit: { share, requestLimits: scaled(EC2_REQUEST_LIMITS), resourceLimits: scaled(EC2_RESOURCE_LIMITS) },
    });
    const fleet = new TimedFleet(new Ec2Fleet({ client, deployment: BENCH_DEPLOYMENT, amiId: BENCH_AMI, subnetIds: [], securityGroupIds: [] }));
    const engine = benchEngine(fleet, new MemoryJobStore());
    try {
      // Every job due at one instant, on both clocks (the fake EC2 stamps with performance.now()).
      const dueWall = Date.now() + 3000;
      const dueAt = performance.now() + 3000;
      const runAt = new Date(dueWall).toISOString();
      for (let i = 0; i < jobs; i++) await engine.createJob({ spec: benchSpec, runAt, owner: { kind: 'api', id: 'bench' } });
      await fleet.waitFor(() => fleet.launches.length >= jobs && fleet.launches.every((l) => l.answeredAt !== undefined), 300_000, 'every launch to be answered');
      const throttles = ec2.throttled.length;
      const lastSentS = (Math.max(...ec2.accepted) - dueAt) / 1000;
      const allowedS = Math.max(0, (jobs - aws.capacity) / aws.refillPerSecond);
      const failures = fleet.launches.flatMap((l) => (l.failed ? [l.failed] : []));
      const failed = failures.length;
      results.push({
        bench: 'launch_burst',
        figures: {
          jobs,
          time_scale: TIME_SCALE,
          limiter_share: share,
          launched: ec2.accepted.length,
          launch_failures: failed,
          ...(failed > 0 && { failure_codes: [...new Set(failures)] }),
          throttles,
          all_sent_after_s: round(lastSentS, 2),
          bucket_allows_s: round(allowedS, 2),
          limiter_share_allows_s: round(Math.max(0, (jobs - aws.capacity * share) / (aws.refillPerSecond * share)), 2),
          all_sent_after_real_aws_s: round(lastSentS * TIME_SCALE, 1),
        },
        target: '0 throttles; all launched within 10% of what the RunInstances bucket allows',
        met: throttles === 0 && failed === 0 && lastSentS <= 1.1 * allowedS,
      });
    } finally {
      await engine.stop();
      client.destroy();
      await ec2.close();
    }
  }
  return results;
}

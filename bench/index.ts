/**
 * Benchmarks: one JSON object per line. Ratios are what to compare across runs on these shared,
 * noisy machines; absolute times only within one run.
 *
 *   npm run bench             all benchmarks (the EC2 one needs moto_server, ~1–2 min)
 *   npm run bench -- core     only the in-process ones
 */
import { EC2Client } from '@aws-sdk/client-ec2';
import { pino } from 'pino';
import { Ec2Fleet } from '../bot/adapters/ec2-fleet.js';
import { MemoryFleet } from '../bot/adapters/memory-fleet.js';
import { MemoryJobStore } from '../bot/adapters/memory-store.js';
import { decide } from '../bot/core/lifecycle/lifecycle.js';
import { Engine } from '../bot/engine/engine.js';
import type { NewJob } from '../bot/core/job.js';
import type { Fleet } from '../bot/ports.js';
import { makeJob } from '../test/harness/jobs.js';
import { startMoto } from '../test/harness/moto.js';

const only = process.argv[2];
const emit = (record: Record<string, unknown>) => console.log(JSON.stringify(record));

function benchDecide(): void {
  const job = makeJob({ status: 'running', attempt: 1, instanceId: 'i-1', spotRequestId: 'sir-1', startedAt: '2026-01-15T10:05:00.000Z', launchedAt: '2026-01-15T10:05:00.000Z' });
  const now = new Date('2026-01-15T10:10:00.000Z');
  const n = 200_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) decide(job, { kind: 'instance', instance: { instanceId: 'i-1', attempt: 1, state: 'running' } }, now);
  const ns = Number(process.hrtime.bigint() - start);
  emit({ bench: 'decide', ops: n, ops_per_sec: Math.round((n / ns) * 1e9), us_per_op: ns / n / 1000 });
}

function engineOn(fleet: Fleet, store = new MemoryJobStore()) {
  return new Engine({
    store,
    fleet,
    callbacks: { send: async () => ({ ok: true, statusCode: 200 }) },
    notifier: { jobChanged: async () => undefined },
    clock: { now: () => new Date() },
    logger: pino({ level: 'silent' }),
    secret: 'bench-secret-0123456789abcdefghijklmnopqrstuvwxyz',
    publicUrl: 'http://127.0.0.1:9',
    pollSeconds: 30,
  });
}

const spec: NewJob['spec'] = { image: 'alpine:3.20', command: ['true'], env: {}, instanceTypes: ['t3.micro'], interruptionsTolerated: 3 };

async function benchReconcileMemory(jobs: number): Promise<void> {
  const engine = engineOn(new MemoryFleet());
  for (let i = 0; i < jobs; i++) await engine.createJob({ spec, runAt: new Date().toISOString(), owner: { kind: 'api', id: 'bench' } });
  const rss = process.memoryUsage().rss;
  const start = performance.now();
  await engine.reconcileOnce();
  const first = performance.now() - start;
  const steady = performance.now();
  await engine.reconcileOnce();
  emit({ bench: 'reconcile_pass_memory', active_jobs: jobs, first_pass_ms: Math.round(first), steady_pass_ms: Math.round(performance.now() - steady), rss_mb: Math.round(rss / 2 ** 20) });
}

async function benchEc2CallsPerTick(jobs: number): Promise<void> {
  const moto = await startMoto();
  try {
    const client = new EC2Client(moto.clientConfig);
    const calls = new Map<string, number>();
    client.middlewareStack.add(
      (next, context) => async (args) => {
        calls.set(context.commandName ?? '?', (calls.get(context.commandName ?? '?') ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: 'countCalls' },
    );
    const fleet = new Ec2Fleet({ client, deployment: 'bench', amiId: 'ami-12c6146b', subnetIds: [], securityGroupIds: [] });
    const engine = engineOn(fleet);
    const created = performance.now();
    for (let i = 0; i < jobs; i++) await engine.createJob({ spec, runAt: new Date().toISOString(), owner: { kind: 'api', id: 'bench' } });
    const createMs = performance.now() - created;
    await engine.reconcileOnce(); // tags the new instances
    calls.clear();
    const start = performance.now();
    const pass = await engine.reconcileOnce();
    const total = [...calls.values()].reduce((a, b) => a + b, 0);
    emit({ bench: 'ec2_calls_per_tick', active_jobs: pass.jobs, calls: total, by_command: Object.fromEntries(calls), pass_ms: Math.round(performance.now() - start), create_ms_per_job: +(createMs / jobs).toFixed(1) });
    client.destroy();
  } finally {
    await moto.stop();
  }
}

benchDecide();
await benchReconcileMemory(1000);
if (only !== 'core') await benchEc2CallsPerTick(1000);

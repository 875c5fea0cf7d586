/**
 * Benchmarks (issue 14): one JSON object per line, each with its figures, the target, `met`, and
 * where the original design applies its figure measured in the same run (`baseline`, `ratio`).
 * Ratios are what to compare across runs on these shared, noisy machines; absolute times only
 * within one run. A missed target is printed, never an exit code: only a crash exits non-zero.
 *
 *   npm run bench                       all of them (about 10 minutes on 2 cores; moto for most)
 *   npm run bench -- poll-tick launch   only the ones named (see BENCHMARKS below)
 *   npm run bench -- core               the in-process ones (decide, reconcile-memory)
 *   npm run bench -- poll-tick-5000     item 1 at 5,000 jobs: not in the default run (moto needs
 *                                       minutes to describe 5,000 instances; see docs/benchmarks.md)
 */
import { emit, type BenchResult } from './report.js';
import { benchBotMemory, benchNotificationEndpoint, benchSlashAck } from './bot-load.js';
import { benchDecide, benchReconcileMemory } from './core.js';
import { benchCrashRecovery } from './crash-recovery.js';
import { benchCapacityFallback, benchInterruptionReaction } from './interruption.js';
import { benchPollTick } from './poll-tick.js';
import { benchLaunchBurst, benchSchedulePrecision } from './scheduling.js';
import { benchSlackBurst } from './slack-burst.js';
import { benchStoreTick } from './store-tick.js';

type Run = () => Promise<BenchResult | BenchResult[]> | BenchResult;

/** Every benchmark by name, in the order `npm run bench` runs them; `extra` ones only when named. */
export const BENCHMARKS: readonly { name: string; groups?: string[]; extra?: boolean; run: Run }[] = [
  { name: 'decide', groups: ['core'], run: () => benchDecide(200_000) },
  { name: 'reconcile-memory', groups: ['core'], run: () => benchReconcileMemory(1000) },
  { name: 'poll-tick', run: () => benchPollTick([100, 1000]) },
  { name: 'poll-tick-5000', extra: true, run: () => benchPollTick([5000]) },
  { name: 'store-tick', run: () => benchStoreTick(50_000, 100) },
  { name: 'schedule', run: () => benchSchedulePrecision(100, 10_000) },
  { name: 'launch', run: () => benchLaunchBurst(200) },
  { name: 'interruption', run: () => benchInterruptionReaction(100) },
  { name: 'capacity', run: () => benchCapacityFallback(30) },
  { name: 'slash-ack', run: () => benchSlashAck([20, 100], 5) },
  { name: 'notifications', run: () => benchNotificationEndpoint(5) },
  { name: 'memory', run: () => benchBotMemory(10_000) },
  { name: 'slack-burst', run: () => benchSlackBurst(100, 5000) },
  { name: 'crash-recovery', run: () => benchCrashRecovery(100) },
];

/** The benchmarks `names` select (a name or a group); all but the extra ones when none is given. */
export function selectBenchmarks(names: readonly string[]): typeof BENCHMARKS {
  if (names.length === 0) return BENCHMARKS.filter((b) => !b.extra);
  const unknown = names.filter((n) => !BENCHMARKS.some((b) => b.name === n || b.groups?.includes(n)));
  if (unknown.length > 0) {
    throw new Error(`unknown benchmark(s) ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.name).join(', ')}, core`);
  }
  return BENCHMARKS.filter((b) => names.includes(b.name) || b.groups?.some((g) => names.includes(g)));
}

async function main(names: readonly string[]): Promise<void> {
  for (const benchmark of selectBenchmarks(names)) {
    const results = await benchmark.run();
    for (const result of Array.isArray(results) ? results : [results]) emit(result);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
  await main(process.argv.slice(2));
  // Every line is out: a harness's leftover socket or timer must not keep the run from ending.
  process.exit(0);
}

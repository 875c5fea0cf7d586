/**
 * The Vitest configuration of the mutation run (`npm run mutate`, see stryker.config.mjs): the
 * project's own configuration, with only the tests that exercise the mutated code. The rest of the
 * suite (engine, e2e, Slack, infra) is slow and would only re-cover the same lines.
 */
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { mergeConfig, type Plugin } from 'vitest/config';

/** Unit tests of bot/core and the tests of the EC2 adapter (ec2-fleet.test.ts runs its own moto_server). */
export const MUTATION_TESTS = [
  'test/core/**/*.test.ts',
  'test/adapters/ec2-fleet*.test.ts',
  'test/adapters/aws-errors.test.ts',
];

/** The test file that takes minutes: moto_server, and 1,000 instances in its scale suite. */
const SLOW_TEST_FILE = /[\\/]test[\\/]adapters[\\/]ec2-fleet\.test\.ts$/;
const SCALE_SUITE = "describe('at 1,000 active jobs'";

/**
 * Skips the 1,000-instance suite of ec2-fleet.test.ts (minutes per run on a busy machine) unless
 * SCHED_MUTATE_SCALE=1. Its launches run in a `beforeAll`, which makes every mutant on the launch
 * path "static" for Stryker (rerun with all tests), so with it one run of the adapter takes hours.
 * It is a load and paging test; the other tests of the file pin the behaviour.
 */
const skipScaleSuite: Plugin = {
  name: 'sched:mutation-run-skips-scale-suite',
  enforce: 'pre',
  transform(code, id) {
    if (process.env.SCHED_MUTATE_SCALE === '1' || !SLOW_TEST_FILE.test(id.split('?')[0] ?? '')) return null;
    if (!code.includes(SCALE_SUITE)) {
      throw new Error(`vitest.stryker.config.ts: ec2-fleet.test.ts has no ${SCALE_SUITE} any more; update SCALE_SUITE`);
    }
    return { code: code.replace(SCALE_SUITE, SCALE_SUITE.replace('describe(', 'describe.skip(')), map: null };
  },
};

/**
 * Properties run a tenth of their `numRuns` (at least 20) in the mutation run: each mutant reruns
 * every test that covers it, and the lifecycle's properties (thousands of runs) cover nearly every
 * line, which would make one run of the core take hours. A mutant that only a rare case kills may
 * survive here; `npm test` still runs the full numbers.
 */
const lighterProperties: Plugin = {
  name: 'sched:mutation-run-lighter-properties',
  enforce: 'pre',
  transform(code, id) {
    if (!/[\\/]test[\\/].*\.test\.ts$/.test(id.split('?')[0] ?? '') || !code.includes('numRuns')) return null;
    return { code: code.replace(/numRuns: ([\d_]+)/g, (_, n: string) => `numRuns: ${Math.max(20, Math.ceil(Number(n.replaceAll('_', '')) / 10))}`), map: null };
  },
};

/**
 * Fast files first. Stryker stops a mutant's run at its first failing test, and Vitest's own order
 * puts the slowest file first, so a mutant the unit tests kill in a second would otherwise wait
 * for the moto file.
 */
class FastFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const slow = (f: TestSpecification) => SLOW_TEST_FILE.test(f.moduleId);
    return [...sorted.filter((f) => !slow(f)), ...sorted.filter(slow)];
  }
}

// One fixed fast-check seed, so that two runs on the same code give the same score. Set before the
// base configuration is evaluated, because it reads the seed when it loads.
process.env.FC_SEED ??= '20260801';
const { default: base } = await import('./vitest.config.js');

const config = mergeConfig(base, {
  plugins: [skipScaleSuite, lighterProperties],
  test: { sequence: { sequencer: FastFirstSequencer } },
});
/**
 * `npm run mutate:core` (SCHED_MUTATE=core): the lifecycle, correlation, spot-status table and AWS
 * error classes against their fast tests only — no moto — so the run takes minutes, not hours.
 */
export const CORE_MUTATION_TESTS = [
  'test/core/**/*.test.ts',
  'test/engine/**/*.test.ts',
  'test/adapters/ec2-fleet-recorded.test.ts',
  'test/adapters/aws-errors.test.ts',
];

// mergeConfig concatenates arrays; the mutation run replaces the list of test files.
config.test = { ...config.test, include: process.env.SCHED_MUTATE === 'core' ? CORE_MUTATION_TESTS : MUTATION_TESTS };

export default config;

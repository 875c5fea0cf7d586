// @ts-check
/**
 * Mutation testing of the pure core and the EC2 adapter: `npm run mutate` (slow: tens of minutes
 * on two cores, so it is not part of `npm test`). Reports go to reports/mutation/.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
const config = {
  testRunner: 'vitest',
  plugins: ['@stryker-mutator/vitest-runner'],
  vitest: {
    configFile: 'vitest.stryker.config.ts',
    // Per mutated file, only the test files that import it (from the files that config includes).
    related: true,
  },
  coverageAnalysis: 'perTest',
  mutate: ['bot/core/**/*.ts', 'bot/adapters/ec2-fleet.ts', 'bot/adapters/aws-errors.ts'],
  // The machine is small and shared; the EC2 tests start a moto_server per run.
  concurrency: 2,
  // Generous: a busy machine must not turn a slow run into a "timeout" kill. Infinite loops are
  // caught sooner by the runner's hit limit.
  timeoutFactor: 2.5,
  timeoutMS: 20_000,
  // The first, unmutated run includes the 1,000-instance moto test (minutes on a busy machine).
  dryRunTimeoutMinutes: 30,
  reporters: ['clear-text', 'progress', 'json', 'html'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  clearTextReporter: { allowColor: false, logTests: false, reportTests: false },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'coverage', '.sched', 'reports'],
  cleanTempDir: true,
};

export default config;

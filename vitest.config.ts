import { defineConfig } from 'vitest/config';

/** One seed for every property test in the run: replay a failure with FC_SEED=<seed>. */
const propertySeed = process.env.FC_SEED ?? String(Math.floor(Math.random() * 2 ** 31));
if (!process.env.VITEST_WORKER_ID) console.log(`fast-check seed ${propertySeed} (replay: FC_SEED=${propertySeed} npm test)`);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/harness/property-seed.ts'],
    env: {
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: 'us-west-2',
      FC_SEED: propertySeed,
      // The SDK's notice about its own future Node requirement, once per test file otherwise.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});

/**
 * Every property test in a run draws from one seed, printed when the run starts, so a failure is
 * a finding that can be replayed: `FC_SEED=<seed> npx vitest run <file>`. fast-check's own failure
 * message adds the seed and the shrink path of the counterexample.
 */
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED);
if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, not ${JSON.stringify(process.env.FC_SEED)}`);
fc.configureGlobal({ seed });
